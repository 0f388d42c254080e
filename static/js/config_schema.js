// An experiment's config form, read from the JSON Schema the API publishes (pydantic's
// model_json_schema: properties with type, minimum/maximum, enum, items, $ref into $defs,
// anyOf [T, null] for optional fields). The bounds on the page are the server's bounds; the
// server still validates. No DOM here: widgets/config_form.js draws the fields.

/**
 * @typedef {object} ConfigField
 * @property {string} name property name, e.g. "train_size"
 * @property {string} title the label given to configFields, else the schema's title ("Train Size")
 * @property {string} description the schema's description ("" if none)
 * @property {"integer" | "number" | "choice" | "choices" | "numbers" | "boolean" | "text"} kind
 *   integer/number: one number; choice: one of `options`; choices: a subset of `options`;
 *   numbers: a list of numbers (typed "0, 1e-4, 1e-3")
 * @property {number | null} min smallest allowed number (of the value, or of each list item)
 * @property {number | null} max largest allowed number
 * @property {boolean} exclusiveMin min itself is not allowed
 * @property {boolean} exclusiveMax max itself is not allowed
 * @property {Array<string | number>} options allowed values for choice / choices
 * @property {number | null} minItems for lists
 * @property {number | null} maxItems for lists
 * @property {boolean} nullable null is allowed (the server then picks the value)
 * @property {any} default the schema's default, if it states one
 */

/**
 * The form fields of an object schema, in the schema's property order.
 * @param {any} schema a JSON Schema of an object
 * @param {Record<string, string>} [labels] names for students, by property (used in the form and
 *   in error messages); else the schema's title
 * @returns {ConfigField[]}
 */
export function configFields(schema, labels = {}) {
  if (!schema || typeof schema !== "object" || typeof schema.properties !== "object") {
    throw new Error("the config schema has no properties");
  }
  const defs = schema.$defs || schema.definitions || {};
  return Object.entries(schema.properties).map(([name, raw]) => {
    const field = fieldOf(name, raw, defs);
    if (labels[name]) field.title = labels[name];
    return field;
  });
}

function resolve(node, defs) {
  let current = node || {};
  for (let depth = 0; current.$ref && depth < 8; depth++) {
    const key = current.$ref.split("/").pop();
    current = { ...defs[key], ...withoutRef(current) };
  }
  return current;
}

function withoutRef(node) {
  const { $ref: _ignored, ...rest } = node;
  return rest;
}

function fieldOf(name, raw, defs) {
  let node = resolve(raw, defs);
  let nullable = false;
  const alternatives = node.anyOf || node.oneOf;
  if (Array.isArray(alternatives)) {
    const real = alternatives.map((a) => resolve(a, defs)).filter((a) => a.type !== "null");
    nullable = real.length < alternatives.length;
    if (real.length === 1) node = { ...real[0], ...withoutAlternatives(node) };
  }
  const field = {
    name,
    title: node.title || raw.title || name.replace(/_/g, " "),
    description: node.description || raw.description || "",
    kind: "text",
    min: null,
    max: null,
    exclusiveMin: false,
    exclusiveMax: false,
    options: [],
    minItems: null,
    maxItems: null,
    nullable,
    default: "default" in raw ? raw.default : node.default,
  };
  const bounds = (n) => {
    if (typeof n.exclusiveMinimum === "number") Object.assign(field, { min: n.exclusiveMinimum, exclusiveMin: true });
    else if (typeof n.minimum === "number") field.min = n.minimum;
    if (typeof n.exclusiveMaximum === "number") Object.assign(field, { max: n.exclusiveMaximum, exclusiveMax: true });
    else if (typeof n.maximum === "number") field.max = n.maximum;
  };
  if (Array.isArray(node.enum) || "const" in node) {
    field.kind = "choice";
    field.options = Array.isArray(node.enum) ? node.enum : [node.const];
  } else if (node.type === "integer" || node.type === "number") {
    field.kind = node.type;
    bounds(node);
  } else if (node.type === "boolean") {
    field.kind = "boolean";
  } else if (node.type === "array") {
    const items = resolve(node.items, defs);
    field.minItems = typeof node.minItems === "number" ? node.minItems : null;
    field.maxItems = typeof node.maxItems === "number" ? node.maxItems : null;
    if (Array.isArray(items.enum)) {
      field.kind = "choices";
      field.options = items.enum;
    } else if (items.type === "number" || items.type === "integer") {
      field.kind = "numbers";
      bounds(items);
    }
  }
  return field;
}

