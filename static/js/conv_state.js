// The convolution shared by the Convolution and the Matrix pages (no DOM): its defaults (the
// tutorial's X and K), the check applied to a state restored from a URL or localStorage, and
// the API request it becomes. Both pages save it under one localStorage key, so following the
// navigation link from one page to the other shows the same X and K.

import { CHANNEL_DEFAULTS, cleanChannelLayer, layerRequest } from "./channels.js";
import { TUTORIAL_K, TUTORIAL_X } from "./presets.js";

/** localStorage key of the shared convolution state. */
export const CONV_KEY = "convlab.conv";

/** Padding modes the API accepts, with their labels. */
export const PADDING_MODES = [
  ["zeros", "zeros"],
  ["reflect", "reflect"],
  ["replicate", "replicate"],
  ["circular", "circular"],
];

/** Largest input and kernel sides the pages offer (the API has its own, larger limits). */
export const MAX_INPUT = 16;
export const MAX_KERNEL = 7;

/**
 * @typedef {object} ConvState
 * @property {number[][]} x input
 * @property {number[][]} k kernel
 * @property {number} stride
 * @property {number} padding
 * @property {string} mode padding mode
 * @property {number} dilation
 * @property {boolean} flip true convolution (flipped kernel) instead of cross-correlation
 * @property {"single" | "channels"} view one channel (the tutorial's X and K) or a layer
 * @property {import("./channels.js").ChannelLayer} ch the layer shown in the channels view
 */

/** @type {ConvState} */
export const CONV_DEFAULTS = {
  x: TUTORIAL_X,
  k: TUTORIAL_K,
  stride: 1,
  padding: 0,
  mode: "zeros",
  dilation: 1,
  flip: false,
  view: "single",
  ch: CHANNEL_DEFAULTS,
};

/** A finite number. */
export const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

/** A rectangular matrix of finite numbers, 1 to `max` rows and columns. */
export function isMatrix(m, max) {
  return Array.isArray(m) && m.length >= 1 && m.length <= max && Array.isArray(m[0]) && m[0].length >= 1 &&
    m[0].length <= max && m.every((r) => Array.isArray(r) && r.length === m[0].length && r.every(isNumber));
}

/**
 * Accept a restored state only if every field has the right type and size; settings that
 * are integers but out of the sensible range are kept, so the API's message explains them.
 * @param {any} s candidate (defaults merged in)
 * @returns {ConvState | null}
 */
export function cleanConvState(s) {
  if (!isMatrix(s.x, MAX_INPUT) || !isMatrix(s.k, MAX_KERNEL)) return null;
  for (const key of ["stride", "padding", "dilation"]) {
    if (!Number.isInteger(s[key]) || s[key] < 0 || s[key] > 64) return null;
  }
  if (!PADDING_MODES.some(([m]) => m === s.mode)) return null;
  if (typeof s.flip !== "boolean") return null;
  // a link from before the channels view, or a damaged layer, falls back to the default layer
  const view = s.view === "channels" ? "channels" : "single";
  const ch = cleanChannelLayer(s.ch) ?? structuredClone(CHANNEL_DEFAULTS);
  return { x: s.x, k: s.k, stride: s.stride, padding: s.padding, mode: s.mode, dilation: s.dilation, flip: s.flip, view, ch };
}

/**
 * The body of POST /api/conv2d for the view shown: the single-channel X and K with every
 * setting, or the channels layer (C_in×H×W input, C_out×C_in×k×k kernel, bias).
 * @param {ConvState} s
 */
export function viewRequest(s) {
  return s.view === "channels" ? layerRequest(s.ch) : convRequest(s);
}

/**
 * The body of POST /api/conv2d (and of /explain, /matrix, which add to it).
 * @param {ConvState} s
 */
export function convRequest(s) {
  return {
    input: s.x,
    kernel: s.k,
    stride: s.stride,
    padding: s.padding,
    padding_mode: s.mode,
    dilation: s.dilation,
    flip_kernel: s.flip,
  };
}
