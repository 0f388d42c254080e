// The output maps of a layer with channels, each written as the sum it is:
//   X[1] ∗ K[o, 1]  +  X[2] ∗ K[o, 2]  +  …  +  b[o]  =  Y[o]
// one row per filter o, one read-only NumberGrid per part and one for Y[o]. The numbers come
// from the page (which takes them from the API); this widget only lays them out and marks cells.
//
// Events: "cellenter" (detail = {o, c, row, col}; c = null for a cell of Y[o]).

import { el } from "../dom.js";
import { formatNumber } from "../format.js";
import { NumberGrid } from "./number_grid.js";

/** Rows of part grids that add up to the output maps. */
export class ChannelSums extends EventTarget {
  /**
   * @param {{planeName: (c: number, cin: number) => string}} options
   */
  constructor(container, options) {
    super();
    this.container = container;
    this.planeName = options.planeName;
    this.shape = null; // "cout,cin,hOut,wOut"
    /** @type {NumberGrid[][]} parts[o][c] */
    this.parts = [];
    /** @type {NumberGrid[]} */
    this.outputs = [];
    /** @type {HTMLElement[]} */
    this.biases = [];
  }

  /**
   * Show the parts, the biases and the outputs; rebuilds when the shape changed.
   * @param {number[][][][]} parts C_out × C_in × H_out × W_out
   * @param {number[]} bias C_out
   * @param {number[][][]} outputs C_out × H_out × W_out
   */
  setValues(parts, bias, outputs) {
    const cout = outputs.length;
    const cin = parts[0].length;
    if (parts.length !== cout || bias.length !== cout) {
      throw new Error(`ChannelSums: ${parts.length} rows of parts and ${bias.length} biases for ${cout} output maps`);
    }
    const [hOut, wOut] = [outputs[0].length, outputs[0][0].length];
    const shape = `${cout},${cin},${hOut},${wOut}`;
    if (shape !== this.shape) this.#build(cout, cin, hOut, wOut);
    this.shape = shape;
    // one colour domain for every part and output of a filter, so colours compare across the row
    for (let o = 0; o < cout; o++) {
      const all = [...parts[o].flat(2), ...outputs[o].flat()];
      const m = Math.max(1e-12, ...all.map(Math.abs));
      for (let c = 0; c < cin; c++) this.parts[o][c].setValues(parts[o][c], { domain: [-m, m] });
      this.outputs[o].setValues(outputs[o], { domain: [-m, m] });
      this.biases[o].textContent = formatNumber(bias[o]);
    }
  }

  /**
   * Outline cell (i, j) in every part of filter o and in Y[o]; clears the others.
   * @param {number | null} o null clears
   */
  mark(o, i, j) {
    this.parts.forEach((row) => row.forEach((g) => g.clearMark("is-current")));
    this.outputs.forEach((g) => g.clearMark("is-current"));
    if (o === null || !this.outputs[o]) return;
    for (const g of this.parts[o]) g.mark([[i, j]], "is-current");
    this.outputs[o].mark([[i, j]], "is-current");
  }

  /**
   * The NumberGrid of part (o, c), or of Y[o] when c is null.
   * @param {number | null} c
   * @returns {NumberGrid | undefined}
   */
  grid(o, c) {
    return c === null ? this.outputs[o] : this.parts[o]?.[c];
  }

  /** @param {boolean} stale fade the maps while they do not match the inputs */
  setStale(stale) {
    this.container.classList.toggle("stale", stale);
  }

  #build(cout, cin, hOut, wOut) {
    this.container.replaceChildren();
    this.parts = [];
    this.outputs = [];
    this.biases = [];
    const px = Math.max(hOut, wOut) <= 4 ? 30 : 24;
    for (let o = 0; o < cout; o++) {
      const row = el("div", {
        className: "channel-sum", "data-filter": o, role: "group",
        "aria-label": `Output map Y[${o + 1}] as the sum of its ${cin} parts and the bias b[${o + 1}]`,
      });
      const grids = [];
      for (let c = 0; c < cin; c++) {
        if (c > 0) row.appendChild(op("+"));
        const plane = this.planeName(c, cin);
        const grid = this.#figure(row, `X[${plane}] ∗ K[${o + 1},${plane}]`, {
          name: `P[${o + 1},${plane}]`,
          label: `Part of Y[${o + 1}] from plane ${plane}: X[${plane}] ∗ K[${o + 1},${plane}]`,
          rows: hOut, cols: wOut, maxCellPx: px,
        }, { o, c });
        grid.element.dataset.part = `${o},${c}`;
        grids.push(grid);
      }
      row.appendChild(op("+"));
      const biasValue = el("div", { className: "bias-chip", id: `ch-bias-shown-${o}` });
      row.appendChild(el("figure", { className: "channel-sum-bias" }, el("figcaption", { textContent: `b[${o + 1}]` }), biasValue));
      row.appendChild(op("="));
      const out = this.#figure(row, `Y[${o + 1}]`, {
        name: `Y[${o + 1}]`, label: `Output map Y[${o + 1}]: focus a cell to see its terms`,
        rows: hOut, cols: wOut, maxCellPx: px,
      }, { o, c: null });
      out.element.dataset.output = String(o);
      out.element.closest("figure").classList.add("channel-sum-output");
      this.parts.push(grids);
      this.outputs.push(out);
      this.biases.push(biasValue);
      this.container.appendChild(row);
    }
  }

  #figure(parent, caption, gridOptions, where) {
    const figure = el("figure", {}, el("figcaption", { textContent: caption }));
    parent.appendChild(figure);
    const grid = new NumberGrid(figure, gridOptions);
    grid.addEventListener("cellenter", (e) => {
      if (e.detail.pad) return;
      this.dispatchEvent(new CustomEvent("cellenter", { detail: { ...where, row: e.detail.row, col: e.detail.col } }));
    });
    return grid;
  }
}

function op(text) {
  return el("span", { className: "op", "aria-hidden": "true", textContent: text });
}
