// The one colour scale of kernel weights, shared by every page that shows a kernel K or the
// matrix M built from it (Convolution, Convolution as a matrix, Backward), so a weight of value
// v has the same colour everywhere the same K is shown. Pure functions, no DOM.
//
// The scale is the diverging one of colors.js (blue −, near white 0, red +), symmetric around 0,
// with its ends at ±max|K| over the WHOLE kernel (every filter and slice of a layer), so slices
// of one layer are comparable and M (whose entries are K's weights) matches K entry for entry.

import { diverging, maxAbs } from "./colors.js";

/**
 * Magnitude that maps to the ends of the scale: max |w| over every weight; 1 for an all-zero K.
 * @param {number[] | number[][] | number[][][][]} weights K, one slice or a whole layer's filters
 */
export function weightBound(weights) {
  const m = maxAbs(weights);
  return m > 0 ? m : 1;
}

/**
 * The colour domain [−b, b] of a kernel (what a NumberGrid of K takes as `domain`).
 * @param {number[] | number[][] | number[][][][]} weights
 * @returns {[number, number]}
 */
export function weightDomain(weights) {
  const b = weightBound(weights);
  return [-b, b];
}

/**
 * Colour of one weight (or a matrix entry holding it) on the kernel's scale.
 * @param {number} bound from weightBound(K)
 * @returns {import("./colors.js").RGB}
 */
export function weightColor(value, bound) {
  return diverging(value, bound);
}
