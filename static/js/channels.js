// A convolution layer with channels, as data (no DOM): C_in input planes X[c], a bank of C_out
// filters K[o] of C_in slices K[o, c] each, one bias b[o] per filter (Goodfellow et al. §9.5,
// eq. 9.7: Z[o, i, j] = Σ_c Σ_a Σ_b X[c, i+a, j+b] · K[o, c, a, b], plus the bias).
// The default layer puts the tutorial's X in the first plane and the tutorial's K in the first
// slice of filter 1, so Y[1] is the tutorial's X ∗ K; filter 2 sums all three planes.

import { TUTORIAL_K, TUTORIAL_X } from "./presets.js";

/** Limits of the page's layer (the API has its own, larger ones). */
export const CHANNEL_LIMITS = { cin: 4, cout: 4, side: 8, kernel: 4, stride: 4, padding: 3 };

/**
 * @typedef {object} ChannelLayer
 * @property {number[][][]} x C_in × H × W
 * @property {number[][][][]} k C_out × C_in × kh × kw
 * @property {number[]} b C_out
 * @property {number} stride
 * @property {number} padding zero padding on every side
 */

/** @type {ChannelLayer} */
export const CHANNEL_DEFAULTS = {
  x: [
    TUTORIAL_X,
    [[0, 1, 1, 0], [1, 2, 2, 1], [1, 2, 2, 1], [0, 1, 1, 0]],
    [[2, 1, 0, 0], [1, 2, 1, 0], [0, 1, 2, 1], [0, 0, 1, 2]],
  ],
  k: [
    [TUTORIAL_K, [[0, 0], [0, 0]], [[0, 0], [0, 0]]],
    [[[1, 1], [1, 1]], [[1, 1], [1, 1]], [[1, 1], [1, 1]]],
  ],
  b: [0, -4],
  stride: 1,
  padding: 0,
};

/**
 * Name of input channel c (0-based): R, G, B when there are exactly three planes (a colour
 * picture), else 1, 2, ….
 */
export function planeName(c, cin) {
  return cin === 3 ? "RGB"[c] : String(c + 1);
}

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
const isMatrix = (m, rows, cols) =>
  Array.isArray(m) && m.length === rows && m.every((r) => Array.isArray(r) && r.length === cols && r.every(isNumber));

/**
 * Accept a restored layer only if every array has the right shape and every value is finite.
 * @returns {ChannelLayer | null}
 */
export function cleanChannelLayer(s) {
  if (!s || typeof s !== "object") return null;
  const L = CHANNEL_LIMITS;
  const { x, k, b } = s;
  if (!Array.isArray(x) || x.length < 1 || x.length > L.cin || !Array.isArray(x[0])) return null;
  const [h, w] = [x[0].length, x[0][0]?.length];
  if (!(h >= 1 && h <= L.side && w >= 1 && w <= L.side)) return null;
  if (!x.every((plane) => isMatrix(plane, h, w))) return null;
  if (!Array.isArray(k) || k.length < 1 || k.length > L.cout) return null;
  const kh = k[0]?.[0]?.length;
  const kw = k[0]?.[0]?.[0]?.length;
  if (!(kh >= 1 && kh <= L.kernel && kw >= 1 && kw <= L.kernel)) return null;
  if (!k.every((f) => Array.isArray(f) && f.length === x.length && f.every((slice) => isMatrix(slice, kh, kw)))) return null;
  if (!Array.isArray(b) || b.length !== k.length || !b.every(isNumber)) return null;
  for (const [key, max, min] of [["stride", L.stride, 1], ["padding", L.padding, 0]]) {
    if (!Number.isInteger(s[key]) || s[key] < min || s[key] > max) return null;
  }
  return { x, k, b, stride: s.stride, padding: s.padding };
}

/**
 * The shape of a layer.
 * @param {ChannelLayer} layer
 * @returns {{cin: number, cout: number, h: number, w: number, kh: number, kw: number}}
 */
export function layerShape(layer) {
  return {
    cin: layer.x.length,
    cout: layer.k.length,
    h: layer.x[0].length,
    w: layer.x[0][0].length,
    kh: layer.k[0][0].length,
    kw: layer.k[0][0][0].length,
  };
}

const resized = (m, rows, cols) =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => m?.[r]?.[c] ?? 0));

/**
 * The layer with a new shape: values kept where they still fit, new ones 0.
 * @param {ChannelLayer} layer
 * @param {{cin?: number, cout?: number, h?: number, w?: number, k?: number}} shape k = kernel side
 * @returns {ChannelLayer}
 */
export function reshapeLayer(layer, shape) {
  const old = layerShape(layer);
  const cin = shape.cin ?? old.cin;
  const cout = shape.cout ?? old.cout;
  const h = shape.h ?? old.h;
  const w = shape.w ?? old.w;
  const kh = shape.k ?? old.kh;
  const kw = shape.k ?? old.kw;
  return {
    x: Array.from({ length: cin }, (_, c) => resized(layer.x[c], h, w)),
    k: Array.from({ length: cout }, (_, o) => Array.from({ length: cin }, (_, c) => resized(layer.k[o]?.[c], kh, kw))),
    b: Array.from({ length: cout }, (_, o) => layer.b[o] ?? 0),
    stride: layer.stride,
    padding: layer.padding,
  };
}

/**
 * The body of POST /api/conv2d for the layer (C_in×H×W input, C_out×C_in×kh×kw kernel, bias).
 * @param {ChannelLayer} layer
 */
export function layerRequest(layer) {
  return { input: layer.x, kernel: layer.k, bias: layer.b, stride: layer.stride, padding: layer.padding };
}

/**
 * The body of POST /api/conv2d whose output channel o·C_in + c is the part X[c] ∗ K[o, c]:
 * the same input with C_out·C_in filters, each holding one slice K[o, c] in plane c and zeros
 * in the others, and no bias. The server computes every part with the convolution that makes Y.
 * @param {ChannelLayer} layer
 */
export function partsRequest(layer) {
  const { cin, kh, kw } = layerShape(layer);
  const zeros = () => Array.from({ length: kh }, () => Array(kw).fill(0));
  const kernel = [];
  for (const filter of layer.k) {
    for (let c = 0; c < cin; c++) kernel.push(Array.from({ length: cin }, (_, c2) => (c2 === c ? filter[c] : zeros())));
  }
  return { input: layer.x, kernel, stride: layer.stride, padding: layer.padding };
}

/**
 * Split the parts answer (C_out·C_in maps) into parts[o][c].
 * @param {number[][][]} output (C_out·C_in) × H_out × W_out
 * @returns {number[][][][]} C_out × C_in × H_out × W_out
 */
export function splitParts(output, cin) {
  if (output.length % cin !== 0) throw new Error(`splitParts: ${output.length} maps is not a multiple of C_in = ${cin}`);
  const parts = [];
  for (let i = 0; i < output.length; i += cin) parts.push(output.slice(i, i + cin));
  return parts;
}

/**
 * The body of POST /api/parameters for a conv layer of `filters` filters of C_in·k·k weights.
 * @param {number | [number, number]} kernelSize
 */
export function parametersRequest(cin, filters, kernelSize) {
  return { conv: { in_channels: cin, filters, kernel_size: kernelSize, bias: true } };
}
