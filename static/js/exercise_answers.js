// Exercises as data, no DOM: the answer form of each answer_format type, the answer
// string sent to POST /api/exercises/{id}/check, seeds, and the names of an exercise's given
// matrices. The server parses and checks every answer; this module only collects it.

/** Largest seed the API accepts (2³² − 1). */
export const MAX_SEED = 4294967295;

/** What the student types for each answer type, in words (the API's description wins). */
const TYPE_LABELS = {
  integer: "Your answer (a whole number)",
  number: "Your answer (a number)",
  size: "Your answer (a size, e.g. 5 or 5 × 5)",
  vector: "Your answer (numbers separated by commas)",
  cell: "Your answer (row, column, counted from 1)",
  cells: "Your answer (cells as row,column; separated by ;, or none)",
};

/** Names the tutorial uses for the matrices an exercise gives. */
const MATRIX_NAMES = { input: "X", kernel: "K", theta: "θ", gradient: "∇L_data" };

/**
 * The kind of field an answer format needs.
 * @param {{type: string}} format the exercise's answer_format
 * @returns {"text" | "choice"}
 */
export function fieldKind(format) {
  if (!format || typeof format.type !== "string") throw new Error("answer_format has no type");
  if (format.type === "choice") return "choice";
  if (!(format.type in TYPE_LABELS)) throw new Error(`unknown answer type "${format.type}"`);
  return "text";
}

/**
 * The label of the answer box for a format.
 * @param {{type: string}} format
 */
export function answerLabel(format) {
  return format.type === "choice" ? "Pick one answer" : TYPE_LABELS[format.type];
}

/**
 * The answer string to send, or an error to show without asking the server.
 * @param {{type: string}} format
 * @param {string | null} value what was typed, or the chosen option key
 * @returns {{answer: string} | {error: string}}
 */
export function collectAnswer(format, value) {
  const text = (value ?? "").trim();
  if (!text) return { error: format.type === "choice" ? "Pick an answer first." : "Type your answer first." };
  if (text.length > 200) return { error: "That answer is longer than 200 characters." };
  return { answer: text };
}

/**
 * A seed for the exercise: from the URL parameter if valid, else from storage, else drawn.
 * @param {string | null} fromUrl
 * @param {string | null} fromStorage
 * @param {() => number} random a function returning [0, 1)
 * @returns {{seed: number, source: "url" | "storage" | "new"}}
 */
export function chooseSeed(fromUrl, fromStorage, random = Math.random) {
  const url = parseSeed(fromUrl);
  if (url !== null) return { seed: url, source: "url" };
  const stored = parseSeed(fromStorage);
  if (stored !== null) return { seed: stored, source: "storage" };
  return { seed: drawSeed(null, random), source: "new" };
}

/**
 * A seed written as text, or null when it is not a whole number in [0, MAX_SEED].
 * @param {string | null} text
 * @returns {number | null}
 */
export function parseSeed(text) {
  if (typeof text !== "string" || !/^\d{1,10}$/.test(text)) return null;
  const seed = Number(text);
  return seed <= MAX_SEED ? seed : null;
}

/**
 * A fresh seed, different from `previous`. Seeds stay below 10⁶ so they are short in a URL.
 * @param {number | null} previous
 * @param {() => number} random
 */
export function drawSeed(previous, random = Math.random) {
  for (;;) {
    const seed = Math.floor(random() * 1_000_000);
    if (seed !== previous) return seed;
  }
}

/** The URL parameter that holds an exercise's seed ("ex-output-size=17"). */
export function seedParam(id) {
  return `ex-${id}`;
}

/**
 * The given numbers worth drawing as matrices: 2-D numeric inputs, named as the tutorial does.
 * @param {Record<string, any>} inputs
 * @returns {Array<{key: string, name: string, matrix: number[][]}>}
 */
export function givenMatrices(inputs) {
  const isMatrix = (v) => Array.isArray(v) && v.length > 0 &&
    v.every((r) => Array.isArray(r) && r.length === v[0].length && r.every((x) => typeof x === "number"));
  return Object.entries(inputs || {})
    .filter(([, v]) => isMatrix(v))
    .map(([key, matrix]) => ({ key, name: MATRIX_NAMES[key] ?? key, matrix }));
}
