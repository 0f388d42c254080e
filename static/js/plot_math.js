// Axis arithmetic for the lab's small plots: linear scales and round tick values. No DOM here.

/**
 * A linear map from a data interval onto a pixel interval.
 * @param {[number, number]} domain data [lo, hi] (equal ends map to the middle of the range)
 * @param {[number, number]} range pixels [from, to] (to may be smaller, e.g. an upward y axis)
 * @returns {(value: number) => number}
 */
export function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/**
 * Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
 * @param {number} lo
 * @param {number} hi
 * @param {number} [count] about how many ticks
 * @returns {number[]}
 */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.ceil(lo / step - 1e-9) * step;
  const ticks = [];
  for (let t = first; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * The [lo, hi] of every finite value of the given series' points along one axis.
 * @param {{points: number[][]}[]} series
 * @param {0 | 1} axis 0 = x, 1 = y
 * @returns {[number, number]} [0, 1] when there are no points
 */
export function seriesExtent(series, axis) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      const v = p[axis];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * A number written for a tick label: integers plainly, others with at most 3 significant digits.
 * @param {number} value
 * @returns {string}
 */
export function tickLabel(value) {
  if (Number.isInteger(value)) return String(value).replace("-", "−");
  return String(Number(value.toPrecision(3))).replace("-", "−");
}