function withoutAlternatives(node) {
  const { anyOf: _a, oneOf: _o, ...rest } = node;
  return rest;
}

/**
 * Check one value against its field, as the server would.
 * @param {ConfigField} field
 * @param {any} value a number, string, boolean or list (already parsed)
 * @returns {string | null} what is wrong in plain words, or null when it is fine
 */
export function fieldError(field, value) {
  const inRange = (v) => {
    if (field.min !== null && (field.exclusiveMin ? v <= field.min : v < field.min)) {
      return `${field.exclusiveMin ? "more than" : "at least"} ${field.min}`;
    }
    if (field.max !== null && (field.exclusiveMax ? v >= field.max : v > field.max)) {
      return `${field.exclusiveMax ? "less than" : "at most"} ${field.max}`;
    }
    return null;
  };
  if (value === null || value === undefined) return field.nullable ? null : `${field.title} is required`;
  switch (field.kind) {
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return `${field.title} must be a number`;
      if (field.kind === "integer" && !Number.isInteger(value)) return `${field.title} must be a whole number`;
      const range = inRange(value);
      return range ? `${field.title} must be ${range}` : null;
    }
    case "choice":
      return field.options.includes(value) ? null : `${field.title} must be one of ${field.options.join(", ")}`;
    case "boolean":
      return typeof value === "boolean" ? null : `${field.title} must be true or false`;
    case "choices":
    case "numbers": {
      if (!Array.isArray(value)) return `${field.title} must be a list`;
      if (field.minItems !== null && value.length < field.minItems) {
        return `pick at least ${field.minItems} for ${field.title}`;
      }
      if (field.maxItems !== null && value.length > field.maxItems) {
        return `pick at most ${field.maxItems} for ${field.title}`;
      }
      if (new Set(value).size !== value.length) return `${field.title} lists a value twice`;
      for (const v of value) {
        if (field.kind === "choices" && !field.options.includes(v)) return `${field.title}: "${v}" is not one of ${field.options.join(", ")}`;
        if (field.kind === "numbers") {
          if (typeof v !== "number" || !Number.isFinite(v)) return `${field.title}: every value must be a number`;
          const range = inRange(v);
          if (range) return `${field.title}: every value must be ${range} (${v} is not)`;
        }
      }
      return null;
    }
    default:
      return typeof value === "string" ? null : `${field.title} must be text`;
  }
}

/**
 * Parse what a student typed into a field's text box.
 * @param {ConfigField} field
 * @returns {{value: any} | {error: string}}
 */
export function parseFieldText(field, text) {
  const trimmed = String(text).trim();
  if (field.kind === "integer" || field.kind === "number") {
    if (trimmed === "") return field.nullable ? { value: null } : { error: `type a value for ${field.title}` };
    const value = Number(trimmed.replace(/\u2212/g, "-"));
    if (!Number.isFinite(value)) return { error: `${field.title}: "${trimmed}" is not a number` };
    return { value };
  }
  if (field.kind === "numbers") {
    const parts = trimmed.split(/[,;\s]+/).filter((p) => p.length > 0);
    const values = parts.map((p) => Number(p.replace(/\u2212/g, "-")));
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return { error: `${field.title}: "${parts[bad]}" is not a number` };
    return { value: values };
  }
  return { value: trimmed };
}

/**
 * A config for the URL or the form: only the schema's fields, each value valid, else the
 * default. Used to clean a config read back from a shared link.
 * @param {ConfigField[]} fields
 * @param {Record<string, any>} defaults the experiment's defaults (from the API)
 * @param {any} candidate e.g. parsed from the URL
 * @returns {Record<string, any>}
 */
export function cleanConfig(fields, defaults, candidate) {
  const config = {};
  for (const field of fields) {
    const wanted = candidate && typeof candidate === "object" ? candidate[field.name] : undefined;
    const fallback = field.name in defaults ? defaults[field.name] : field.default;
    config[field.name] = wanted !== undefined && fieldError(field, wanted) === null ? wanted : fallback;
  }
  return config;
}
