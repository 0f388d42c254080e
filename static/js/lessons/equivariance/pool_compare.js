// Q5a, pooling against convolution, as data (no DOM): from an image x and the arg-max of its
// 2×2 max pooling (from POST /api/pool) build x̃, a different image with the same max-pooled
// output (each window keeps only its winner), and compare what the API returns for both.

/**
 * x̃: zeros everywhere except the cell that won each pooling window, which keeps its value.
 * Max pooling cannot tell x̃ from x when x ≥ 0; a convolution can.
 * @param {number[][]} image H×W, values ≥ 0
 * @param {number[][][]} argmax H_out×W_out of [row, col] (the API's `argmax`)
 * @returns {number[][]} H×W
 */
export function keepWinners(image, argmax) {
  if (image.some((row) => row.some((v) => v < 0))) throw new Error("keepWinners needs an image with no negative value");
  const out = image.map((row) => row.map(() => 0));
  for (const row of argmax) {
    for (const [r, c] of row) out[r][c] = image[r][c];
  }
  return out;
}

/** −x, element by element. */
export function negate(m) {
  return m.map((row) => row.map((v) => (v === 0 ? 0 : -v)));
}

/** Largest |a − b| over two equally sized matrices; throws when the sizes differ. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length || a[0].length !== b[0].length) {
    throw new Error(`cannot compare ${a.length}×${a[0].length} with ${b.length}×${b[0].length}`);
  }
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

/** Number of cells where |a − b| > tol. */
export function countDiffering(a, b, tol = 1e-9) {
  let n = 0;
  a.forEach((row, i) => row.forEach((v, j) => (n += Math.abs(v - b[i][j]) > tol ? 1 : 0)));
  return n;
}

/**
 * A C_out×C_in×kh×kw kernel that applies K to each of `channels` channels on its own
 * (block diagonal), so one conv2d request convolves several images with the same K.
 * @param {number[][]} kernel kh×kw
 * @returns {number[][][][]}
 */
export function perChannelKernel(kernel, channels) {
  const zeros = kernel.map((row) => row.map(() => 0));
  return Array.from({ length: channels }, (_, o) =>
    Array.from({ length: channels }, (_, i) => (o === i ? kernel : zeros).map((row) => row.slice())));
}

/**
 * The comparison, in numbers, from the API's answers.
 * @param {{x: number[][], xt: number[][], poolX: number[][], poolXt: number[][], poolNeg: number[][],
 *   convX: number[][], convXt: number[][], convNeg: number[][]}} r
 * @returns {{changedPixels: number, poolDiff: number, convDiff: number, convCellsDiffering: number,
 *   convCells: number, poolNegGap: number, poolNegCells: number, convNegGap: number}}
 */
export function compare(r) {
  return {
    changedPixels: countDiffering(r.x, r.xt),
    poolDiff: maxAbsDiff(r.poolX, r.poolXt),
    convDiff: maxAbsDiff(r.convX, r.convXt),
    convCellsDiffering: countDiffering(r.convX, r.convXt),
    convCells: r.convX.length * r.convX[0].length,
    // linear: conv(−x) = −conv(x); max pooling: pool(−x) ≠ −pool(x) wherever a window is mixed
    poolNegGap: maxAbsDiff(r.poolNeg, negate(r.poolX)),
    poolNegCells: countDiffering(r.poolNeg, negate(r.poolX)),
    convNegGap: maxAbsDiff(r.convNeg, negate(r.convX)),
  };
}
