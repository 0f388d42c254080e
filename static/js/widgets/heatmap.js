// A heatmap that owns its canvas: one canvas pixel per value, scaled up by CSS
// (image-rendering: pixelated), pixels written with ImageData. After tensorflow/playground's
// heatmap.ts. Colours come from colors.js; numbers come from the API.

import { diverging, extent, maxAbs, sequential } from "../colors.js";
import { el } from "../dom.js";

/**
 * @typedef {object} HeatmapOptions
 * @property {number} rows data height (canvas height in pixels)
 * @property {number} cols data width (canvas width in pixels)
 * @property {"diverging" | "sequential" | ((value: number, lo: number, hi: number) => number[])} [scale]
 *   colour scale; "diverging" is symmetric around 0 (default "sequential")
 * @property {[number, number] | null} [domain] fixed [lo, hi]; null = from the data each draw
 * @property {string} [label] accessible name, also used in error messages
 * @property {number} [displayWidth] CSS width in px (height follows the aspect ratio)
 * @property {string} [className] extra CSS class on the canvas
 */

/** One data-sized canvas showing a rows×cols grid of numbers as colours. */
export class Heatmap {
  /**
   * @param {HTMLElement} container the canvas is appended to it
   * @param {HeatmapOptions} options
   */
  constructor(container, options) {
    if (!(container instanceof HTMLElement)) throw new Error("Heatmap needs a container element");
    this.options = { scale: "sequential", domain: null, label: "heatmap", ...options };
    this.canvas = el("canvas", { className: `heatmap ${this.options.className || ""}`.trim(), role: "img", "aria-label": this.options.label });
    this.context = this.canvas.getContext("2d");
    /** @type {[number, number]} the [lo, hi] of the last draw */
    this.lastDomain = [0, 0];
    this.resize(this.options.rows, this.options.cols);
    container.appendChild(this.canvas);
  }

  /** @returns {number} */
  get rows() {
    return this.canvas.height;
  }

  /** @returns {number} */
  get cols() {
    return this.canvas.width;
  }

  /** Change the data size (clears the picture). */
  resize(rows, cols) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new Error(`Heatmap "${this.options.label}": size must be positive integers, got ${rows}×${cols}`);
    }
    this.canvas.width = cols;
    this.canvas.height = rows;
    this.image = this.context.createImageData(cols, rows);
    const width = this.options.displayWidth;
    if (width) {
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${(width * rows) / cols}px`;
    }
    this.canvas.style.aspectRatio = `${cols} / ${rows}`;
  }

  /**
   * Draw a rows×cols grid of values.
   * @param {number[][] | ArrayLike<number>} values nested rows, or a flat row-major array
   * @param {{domain?: [number, number] | null}} [options] override the colour domain for this draw
   * @returns {[number, number]} the [lo, hi] domain used
   * @throws {Error} when the values are not rows×cols
   */
  draw(values, options = {}) {
    const flat = this.#flatten(values);
    const domain = options.domain ?? this.options.domain ?? this.#autoDomain(flat);
    const [lo, hi] = domain;
    const scale = this.options.scale;
    const colour =
      scale === "diverging"
        ? (v) => diverging(v, Math.max(Math.abs(lo), Math.abs(hi)))
        : scale === "sequential"
          ? (v) => sequential(v, lo, hi)
          : (v) => scale(v, lo, hi);
    const pixels = this.image.data;
    for (let i = 0; i < flat.length; i++) {
      const rgb = colour(flat[i]);
      pixels[4 * i] = rgb[0];
      pixels[4 * i + 1] = rgb[1];
      pixels[4 * i + 2] = rgb[2];
      pixels[4 * i + 3] = 255;
    }
    this.context.putImageData(this.image, 0, 0);
    this.lastDomain = [lo, hi];
    return this.lastDomain;
  }

  /**
   * The data cell under a pointer position, or null outside the canvas.
   * @returns {{row: number, col: number} | null}
   */
  cellAt(clientX, clientY) {
    const box = this.canvas.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    const col = Math.floor(((clientX - box.left) / box.width) * this.cols);
    const row = Math.floor(((clientY - box.top) / box.height) * this.rows);
    if (row < 0 || col < 0 || row >= this.rows || col >= this.cols) return null;
    return { row, col };
  }

  #flatten(values) {
    const { rows, cols } = this;
    const label = this.options.label;
    if (values && Array.isArray(values[0])) {
      const width = values[0].length;
      if (values.length !== rows || values.some((r) => r.length !== width) || width !== cols) {
        const bad = values.find((r) => r.length !== width);
        const got = bad ? "a ragged array" : `${values.length}×${width}`;
        throw new Error(`Heatmap "${label}" expects ${rows}×${cols} values, got ${got}`);
      }
      return values.flat();
    }
    if (!values || values.length !== rows * cols) {
      const n = values ? values.length : 0;
      throw new Error(`Heatmap "${label}" expects ${rows * cols} values (${rows}×${cols}), got ${n}`);
    }
    return values;
  }

  #autoDomain(flat) {
    if (this.options.scale === "diverging") {
      const m = maxAbs(flat);
      return [-m, m];
    }
    return extent(flat);
  }
}
