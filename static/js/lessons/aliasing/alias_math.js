// The numbers the aliasing lesson states, computed from API answers. No DOM here.

/**
 * Relative change ‖b − a‖ / ‖a‖ of two equally long arrays (0 when a is all zero and b too,
 * Infinity when only a is).
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 */
export function relativeChange(a, b) {
  if (a.length !== b.length) throw new Error(`relativeChange: lengths ${a.length} and ${b.length} differ`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (b[i] - a[i]) ** 2;
    norm += a[i] ** 2;
  }
  if (norm === 0) return diff === 0 ? 0 : Infinity;
  return Math.sqrt(diff / norm);
}

/**
 * The channel of a (C, H, W) row-major map with the largest sum.
 * @param {ArrayLike<number>} values
 * @param {number[]} shape [C, H, W]
 */
export function mostActiveChannel(values, shape) {
  const [c, h, w] = shape;
  let best = 0;
  let bestSum = -Infinity;
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let i = k * h * w; i < (k + 1) * h * w; i++) sum += values[i];
    if (sum > bestSum) [best, bestSum] = [k, sum];
  }
  return best;
}

/**
 * One channel of a (C, H, W) row-major map as an H×W Float32Array.
 * @param {ArrayLike<number>} values
 * @param {number[]} shape [C, H, W]
 * @returns {Float32Array}
 */
export function channelOf(values, shape, channel) {
  const [, h, w] = shape;
  return Float32Array.from(Array.prototype.slice.call(values, channel * h * w, (channel + 1) * h * w));
}

/**
 * The largest |p[i + 1] − p[i]| along a sequence of probabilities, and where.
 * @returns {{jump: number, at: number}} at: the index i of the step i → i + 1
 */
export function largestStep(probabilities) {
  let jump = 0;
  let at = 0;
  for (let i = 0; i + 1 < probabilities.length; i++) {
    const step = Math.abs(probabilities[i + 1] - probabilities[i]);
    if (step > jump) [jump, at] = [step, i];
  }
  return { jump, at };
}

/**
 * The model names ordered from most to least consistent (same_prediction, then mean |ΔP|).
 * @param {Record<string, {same_prediction: number, mean_abs_delta_p_true: number}>} models
 */
export function byConsistency(models) {
  return Object.keys(models).sort((a, b) => {
    const d = models[b].same_prediction - models[a].same_prediction;
    return d !== 0 ? d : models[a].mean_abs_delta_p_true - models[b].mean_abs_delta_p_true;
  });
}
