// First-layer filters forming epoch by epoch: one row per epoch (epoch 0 = the random
// initialisation), one small heatmap per filter. Each row has its own symmetric colour scale
// (±max |w| of that epoch, printed at the row's end), so a row shows the filters' shape even
// while their size grows. Rows are added as the epochs finish; the numbers come from the API.

import { maxAbs } from "../colors.js";
import { el } from "../dom.js";
import { formatNumber } from "../format.js";
import { Heatmap } from "./heatmap.js";

/** A film strip of filters: rows = epochs, columns = filters. */
export class FilterGrid {
  /**
   * @param {HTMLElement} container the grid is appended to it
   * @param {{label: string, maxFilters?: number}} options accessible name ("CNN conv1
   *   kernels"), at most this many filters per row (default 8). CSS sizes the filters: small
   *   kernels as small squares, 16×16 and larger (a dense unit's 28×28 weights) bigger.
   */
  constructor(container, options) {
    if (!(container instanceof HTMLElement)) throw new Error("FilterGrid needs a container element");
    this.options = { maxFilters: 8, ...options };
    this.note = el("p", { className: "filter-grid-note" });
    this.table = el("div", { className: "filter-grid-rows" });
    this.root = el("div", { className: "filter-grid", role: "group", "aria-label": this.options.label }, this.note, this.table);
    container.append(this.root);
    /** @type {Map<number, HTMLElement>} epoch → row */
    this.rows = new Map();
    this.shape = null;
  }

  /** Remove every row. */
  clear() {
    this.rows.clear();
    this.table.replaceChildren();
    this.note.textContent = "";
    this.shape = null;
  }

  /**
   * Show the filters after one epoch (replacing that epoch's row if it is there).
   * @param {number} epoch 0 for the initialisation
   * @param {number[][][]} filters n×h×w
   * @throws {Error} when the filters are not n×h×w or differ in shape from earlier epochs
   */
  setEpoch(epoch, filters) {
    if (!Array.isArray(filters) || filters.length === 0 || !Array.isArray(filters[0]) || !Array.isArray(filters[0][0])) {
      throw new Error(`FilterGrid "${this.options.label}": filters must be a non-empty n×h×w array`);
    }
    const shape = [filters.length, filters[0].length, filters[0][0].length];
    if (this.shape && shape.some((v, i) => v !== this.shape[i])) {
      throw new Error(`FilterGrid "${this.options.label}": epoch ${epoch} has filters ${shape.join("×")}, earlier epochs ${this.shape.join("×")}`);
    }
    this.shape = shape;
    const [n, h, w] = shape;
    this.root.classList.toggle("filter-grid-large", Math.max(h, w) >= 16);
    const shown = Math.min(n, this.options.maxFilters);
    this.note.textContent = shown < n ? `the first ${shown} of ${n} filters (${h}×${w})` : `${n} filters (${h}×${w})`;

    const cells = el("div", { className: "filter-grid-cells" });
    const bound = maxAbs(filters.slice(0, shown));
    for (let i = 0; i < shown; i++) {
      const cell = el("div", { className: "filter-grid-cell" });
      const map = new Heatmap(cell, {
        rows: h,
        cols: w,
        scale: "diverging",
        domain: [-bound, bound],
        label: `${this.options.label}, filter ${i + 1}, ${epoch === 0 ? "at initialisation" : `after epoch ${epoch}`}`,
      });
      map.draw(filters[i]);
      cells.append(cell);
    }
    const row = el("div", { className: "filter-grid-row", "data-epoch": epoch },
      el("span", { className: "filter-grid-epoch", textContent: epoch === 0 ? "init" : `epoch ${epoch}` }),
      cells,
      el("span", { className: "filter-grid-scale", textContent: `±${formatNumber(bound, { digits: 2 })}`, title: "colour scale of this row: blue −, white 0, red +" }));

    const before = [...this.rows.keys()].filter((e) => e > epoch).sort((a, b) => a - b)[0];
    this.rows.get(epoch)?.remove();
    if (before !== undefined) this.table.insertBefore(row, this.rows.get(before));
    else this.table.append(row);
    this.rows.set(epoch, row);
  }
}
