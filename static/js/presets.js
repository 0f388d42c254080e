// Presets as data (no DOM): the tutorial's X and K, classic kernels, and small images.

/** Tutorial 3A, Question 3a: the 4×4 input X. */
export const TUTORIAL_X = [
  [1, 2, 0, 1],
  [0, 1, 3, 1],
  [2, 2, 1, 0],
  [1, 0, 2, 2],
];

/** Tutorial 3A, Question 3a: the 2×2 kernel K (X ∗ K = [[0,5,0],[1,−1,2],[0,3,3]]). */
export const TUTORIAL_K = [
  [1, -1],
  [0, 1],
];

/**
 * @typedef {object} KernelPreset
 * @property {string} id stable identifier (used in URLs and tests)
 * @property {string} name button text
 * @property {string} description one line: what it does
 * @property {number[][]} kernel
 */

/** @type {KernelPreset[]} */
export const KERNEL_PRESETS = [
  { id: "tutorial", name: "Tutorial K", description: "the 2×2 kernel of Question 3a", kernel: TUTORIAL_K },
  { id: "identity", name: "Identity", description: "copies the centre pixel: output = input",
    kernel: [[0, 0, 0], [0, 1, 0], [0, 0, 0]] },
  { id: "box", name: "Box blur", description: "the average of the 3×3 neighbourhood",
    kernel: [[1 / 9, 1 / 9, 1 / 9], [1 / 9, 1 / 9, 1 / 9], [1 / 9, 1 / 9, 1 / 9]] },
  { id: "sobel-x", name: "Sobel x", description: "responds to vertical edges (change along x)",
    kernel: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] },
  { id: "sobel-y", name: "Sobel y", description: "responds to horizontal edges (change along y)",
    kernel: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]] },
  { id: "laplacian", name: "Laplacian", description: "second derivative: spots and outlines",
    kernel: [[0, 1, 0], [1, -4, 1], [0, 1, 0]] },
  { id: "sharpen", name: "Sharpen", description: "identity plus a Laplacian: crisper edges",
    kernel: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]] },
];

/** Edge detectors for the equivariance page. @type {KernelPreset[]} */
export const EDGE_PRESETS = [
  KERNEL_PRESETS.find((p) => p.id === "sobel-x"),
  KERNEL_PRESETS.find((p) => p.id === "sobel-y"),
  { id: "diff-x", name: "[−1 1]", description: "the simplest vertical-edge detector", kernel: [[-1, 1]] },
  KERNEL_PRESETS.find((p) => p.id === "laplacian"),
];

/**
 * @typedef {object} ImagePreset
 * @property {string} id
 * @property {string} name
 * @property {string[]} rows "#" = 1, "+" = 0.5, "." = 0
 */

/** Small binary images (12×12) for the equivariance page. @type {ImagePreset[]} */
export const IMAGE_PRESETS = [
  { id: "bar", name: "Vertical bar", rows: [
    "............",
    "............",
    "....#.......",
    "....#.......",
    "....#.......",
    "....#.......",
    "....#.......",
    "....#.......",
    "....#.......",
    "....#.......",
    "............",
    "............",
  ] },
  { id: "one", name: "Digit 1", rows: [
    "............",
    "............",
    ".....##.....",
    "....###.....",
    "...#.##.....",
    ".....##.....",
    ".....##.....",
    ".....##.....",
    ".....##.....",
    "....####....",
    "............",
    "............",
  ] },
  { id: "seven", name: "Digit 7", rows: [
    "............",
    "............",
    "...######...",
    "........#...",
    ".......#....",
    ".......#....",
    "......#.....",
    "......#.....",
    ".....#......",
    ".....#......",
    "............",
    "............",
  ] },
  { id: "corner", name: "Corner", rows: [
    "............",
    "............",
    "............",
    "...#........",
    "...#........",
    "...#........",
    "...#........",
    "...######...",
    "............",
    "............",
    "............",
    "............",
  ] },
  { id: "diagonal", name: "Diagonal stroke", rows: [
    "............",
    "............",
    "..#.........",
    "...#........",
    "....#.......",
    ".....#......",
    "......#.....",
    ".......#....",
    "........#...",
    "............",
    "............",
    "............",
  ] },
];

/**
 * Turn an image preset into a matrix of 0, 0.5 and 1.
 * @param {ImagePreset} preset
 */
export function imageOf(preset) {
  return preset.rows.map((row) => [...row].map((ch) => (ch === "#" ? 1 : ch === "+" ? 0.5 : 0)));
}
