// Q2a, the morph, as data (no DOM): two drawings' activations (decoded layers of POST
// /api/mnist/activations), compared position by position in every layer: where the feature
// maps differ and where they stay the same, counted only on the strokes of A or B (the
// background, quiet or not, says nothing about shared strokes).

/** A position counts as active / changed above this fraction of the layer's largest |value|. */
export const THRESHOLD = 0.1;

/**
 * @typedef {object} LayerDiff
 * @property {string} name
 * @property {number} rows
 * @property {number} cols
 * @property {Float32Array} map per position: d ∈ (0, 1] where the maps differ (d = max over
 *   channels of |a − b| / M), −s ∈ [−1, 0) where they are active and the same (s = activity / M),
 *   0 where both are quiet; M = the largest |value| of the layer in either drawing
 * @property {number} active positions counted: where either drawing is active (and, given a
 *   stroke mask, on a stroke of A or B)
 * @property {number} changed counted positions where the two differ
 * @property {number} same counted positions that stay the same
 */

/**
 * Compare one layer of drawing A with the same layer of drawing B.
 * @param {{name: string, shape: number[], values: Float32Array}} a (C, H, W)
 * @param {{name: string, shape: number[], values: Float32Array}} b the same shape
 * @param {Uint8Array | null} [onStroke] rows×cols, 1 where a stroke of A or B lies (strokeMask):
 *   positions off the strokes (background) are left out of the counts and the map
 * @returns {LayerDiff}
 */
export function diffLayer(a, b, threshold = THRESHOLD, onStroke = null) {
  if (a.shape.length !== 3 || a.shape.join("x") !== b.shape.join("x")) {
    throw new Error(`cannot compare ${a.name} ${a.shape.join("×")} with ${b.name} ${b.shape.join("×")}`);
  }
  const [channels, rows, cols] = a.shape;
  const plane = rows * cols;
  let scale = 0;
  for (let i = 0; i < a.values.length; i++) scale = Math.max(scale, Math.abs(a.values[i]), Math.abs(b.values[i]));
  const map = new Float32Array(plane);
  let active = 0;
  let changed = 0;
  if (scale > 0) {
    for (let p = 0; p < plane; p++) {
      if (onStroke && !onStroke[p]) continue;
      let diff = 0;
      let strength = 0;
      for (let c = 0; c < channels; c++) {
        const va = a.values[c * plane + p];
        const vb = b.values[c * plane + p];
        diff = Math.max(diff, Math.abs(va - vb));
        strength = Math.max(strength, Math.abs(va), Math.abs(vb));
      }
      if (strength / scale <= threshold) continue;
      active += 1;
      if (diff / scale > threshold) {
        changed += 1;
        map[p] = diff / scale;
      } else {
        map[p] = -strength / scale;
      }
    }
  }
  return { name: a.name, rows, cols, map, active, changed, same: active - changed };
}

/**
 * Compare the chosen layers of two activation answers (matched by name).
 * @param {Array<{name: string, shape: number[], values: Float32Array}>} layersA
 * @param {Array<{name: string, shape: number[], values: Float32Array}>} layersB
 * @param {string[]} names e.g. ["input", "relu1", "relu2", "relu3", "pool3"]
 * @returns {LayerDiff[]}
 */
export function diffLayers(layersA, layersB, names) {
  const find = (layers, name) => {
    const layer = layers.find((l) => l.name === name);
    if (!layer) throw new Error(`layer ${name} is missing from an answer`);
    return layer;
  };
  const ink = inkMask(find(layersA, "input"), find(layersB, "input"));
  return names.map((name) => {
    const a = find(layersA, name);
    const b = find(layersB, name);
    return diffLayer(a, b, THRESHOLD, strokeMask(ink, a.shape[1], a.shape[2]));
  });
}

