// Number formatting for the lab (no DOM): short cell labels, typographic minus, subscripts.

const MINUS = "\u2212";
const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";

/**
 * A short label for a grid cell: integers as they are, others with at most `digits` decimals
 * (trailing zeros trimmed), a typographic minus, and "k"/"M" for large magnitudes.
 * @param {number} [digits] decimals kept (default 2)
 * @returns {string} e.g. "−1", "0.11", "12.5k"
 */
export function formatCell(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : `${MINUS}∞`;
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e9) text = scientific(abs, 1, "e");
  else if (abs >= 1e6) text = `${trim((abs / 1e6).toFixed(1))}M`;
  else if (abs >= 1e4) text = `${trim((abs / 1e3).toFixed(1))}k`;
  else text = trim(abs.toFixed(abs >= 100 ? Math.min(digits, 1) : digits));
  if (text === "0") return "0";
  return value < 0 ? `${MINUS}${text}` : text;
}

/**
 * A number written in full for arithmetic lines and figures, negatives in parentheses when
 * asked (the tutorial writes 2·(−1)).
 * @param {{parens?: boolean, digits?: number}} [options]
 */
export function formatNumber(value, options = {}) {
  const { parens = false, digits = 4 } = options;
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "∞" : `${MINUS}∞`;
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e15) text = scientific(abs, 3, "×10");
  else text = Number.isInteger(value) ? String(abs) : trim(abs.toFixed(digits));
  if (value < 0 && text !== "0") return parens ? `(${MINUS}${text})` : `${MINUS}${text}`;
  return text;
}

const SUPERSCRIPTS = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };

/**
 * A magnitude too large for fixed notation: "1.5e308" (cells, `times` "e") or
 * "1.5×10³⁰⁸" (`times` "×10"), the mantissa to `precision` decimals, trimmed.
 * @param {number} abs a positive finite number
 * @param {"e" | "×10"} times
 */
function scientific(abs, precision, times) {
  const [mantissa, exponent] = abs.toExponential(precision).split("e");
  const exp = String(Number(exponent));
  const written = times === "e"
    ? exp.replace("-", MINUS)
    : [...exp].map((c) => SUPERSCRIPTS[c]).join("");
  return `${trim(mantissa)}${times}${written}`;
}

/** An integer with thousands separators ("78,500"). */
export function formatCount(value) {
  return Math.round(value).toLocaleString("en-US");
}

/**
 * A percentage with one decimal ("81.3 %").
 * @param {number} fraction in [0, 1]
 */
export function formatPercent(fraction) {
  return `${(100 * fraction).toFixed(1)} %`;
}

/**
 * Subscript digits for cell names, 1-based like the tutorial: sub(1, 1) → "₁₁", sub(10, 2) → "₁₀,₂".
 * @param {...number} indices
 */
export function sub(...indices) {
  const parts = indices.map((i) => String(i).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]));
  return parts.every((p) => p.length === 1) ? parts.join("") : parts.join(",");
}

/**
 * Parse a number typed by a student: accepts "-", "−", "," as decimal separator is NOT accepted
 * (comma separates values when pasting). Returns NaN for anything that is not a finite number.
 */
export function parseNumber(text) {
  const cleaned = String(text).trim().replace(/\u2212/g, "-");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(cleaned)) return Number.NaN;
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * Parse a pasted matrix: rows on lines (or separated by ";"), values separated by whitespace
 * or commas; brackets as in [[1, 2], [3, 4]] are accepted too.
 * @returns {{matrix: number[][]} | {error: string}}
 */
export function parseMatrix(text) {
  let body = String(text).trim();
  if (!body) return { error: "nothing to paste" };
  if (body.startsWith("[")) {
    // [[1, 2], [3, 4]] → rows split on "],"
    body = body.replace(/^\[\s*/, "").replace(/\s*\]$/, "");
    body = body.replace(/\]\s*,?\s*\[/g, "\n").replace(/[[\]]/g, "");
  }
  const lines = body.split(/\r?\n|;/).map((l) => l.trim()).filter((l) => l.length > 0);
  const matrix = [];
  for (let i = 0; i < lines.length; i++) {
    const tokens = lines[i].split(/[\s,]+/).filter((t) => t.length > 0);
    const row = tokens.map(parseNumber);
    const bad = row.findIndex((v) => Number.isNaN(v));
    if (bad >= 0) return { error: `row ${i + 1}: "${tokens[bad]}" is not a number` };
    matrix.push(row);
  }
  const width = matrix[0].length;
  const ragged = matrix.findIndex((r) => r.length !== width);
  if (ragged >= 0) {
    const n = matrix[ragged].length;
    return { error: `row ${ragged + 1} has ${n} value${n === 1 ? "" : "s"}, row 1 has ${width}` };
  }
  return { matrix };
}

function trim(text) {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
