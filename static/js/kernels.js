// Putting a hand-made kernel (presets.js: Sobel, Laplacian, ...) into a layer whose kernels are
// k×k: the small kernel sits in the centre of a zero k×k. No DOM here.

/**
 * A kernel centred in a zero k×k matrix (an even-sized kernel sits up and left of centre).
 * @param {number[][]} kernel the small kernel (h×w, at most k×k)
 * @param {number} k side of the layer's kernels
 * @throws {Error} when the kernel is larger than k×k
 */
export function embedKernel(kernel, k) {
  if (!Number.isInteger(k) || k < 1) throw new Error(`kernel side must be a positive integer, got ${k}`);
  const h = kernel.length;
  const w = kernel[0].length;
  if (h > k || w > k) throw new Error(`a ${h}×${w} kernel does not fit in ${k}×${k}`);
  const out = Array.from({ length: k }, () => new Array(k).fill(0));
  const top = Math.floor((k - h) / 2);
  const left = Math.floor((k - w) / 2);
  kernel.forEach((row, i) => row.forEach((v, j) => {
    out[i + top][j + left] = Number(v.toFixed(4));
  }));
  return out;
}
