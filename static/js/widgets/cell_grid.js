// A grid of cells on one canvas that owns it: the units of a layer, or the pixels of an input,
// with a highlighted region (the part inside the grid filled, the whole region outlined even
// where it runs into the padding) and an optional selected cell that a click or the arrow
// keys move. Sized for grids from 1×1 to a few hundred cells a side.

import { el } from "../dom.js";

/**
 * @typedef {object} Region inclusive [first, last] ranges of rows and columns
 * @property {[number, number]} rows
 * @property {[number, number]} cols
 */

/** Events: "select" (detail: {row, col}) when the selected cell changes by click or key. */
export class CellGrid extends EventTarget {
  /**
   * @param {HTMLElement} container the canvas is appended to it
   * @param {{label: string, side?: number, margin?: number, selectable?: boolean}} options
   *   side: CSS size in px of the longer side; margin: room around the grid, as a fraction of
   *   the side, where regions running into the padding are drawn
   */
  constructor(container, options) {
    super();
    if (!(container instanceof HTMLElement)) throw new Error("CellGrid needs a container element");
    this.options = { side: 300, margin: 0, selectable: false, ...options };
    this.canvas = el("canvas", { className: "cell-grid", role: "img", "aria-label": this.options.label });
    this.context = this.canvas.getContext("2d");
    this.rows = 1;
    this.cols = 1;
    /** @type {[number, number] | null} */
    this.selected = null;
    /** @type {Region | null} */
    this.region = null;
    /** @type {Region | null} */
    this.inside = null;
    if (this.options.selectable) {
      this.canvas.tabIndex = 0;
      this.canvas.setAttribute("role", "application");
      this.canvas.addEventListener("click", (e) => this.#click(e));
      this.canvas.addEventListener("keydown", (e) => this.#key(e));
    }
    container.appendChild(this.canvas);
    this.setSize(1, 1);
  }

  /** Change the grid size (keeps the selection when it still fits). */
  setSize(rows, cols) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new Error(`CellGrid "${this.options.label}": size must be positive integers, got ${rows}×${cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    const ratio = window.devicePixelRatio || 1;
    const { side, margin } = this.options;
    const longest = Math.max(rows, cols);
    this.cell = (side * (1 - 2 * margin)) / longest;
    this.pad = side * margin;
    this.width = this.cell * cols + 2 * this.pad;
    this.height = this.cell * rows + 2 * this.pad;
    this.canvas.width = Math.round(this.width * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (this.selected && (this.selected[0] >= rows || this.selected[1] >= cols)) this.selected = null;
    this.draw();
  }

  /**
   * Set what to show and repaint.
   * @param {{selected?: [number, number] | null, region?: Region | null, inside?: Region | null}} state
   *   region: the unclipped field (outlined); inside: the part on real cells (filled)
   */
  show(state) {
    if ("selected" in state) this.selected = state.selected;
    if ("region" in state) this.region = state.region;
    if ("inside" in state) this.inside = state.inside;
    this.draw();
  }

  /** Paint the grid, the region and the selection. */
  draw() {
    const ctx = this.context;
    const { cell, pad, rows, cols } = this;
    const css = getComputedStyle(this.canvas);
    const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    ctx.clearRect(0, 0, this.width, this.height);
    if (pad > 0) {
      ctx.fillStyle = colour("--grid-padding", "#eef1f4");
      ctx.fillRect(0, 0, this.width, this.height);
    }
    ctx.fillStyle = colour("--grid-paper", "#ffffff");
    ctx.fillRect(pad, pad, cols * cell, rows * cell);
    if (cell >= 4) {
      ctx.strokeStyle = colour("--grid-line", "#d0d7de");
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let r = 0; r <= rows; r++) {
        ctx.moveTo(pad, pad + r * cell);
        ctx.lineTo(pad + cols * cell, pad + r * cell);
      }
      for (let c = 0; c <= cols; c++) {
        ctx.moveTo(pad + c * cell, pad);
        ctx.lineTo(pad + c * cell, pad + rows * cell);
      }
      ctx.stroke();
    } else {
      ctx.strokeStyle = colour("--grid-line", "#d0d7de");
      ctx.strokeRect(pad, pad, cols * cell, rows * cell);
    }
    if (this.inside) {
      ctx.fillStyle = colour("--grid-region", "rgba(43, 87, 151, 0.35)");
      ctx.fillRect(...this.#box(this.inside));
    }
    if (this.region) {
      ctx.save();
      ctx.setLineDash([5, 3]);
      ctx.strokeStyle = colour("--grid-region-line", "#2b5797");
      ctx.lineWidth = 2;
      ctx.strokeRect(...this.#box(this.region));
      ctx.restore();
    }
    if (this.selected) {
      const [r, c] = this.selected;
      ctx.fillStyle = colour("--grid-selected", "#f59e0b");
      const inset = cell >= 6 ? 1 : 0;
      ctx.fillRect(pad + c * cell + inset, pad + r * cell + inset, Math.max(cell - 2 * inset, 2), Math.max(cell - 2 * inset, 2));
    }
  }

  #box(region) {
    const { cell, pad } = this;
    const x = pad + region.cols[0] * cell;
    const y = pad + region.rows[0] * cell;
    return [x, y, (region.cols[1] - region.cols[0] + 1) * cell, (region.rows[1] - region.rows[0] + 1) * cell];
  }

  #click(event) {
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * this.width - this.pad;
    const y = ((event.clientY - box.top) / box.height) * this.height - this.pad;
    const col = Math.floor(x / this.cell);
    const row = Math.floor(y / this.cell);
    if (row < 0 || col < 0 || row >= this.rows || col >= this.cols) return;
    this.#select(row, col);
  }

  #key(event) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const [r, c] = this.selected ?? [0, 0];
    const step = event.shiftKey ? 5 : 1;
    const row = Math.min(this.rows - 1, Math.max(0, r + move[0] * step));
    const col = Math.min(this.cols - 1, Math.max(0, c + move[1] * step));
    this.#select(row, col);
  }

  #select(row, col) {
    this.selected = [row, col];
    this.draw();
    this.dispatchEvent(new CustomEvent("select", { detail: { row, col } }));
  }
}