/**
 * Where either input holds ink: 1 where a pixel of A or B is above THRESHOLD of the way from
 * its background (its smallest value) to its darkest ink.
 * @param {{shape: number[], values: Float32Array}} a the input layer (1, H, W)
 * @param {{shape: number[], values: Float32Array}} b
 * @returns {{rows: number, cols: number, mask: Uint8Array}}
 */
export function inkMask(a, b) {
  const [, rows, cols] = a.shape;
  const mask = new Uint8Array(rows * cols);
  for (const layer of [a, b]) {
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of layer.values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    if (!(hi > lo)) continue;
    for (let p = 0; p < rows * cols; p++) if ((layer.values[p] - lo) / (hi - lo) > THRESHOLD) mask[p] = 1;
  }
  return { rows, cols, mask };
}

/**
 * The ink mask at a layer's resolution: a position is on a stroke when any input pixel of the
 * block it covers (rows/H of the input per position) holds ink of A or B.
 * @param {{rows: number, cols: number, mask: Uint8Array}} ink
 * @returns {Uint8Array}
 */
export function strokeMask(ink, rows, cols) {
  const out = new Uint8Array(rows * cols);
  for (let y = 0; y < ink.rows; y++) {
    for (let x = 0; x < ink.cols; x++) {
      if (!ink.mask[y * ink.cols + x]) continue;
      const r = Math.min(rows - 1, Math.floor((y * rows) / ink.rows));
      const c = Math.min(cols - 1, Math.floor((x * cols) / ink.cols));
      out[r * cols + c] = 1;
    }
  }
  return out;
}

/**
 * Where in the map the changes are, in words ("top left", "centre", "everywhere"): the
 * bounding box of the changed positions, in thirds of the map.
 * @param {LayerDiff} d
 */
export function whereChanged(d) {
  let [top, left, bottom, right] = [d.rows, d.cols, -1, -1];
  for (let r = 0; r < d.rows; r++) {
    for (let c = 0; c < d.cols; c++) {
      if (d.map[r * d.cols + c] > 0) {
        top = Math.min(top, r);
        bottom = Math.max(bottom, r);
        left = Math.min(left, c);
        right = Math.max(right, c);
      }
    }
  }
  if (bottom < 0) return "nowhere";
  const third = (v, n) => Math.min(2, Math.floor((3 * v) / n));
  const rows = ["top", "middle", "bottom"];
  const cols = ["left", "centre", "right"];
  const span = (lo, hi, names, n) => {
    const [a, b] = [third(lo, n), third(hi, n)];
    return a === b ? names[a] : b - a === 2 ? "" : `${names[a]}–${names[b]}`;
  };
  const vertical = span(top, bottom, rows, d.rows);
  const horizontal = span(left, right, cols, d.cols);
  if (!vertical && !horizontal) return "";
  return `in the ${[vertical, horizontal].filter(Boolean).join(", ")}`;
}

/**
 * The pad's picture as the 28×28 image the API takes, without MNIST's re-centring: each
 * output pixel is the mean ink (1 − grey/255) of a factor×factor block, so two drawings on
 * the same pad keep their shared strokes at the same pixels.
 * @param {Uint8ClampedArray} rgba the pad's ImageData data (width×height×4)
 * @param {number} [size] output side (default 28)
 * @returns {number[][]} size×size values in [0, 1]
 */
export function padImage(rgba, width, height, size = 28) {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width}×${height} RGBA pixels, got ${rgba.length / 4}`);
  if (width % size !== 0 || height % size !== 0) throw new Error(`a ${width}×${height} pad does not shrink evenly to ${size}×${size}`);
  const [fx, fy] = [width / size, height / size];
  const out = Array.from({ length: size }, () => new Array(size).fill(0));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      const grey = (rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3;
      out[Math.floor(y / fy)][Math.floor(x / fx)] += 1 - grey / 255;
    }
  }
  const n = fx * fy;
  return out.map((row) => row.map((v) => Math.round((1000 * v) / n) / 1000));
}
