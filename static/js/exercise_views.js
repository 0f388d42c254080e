// What a lesson page loads into its own widgets when a Your-turn exercise is revealed:
// the exercise's numbers turned into the page's state. No DOM here; the page modules apply it.
// Each function takes the exercise's `inputs` (GET /api/exercises/{id}) and the page's current
// state, and returns the new state (or the parts of it the exercise sets).

/**
 * A rows×cols copy of `m`: the overlapping part kept, new cells 0 (the exercise fixes the
 * sizes, the student's numbers stay where they fit).
 */
export function resized(m, rows, cols) {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => m[i]?.[j] ?? 0));
}

/**
 * A rows×cols matrix of zeros with a 1 at `cell`.
 * @param {[number, number]} cell 0-based
 */
export function oneHot(rows, cols, [r, c]) {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === r && j === c ? 1 : 0)));
}

/** The output side of a convolution, ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (Dumoulin & Visin 2016). */
export function convSide(h, k, s, p, d = 1) {
  return Math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** The exercises the equivariance page shows, and how: the image, kernel, stride and shift. */
const IDENTITY = [[1]];

/**
 * The equivariance page's state for a shift or pooling exercise, or null for other kinds.
 * Pooling exercises use the 1×1 kernel [1], so conv(x) = x and the page's pooled maps are the
 * max pooling of the exercise's X itself.
 * @param {{image: number[][]}} current the page's state (pooled-size keeps its image, resized)
 * @returns {{image: number[][], kernel: number[][], stride: number, dx: number, dy: number, pool: "max"} | null}
 */
export function equivarianceExercise(id, inputs, current) {
  switch (id) {
    case "feature-shift":
      return { image: inputs.input, kernel: inputs.kernel, stride: inputs.stride, dx: inputs.dx, dy: inputs.dy, pool: "max" };
    case "pool-shift":
      return { image: inputs.input, kernel: IDENTITY, stride: 1, dx: inputs.dx, dy: inputs.dy, pool: "max" };
    case "max-pool-value":
      return { image: inputs.input, kernel: IDENTITY, stride: 1, dx: 0, dy: 0, pool: "max" };
    case "pooled-size":
      return { image: resized(current.image, inputs.size[0], inputs.size[1]), kernel: IDENTITY, stride: 1, dx: 0, dy: 0, pool: "max" };
    default:
      return null;
  }
}

/**
 * The cells of one k×k pooling window (stride k) of output cell [i, j].
 * @param {[number, number]} cell
 * @returns {Array<[number, number]>}
 */
export function poolWindow([i, j], k) {
  const cells = [];
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) cells.push([i * k + a, j * k + b]);
  return cells;
}

/**
 * Where the largest value of a matrix is (the first one, row by row).
 * @returns {[number, number]}
 */
export function argmax(m) {
  let best = [0, 0];
  m.forEach((row, i) => row.forEach((v, j) => {
    if (v > m[best[0]][best[1]]) best = [i, j];
  }));
  return best;
}

/**
 * The shared convolution state (Convolution and Matrix pages) for an output-size or
 * weight-sharing exercise: X and K resized to the exercise's sizes (the student's numbers kept
 * where they fit), its stride, padding and dilation; C input channels use the channels view.
 * @param {import("./conv_state.js").ConvState} current
 * @returns {import("./conv_state.js").ConvState | null}
 */
export function convExercise(id, inputs, current) {
  if (id !== "output-size" && id !== "weight-sharing") return null;
  const { size, kernel: k, stride, padding } = inputs;
  const x = resized(current.x, size, size);
  const kernel = resized(current.k, k, k);
  const settings = { stride, padding, mode: "zeros", dilation: inputs.dilation ?? 1, flip: false };
  const channels = inputs.in_channels ?? 1;
  if (channels === 1) return { ...current, ...settings, x, k: kernel, view: "single" };
  const ch = {
    x: Array.from({ length: channels }, (_, c) => resized(current.ch.x[c] ?? current.x, size, size)),
    k: [Array.from({ length: channels }, (_, c) => resized(current.ch.k[0]?.[c] ?? current.k, k, k))],
    b: [0],
    stride,
    padding,
  };
  return { ...current, ...settings, x, k: kernel, view: "channels", ch };
}
