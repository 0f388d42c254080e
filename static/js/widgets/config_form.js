// The controls of one experiment's config, built from the fields of its JSON Schema
// (config_schema.js): a labelled number box with the server's bounds, a select, a group of
// checkboxes for a subset, a text box for a list of numbers. Each control says what is wrong
// next to it. Events: "change" whenever a value changes (read `.read()`).

import { fieldError, parseFieldText } from "../config_schema.js";
import { el } from "../dom.js";
import { formatCount } from "../format.js";

/** Form controls for a config. */
export class ConfigForm extends EventTarget {
  /**
   * @param {HTMLElement} container the controls are appended to it
   * @param {import("../config_schema.js").ConfigField[]} fields
   * @param {{idPrefix: string, optionLabels?: Record<string, string>, hidden?: string[]}} options
   *   ids are `${idPrefix}-${field name}`; `optionLabels` name the choices for students;
   *   `hidden` fields keep their value but get no control
   */
  constructor(container, fields, options) {
    super();
    this.fields = fields;
    this.options = { optionLabels: {}, hidden: [], ...options };
    this.values = {};
    this.controls = new Map();
    this.root = el("div", { className: "config-form controls" });
    for (const field of fields) {
      if (this.options.hidden.includes(field.name)) continue;
      this.root.append(this.#control(field));
    }
    container.replaceChildren(this.root);
  }

  /** @param {import("../config_schema.js").ConfigField} field */
  #control(field) {
    const id = `${this.options.idPrefix}-${field.name.replace(/_/g, "-")}`;
    const label = field.title;
    const wrap = el(field.kind === "choices" ? "fieldset" : "div", { className: `control config-${field.kind}` });
    const error = el("span", { className: "field-error", id: `${id}-error` });
    const hint = el("span", { className: "field-hint", id: `${id}-hint`, textContent: rangeText(field) });
    let read;
    let write;
    let focusTarget;
    if (field.kind === "choices") {
      wrap.append(el("legend", { textContent: label }));
      const boxes = field.options.map((option) => {
        const box = el("input", { type: "checkbox", value: String(option) });
        box.addEventListener("change", () => this.#changed());
        wrap.append(el("label", { className: "check" }, box, ` ${this.options.optionLabels[option] ?? option}`));
        return box;
      });
      wrap.setAttribute("aria-describedby", error.id);
      read = () => ({ value: field.options.filter((_, i) => boxes[i].checked) });
      write = (v) => boxes.forEach((b, i) => { b.checked = Array.isArray(v) && v.includes(field.options[i]); });
      focusTarget = boxes[0];
    } else {
      const name = el("label", { htmlFor: id, textContent: label });
      let input;
      if (field.kind === "choice") {
        input = el("select", {}, ...field.options.map((option) => el("option", { value: String(option), textContent: this.options.optionLabels[option] ?? String(option) })));
        read = () => ({ value: field.options.find((o) => String(o) === input.value) });
        write = (v) => { input.value = String(v); };
      } else if (field.kind === "boolean") {
        input = el("input", { type: "checkbox" });
        read = () => ({ value: input.checked });
        write = (v) => { input.checked = Boolean(v); };
      } else {
        input = el("input");
        if (field.kind === "integer" || field.kind === "number") {
          input.type = "number";
          input.step = field.kind === "integer" ? "1" : "any";
          if (field.min !== null) input.min = String(field.min);
          if (field.max !== null) input.max = String(field.max);
          input.inputMode = field.kind === "integer" ? "numeric" : "decimal";
          if (field.max !== null && field.max >= 1e5) input.classList.add("wide");
        } else {
          input.type = "text";
          input.spellcheck = false;
          input.size = 18;
        }
        read = () => parseFieldText(field, input.value);
        write = (v) => { input.value = Array.isArray(v) ? v.join(", ") : v === null || v === undefined ? "" : String(v); };
      }
      input.id = id;
      input.name = field.name;
      input.setAttribute("aria-describedby", `${hint.id} ${error.id}`);
      input.addEventListener(field.kind === "choice" || field.kind === "boolean" ? "change" : "input", () => this.#changed());
      wrap.append(name, input);
      focusTarget = input;
    }
    if (field.description) wrap.title = field.description;
    wrap.append(hint, error);
    this.controls.set(field.name, { field, read, write, error, wrap, focusTarget });
    return wrap;
  }

  /**
   * Put a config into the controls.
   * @param {Record<string, any>} config
   */
  setValue(config) {
    this.values = { ...config };
    for (const { field, write } of this.controls.values()) write(config[field.name]);
    this.read();
  }

  /**
   * Read the controls: the config (hidden fields keep their values) and what is wrong, per field.
   * Marks the invalid controls.
   * @returns {{config: Record<string, any>, errors: Record<string, string>}}
   */
  read() {
    const config = { ...this.values };
    const errors = {};
    for (const { field, read, error, wrap } of this.controls.values()) {
      const parsed = read();
      const problem = "error" in parsed ? parsed.error : fieldError(field, parsed.value);
      if (problem) errors[field.name] = problem;
      else config[field.name] = parsed.value;
      this.#mark(wrap, error, problem);
    }
    return { config, errors };
  }

  /** Show an error the server found on a field (422); false when there is no such control. */
  markInvalid(name, message) {
    const control = this.controls.get(name);
    if (!control) return false;
    this.#mark(control.wrap, control.error, message);
    return true;
  }

  /** Move the keyboard focus to a field's control. */
  focus(name) {
    this.controls.get(name)?.focusTarget?.focus();
  }

  /** @param {boolean} disabled */
  setDisabled(disabled) {
    for (const node of this.root.querySelectorAll("input, select")) node.disabled = disabled;
  }

  #mark(wrap, error, problem) {
    error.textContent = problem || "";
    for (const node of wrap.querySelectorAll("input, select")) {
      if (problem) node.setAttribute("aria-invalid", "true");
      else node.removeAttribute("aria-invalid");
    }
  }

  #changed() {
    const { config, errors } = this.read();
    this.values = config;
    this.dispatchEvent(new CustomEvent("change", { detail: { config, errors } }));
  }
}

/** "100 – 10,000" for a bounded number field; "" otherwise. */
function rangeText(field) {
  if (field.kind !== "integer" && field.kind !== "number" && field.kind !== "numbers") return "";
  const fmt = (v) => (Number.isInteger(v) && Math.abs(v) >= 1000 ? formatCount(v) : String(v));
  const lo = field.min !== null ? `${field.exclusiveMin ? ">" : ""}${fmt(field.min)}` : null;
  const hi = field.max !== null ? `${field.exclusiveMax ? "<" : ""}${fmt(field.max)}` : null;
  if (lo !== null && hi !== null) return `${lo} – ${hi}`;
  if (lo !== null) return field.exclusiveMin ? lo : `≥ ${lo}`;
  if (hi !== null) return field.exclusiveMax ? hi : `≤ ${hi}`;
  return "";
}
