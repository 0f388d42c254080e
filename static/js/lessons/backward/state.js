// The "Backward and transposed" lesson as data (no DOM): its defaults, the check applied to a
// state restored from the URL, the API requests it becomes, and where the upstream gradient's
// own cells sit inside the padded, stride-dilated G of the full-convolution view.
//
// Backward pass of Y = X ∗ K (cross-correlation, Goodfellow et al. §9.5; Dumoulin & Visin 2016
// §4): ∂L/∂K[a,b] = Σ_ij G[i,j] · X[i·s + a, j·s + b] and ∂L/∂X = Mᵀ·vec(G), which is a "full"
// convolution of G (s − 1 zeros between entries, k − 1 zeros around) with K rotated by 180°.
// A transposed convolution is that same Mᵀ used as a layer.

import { isMatrix, isNumber } from "../../conv_state.js";
import { TUTORIAL_K, TUTORIAL_X } from "../../presets.js";

/** localStorage key of the lesson's state. */
export const BACKWARD_KEY = "convlab.backward";

/** Largest sides the page offers (the API has its own, larger limits). */
export const BACKWARD_LIMITS = { input: 8, kernel: 4, stride: 3, padding: 3, tInput: 5, signal: 16, signalKernel: 7 };

/**
 * @typedef {object} BackwardState
 * @property {number[][]} x input X
 * @property {number[][]} k kernel K
 * @property {number} stride
 * @property {number} padding zero padding
 * @property {number[][] | null} g upstream gradient G (null: all ones, L = Σ Y)
 * @property {boolean} full show ∂L/∂X as a full convolution
 * @property {{x: number[][], k: number[][], stride: number, padding: number, outpad: number}} t
 *   the transposed convolution's input, kernel and settings
 * @property {{x: number[], k: number[], flip: boolean}} sig the 1-D signal, kernel and flip
 */

/** An n × m matrix of ones. */
export const ONES = (n, m) => Array.from({ length: n }, () => Array(m).fill(1));

/** @type {BackwardState} */
export const BACKWARD_DEFAULTS = {
  x: TUTORIAL_X,
  k: TUTORIAL_K,
  stride: 1,
  padding: 0,
  g: null,
  full: false,
  t: { x: ONES(3, 3), k: ONES(3, 3), stride: 2, padding: 0, outpad: 0 },
  sig: { x: [0, 0, 1, 1, 1, 1, 0, 0, 2, 0], k: [1, 0, -1], flip: false },
};

const isVector = (v, max) => Array.isArray(v) && v.length >= 1 && v.length <= max && v.every(isNumber);
const intIn = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;

/**
 * Accept a restored state only if every field has the right type and size; a damaged part
 * falls back to its default so one bad field does not lose the rest.
 * @param {any} s candidate (defaults merged in)
 * @returns {BackwardState | null}
 */
export function cleanBackwardState(s) {
  const L = BACKWARD_LIMITS;
  if (!isMatrix(s.x, L.input) || !isMatrix(s.k, L.kernel)) return null;
  if (!intIn(s.stride, 1, L.stride) || !intIn(s.padding, 0, L.padding)) return null;
  const g = s.g === null || isMatrix(s.g, 64) ? s.g : null;
  const t = s.t && isMatrix(s.t.x, L.tInput) && isMatrix(s.t.k, L.kernel) && intIn(s.t.stride, 1, L.stride) &&
    intIn(s.t.padding, 0, L.padding) && intIn(s.t.outpad, 0, L.stride - 1)
    ? { x: s.t.x, k: s.t.k, stride: s.t.stride, padding: s.t.padding, outpad: s.t.outpad }
    : structuredClone(BACKWARD_DEFAULTS.t);
  const sig = s.sig && isVector(s.sig.x, L.signal) && isVector(s.sig.k, L.signalKernel) && typeof s.sig.flip === "boolean"
    ? { x: s.sig.x, k: s.sig.k, flip: s.sig.flip }
    : structuredClone(BACKWARD_DEFAULTS.sig);
  return { x: s.x, k: s.k, stride: s.stride, padding: s.padding, g, full: s.full === true, t, sig };
}

/**
 * The upstream gradient to send: G when it has the output's shape, else null (the API then
 * uses all ones).
 * @param {number[][] | null} g
 * @param {number[]} outputShape [H_out, W_out]
 * @returns {number[][] | null}
 */
export function gradientFor(g, outputShape) {
  if (!g) return null;
  return g.length === outputShape[0] && g[0].length === outputShape[1] ? g : null;
}

/**
 * The body of POST /api/conv2d/backward (and /backward/explain, which adds a cell).
 * @param {BackwardState} s
 * @param {number[][] | null} g the upstream gradient, or null for all ones
 */
export function backwardRequest(s, g) {
  const body = { input: s.x, kernel: s.k, stride: s.stride, padding: s.padding };
  if (g) body.grad_output = g;
  return body;
}

/**
 * The body of POST /api/conv-transpose2d (and its /explain).
 * @param {BackwardState["t"]} t
 */
export function transposeRequest(t) {
  return { input: t.x, kernel: t.k, stride: t.stride, padding: t.padding, output_padding: t.outpad };
}

/**
 * The body of POST /api/conv1d.
 * @param {BackwardState["sig"]} sig
 */
export function signalRequest(sig) {
  return { input: sig.x, kernel: sig.k, flip_kernel: sig.flip };
}

/**
 * Where each entry G[i][j] sits inside the padded, stride-dilated gradient of the full
 * convolution: row top + i·s, column left + j·s (pads may be negative: cropped). Every other
 * cell of the padded grid is a zero the view inserted or padded.
 * @param {number[]} gShape [H_out, W_out]
 * @param {number[][]} pads [[top, bottom], [left, right]]
 * @param {number[]} inserted zeros inserted between entries [rows, cols] (s − 1)
 * @param {number[]} paddedShape [rows, cols] of the padded grid
 * @returns {Map<string, [number, number]>} "row,col" in the padded grid → [i, j] of G
 */
export function gradientPositions(gShape, pads, inserted, paddedShape) {
  const map = new Map();
  const [sh, sw] = [inserted[0] + 1, inserted[1] + 1];
  for (let i = 0; i < gShape[0]; i++) {
    for (let j = 0; j < gShape[1]; j++) {
      const r = pads[0][0] + i * sh;
      const c = pads[1][0] + j * sw;
      if (r >= 0 && c >= 0 && r < paddedShape[0] && c < paddedShape[1]) map.set(`${r},${c}`, [i, j]);
    }
  }
  return map;
}

/**
 * Parse a 1-D signal typed as numbers separated by spaces or commas.
 * @param {(t: string) => number} parseNumber
 * @returns {{values: number[]} | {error: string}}
 */
export function parseSignal(text, parseNumber) {
  const tokens = String(text).split(/[\s,;]+/).filter((t) => t.length > 0);
  if (tokens.length === 0) return { error: "type at least one number" };
  const values = tokens.map(parseNumber);
  const bad = values.findIndex((v) => Number.isNaN(v));
  if (bad >= 0) return { error: `"${tokens[bad]}" is not a number` };
  return { values };
}
