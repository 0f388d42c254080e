// Colour scales for the lab, as pure functions (no DOM).
//
// diverging: signed values (kernels, feature maps, differences). ColorBrewer RdBu, which stays
//   distinguishable under the common colour-vision deficiencies: negative = blue, zero = near
//   white, positive = red. Symmetric around zero, so the sign is always readable.
// sequential: non-negative activations and probabilities. Viridis (perceptually uniform,
//   colour-blind safe, readable in greyscale).
// Every cell in the lab also prints its number, so colour is never the only carrier.

/** @typedef {[number, number, number]} RGB 0..255 integers */

/** ColorBrewer RdBu (11 classes), from -1 (blue) to +1 (red). */
const RDBU = [
  [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
];

/** Viridis, 10 stops from 0 (dark purple) to 1 (yellow). */
const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];

/**
 * Linear interpolation through a list of colour stops.
 * @param {RGB[]} stops
 * @param {number} t position in [0, 1] (clamped; NaN maps to the middle)
 * @returns {RGB}
 */
export function interpolate(stops, t) {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
  const x = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
}

/**
 * Colour of a signed value on the diverging scale: 0 is near white, ±scale the darkest ends.
 * @param {number} scale the magnitude that maps to the ends (e.g. max |value| of the grid); 0 → 1
 * @returns {RGB}
 */
export function diverging(value, scale) {
  const s = scale > 0 && Number.isFinite(scale) ? scale : 1;
  return interpolate(RDBU, 0.5 + 0.5 * (value / s));
}

/**
 * Colour of a value on the sequential scale between lo and hi.
 * @param {number} lo value mapped to the dark end
 * @param {number} hi value mapped to the bright end (hi <= lo maps everything to the dark end)
 * @returns {RGB}
 */
export function sequential(value, lo, hi) {
  const t = hi > lo ? (value - lo) / (hi - lo) : 0;
  return interpolate(VIRIDIS, t);
}

/**
 * CSS colour string of an RGB triple.
 * @param {RGB} rgb
 * @returns {string} e.g. "rgb(247, 247, 247)"
 */
export function css(rgb) {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

/**
 * A colour moved towards another (e.g. faded towards white for a padding cell).
 * @param {RGB} rgb
 * @param {RGB} other
 * @param {number} t 0 keeps rgb, 1 gives other
 * @returns {RGB}
 */
export function mix(rgb, other, t) {
  return [0, 1, 2].map((k) => Math.round(rgb[k] + (other[k] - rgb[k]) * t));
}

/**
 * WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white).
 * @param {RGB} a
 * @param {RGB} b
 */
export function contrast(a, b) {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * WCAG relative luminance of an sRGB colour.
 * @param {RGB} rgb
 * @returns {number} 0 (black) to 1 (white)
 */
export function luminance(rgb) {
  const lin = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

/**
 * Black or white, whichever reads better on the given background (WCAG relative luminance).
 * The switch at luminance 0.179 is where black and white contrast equally (4.58:1), so every
 * background gets at least 4.58:1; it holds for pure black only (with #111 the backgrounds
 * near the switch fell to 4.35:1, under the 4.5:1 that small text needs).
 * @param {RGB} rgb background
 * @returns {string} "#000" or "#fff"
 */
export function textOn(rgb) {
  return luminance(rgb) > 0.179 ? "#000" : "#fff";
}

/**
 * Largest absolute finite value in a (nested) array of numbers; 0 for an empty one.
 * @param {number[] | number[][] | ArrayLike<number>} values
 */
export function maxAbs(values) {
  const [lo, hi] = extent(values);
  return Math.max(Math.abs(lo), Math.abs(hi));
}

/**
 * Smallest and largest finite value in a (nested) array of numbers.
 * @param {number[] | number[][] | ArrayLike<number>} values
 * @returns {[number, number]} [0, 0] for an empty array
 */
export function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  const visit = (v) => {
    if (typeof v === "number") {
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    } else if (v && typeof v.length === "number") {
      for (let i = 0; i < v.length; i++) visit(v[i]);
    }
  };
  visit(values);
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * A CSS linear-gradient for a legend of the named scale.
 * @param {"diverging" | "sequential"} name
 */
export function gradientCss(name) {
  const stops = name === "diverging" ? RDBU : VIRIDIS;
  const parts = stops.map((c, i) => `${css(c)} ${((100 * i) / (stops.length - 1)).toFixed(1)}%`);
  return `linear-gradient(to right, ${parts.join(", ")})`;
}
