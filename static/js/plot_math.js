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
 * @param {number} [count] about how many ticks
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

/** A number written for a tick label: integers plainly, others with at most 3 significant digits. */
export function tickLabel(value) {
  if (Number.isInteger(value)) return String(value).replace("-", "−");
  return String(Number(value.toPrecision(3))).replace("-", "−");
}

/**
 * A logarithmic map from a positive data interval onto a pixel interval (for sizes such as the
 * number of training examples N = 100 … 10,000, where each decade gets the same width).
 * @param {[number, number]} domain data [lo, hi], both > 0
 * @param {[number, number]} range pixels [from, to]
 * @returns {(value: number) => number} NaN for values ≤ 0
 */
export function logScale(domain, range) {
  const [d0, d1] = domain;
  if (!(d0 > 0 && d1 > 0)) throw new Error(`a log scale needs a positive domain, got [${d0}, ${d1}]`);
  const inner = linearScale([Math.log10(d0), Math.log10(d1)], range);
  return (value) => (value > 0 ? inner(Math.log10(value)) : Number.NaN);
}

/**
 * Round tick values for a log axis over [lo, hi] (lo > 0): 1, 2, 5 × 10^k over at most
 * one and a half decades, 1, 3 × 10^k up to three decades, powers of ten beyond.
 */
export function logTicks(lo, hi) {
  if (!(lo > 0 && hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  const decades = Math.log10(hi / lo);
  const mantissas = decades <= 1.5 ? [1, 2, 5] : decades <= 3 ? [1, 3] : [1];
  const ticks = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of mantissas) {
      const t = Number((m * 10 ** k).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks;
}

/**
 * Move label positions apart so that neighbours are at least `gap` apart, changing them as
 * little as possible (each cluster of overlapping labels is centred on its members' mean),
 * and keep them inside [lo, hi]. The order of the labels is kept.
 * Used for direct labels at the right end of lines that end close together.
 * @param {number[]} positions wanted positions (any order)
 * @param {number} gap smallest distance between two labels
 * @param {number} lo smallest allowed position
 * @param {number} hi largest allowed position
 * @returns {number[]} adjusted positions, in the input's order
 */
export function spreadLabels(positions, gap, lo, hi) {
  const order = positions.map((p, i) => [p, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // clusters of consecutive labels, each laid out with spacing `gap` around the mean wanted position
  /** @type {{start: number, members: number[], sum: number}[]} */
  const clusters = [];
  for (const [p, i] of order) {
    clusters.push({ start: p, members: [i], sum: p });
    // merge while the last cluster overlaps the one before it
    for (;;) {
      const n = clusters.length;
      if (n < 2) break;
      const a = clusters[n - 2];
      const b = clusters[n - 1];
      if (a.start + gap * a.members.length <= b.start) break;
      const members = [...a.members, ...b.members];
      const sum = a.sum + b.sum;
      const centre = sum / members.length;
      clusters.splice(n - 2, 2, { start: centre - (gap * (members.length - 1)) / 2, members, sum });
    }
  }
  const placed = clusters.flatMap((c) => c.members.map((m, k) => [m, c.start + k * gap]));
  // keep inside [lo, hi]: push up from lo, then down from hi; if they cannot all fit, start at lo
  for (let k = 0; k < placed.length; k++) {
    placed[k][1] = Math.max(placed[k][1], k === 0 ? lo : placed[k - 1][1] + gap);
  }
  for (let k = placed.length - 1; k >= 0; k--) {
    placed[k][1] = Math.min(placed[k][1], k === placed.length - 1 ? hi : placed[k + 1][1] - gap);
  }
  if (placed.length && placed[0][1] < lo) placed.forEach((entry, k) => { entry[1] = lo + k * gap; });
  const result = new Array(positions.length);
  for (const [m, q] of placed) result[m] = q;
  return result;
}
