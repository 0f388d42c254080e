// Decoding the 8-bit layer dumps of POST /api/mnist/activations. No DOM here.
//
// Each layer arrives as {name, kind, shape, min, max, scale, data}: data is base64 of uint8
// codes q in row-major (C, H, W) order and a value is min + q × scale.

/**
 * @typedef {object} DecodedLayer
 * @property {string} name e.g. "conv1"
 * @property {string} kind "input" | "conv" | "relu" | "pool" | "flatten" | "linear"
 * @property {number[]} shape (C, H, W) for feature maps, (N,) for vectors
 * @property {number} min
 * @property {number} max
 * @property {Float32Array} values min + q × scale, row-major
 */

/**
 * Bytes of a base64 string.
 * @returns {Uint8Array}
 */
export function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Decode one layer; throws an Error when the byte count does not match the shape.
 * @param {{name: string, kind: string, shape: number[], min: number, max: number,
 *   scale: number, data: string}} layer
 * @returns {DecodedLayer}
 */
export function decodeLayer(layer) {
  const codes = base64Bytes(layer.data);
  const expected = layer.shape.reduce((a, b) => a * b, 1);
  if (codes.length !== expected) {
    throw new Error(
      `layer ${layer.name}: ${codes.length} bytes for shape ${layer.shape.join("×")} (${expected} expected)`,
    );
  }
  const values = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) values[i] = layer.min + codes[i] * layer.scale;
  return {
    name: layer.name,
    kind: layer.kind,
    shape: [...layer.shape],
    min: layer.min,
    max: layer.max,
    values,
  };
}

/**
 * The H×W map of channel c of a (C, H, W) layer, as a view on its values (no copy).
 * @param {DecodedLayer} layer
 * @returns {Float32Array}
 */
export function channel(layer, c) {
  if (layer.shape.length !== 3) throw new Error(`layer ${layer.name} is not a stack of maps`);
  const [channels, h, w] = layer.shape;
  if (!(c >= 0 && c < channels)) throw new Error(`layer ${layer.name} has no channel ${c}`);
  return layer.values.subarray(c * h * w, (c + 1) * h * w);
}
