// The convolution written as a matrix M (one row per output, one column per input), each
// entry coloured by the value of the kernel weight it holds (the page's weight scale) and
// printing it, so a weight that is 0 shows "0" on its tile; structural zeros are blank cells
// marked with a dot, never a tile. A table with
// the numbers printed when it is small enough to read; above that, one canvas pixel per entry
// (Heatmap) with the selected row outlined. Rows are selectable by click, tap or keyboard.
//
// Events: "rowselect" (detail = {row}).

import { css, textOn } from "../colors.js";
import { el } from "../dom.js";
import { formatCell } from "../format.js";
import { Heatmap } from "./heatmap.js";

/** Largest matrix drawn as a table with numbers; bigger ones become a canvas. */
const TABLE_MAX_COLS = 64;
const TABLE_MAX_ROWS = 64;
/** On the canvas, the entries of a highlighted weight (the outline colour) and the others. */
const HIGHLIGHT_RGB = [17, 24, 39];
const OTHER_RGB = [222, 222, 222];

/**
 * @typedef {object} MatrixData
 * @property {number[][]} matrix rows × cols
 * @property {(number|null)[][]} weightIndex flat kernel index per entry, null = structural zero
 * @property {string[]} rowNames e.g. "Y₁₁"
 * @property {string[]} colNames e.g. "X₁₂"
 * @property {number[]} colValues vec(X), printed above the columns
 * @property {number[]} rowValues vec(Y), printed after the rows
 * @property {(value: number) => number[]} colorOf RGB of an entry's value (the kernel's weight scale)
 * @property {(index: number) => string} weightName e.g. "K₁₂"
 * @property {string} [colVectorLabel] the vector above the columns (default "vec(X)")
 * @property {string} [rowVectorLabel] the vector after the rows (default "Y")
 * @property {{rows: number, cols: number, rowLabels: string[], colLabels: string[]} | null} [blocks]
 *   block structure (channels): rows / cols per block, and a label per block row / column
 */

/** Renders M and lets the student pick a row. */
export class MatrixView extends EventTarget {
  /**
   * @param {{label: string}} options
   */
  constructor(container, options) {
    super();
    this.container = container;
    this.label = options.label;
    this.selected = null;
    this.highlighted = null;
    this.data = null;
    this.mode = "table";
  }

  /**
   * Draw a new matrix (keeps the selected row when it still exists).
   * @param {MatrixData} data
   */
  render(data) {
    this.data = data;
    const rows = data.matrix.length;
    const cols = data.matrix[0].length;
    this.container.replaceChildren();
    this.heatmap = null;
    this.mode = rows <= TABLE_MAX_ROWS && cols <= TABLE_MAX_COLS ? "table" : "canvas";
    if (this.mode === "table") this.#renderTable(data);
    else this.#renderCanvas(data);
    const keep = this.selected !== null && this.selected < rows ? this.selected : null;
    this.selected = null;
    if (keep !== null) this.selectRow(keep, { emit: false, focus: false });
    if (this.highlighted !== null) this.highlightWeight(this.highlighted);
  }

  /**
   * Select (outline) one row.
   * @param {{emit?: boolean, focus?: boolean}} [options]
   */
  selectRow(row, options = {}) {
    const { emit = true, focus = false } = options;
    if (!this.data || row < 0 || row >= this.data.matrix.length) return;
    this.selected = row;
    if (this.mode === "table") {
      for (const tr of this.container.querySelectorAll("tr.is-selected")) tr.classList.remove("is-selected");
      const tr = this.container.querySelector(`tr[data-row="${row}"]`);
      tr?.classList.add("is-selected");
      for (const b of this.container.querySelectorAll("th button")) {
        const mine = Number(b.dataset.row) === row;
        b.tabIndex = mine ? 0 : -1;
        b.setAttribute("aria-pressed", String(mine));
      }
      const button = tr?.querySelector("button");
      if (focus) button?.focus();
      tr?.scrollIntoView({ block: "nearest", inline: "nearest" });
    } else {
      const rows = this.data.matrix.length;
      this.rowMarker.hidden = false;
      this.rowMarker.style.top = `${(100 * row) / rows}%`;
      this.rowMarker.style.height = `${100 / rows}%`;
      this.canvasStatus.textContent = `row ${row + 1} of ${rows}: ${this.data.rowNames[row]}`;
    }
    if (emit) this.dispatchEvent(new CustomEvent("rowselect", { detail: { row } }));
  }

  /**
   * Outline every entry holding one kernel weight (null clears): parameter sharing made visible.
   * @param {number | null} index flat kernel index
   */
  highlightWeight(index) {
    this.highlighted = index;
    if (this.mode !== "table") {
      this.#highlightOnCanvas(index);
      return;
    }
    for (const td of this.container.querySelectorAll("td.is-weight")) td.classList.remove("is-weight");
    if (index === null) return;
    for (const td of this.container.querySelectorAll(`td[data-w="${index}"]`)) td.classList.add("is-weight");
  }

  /**
   * On the canvas one entry is a few pixels, too small for an outline: the entries holding the
   * weight are drawn in the outline colour and every other weight in light grey (null: values).
   * @param {number | null} index
   */
  #highlightOnCanvas(index) {
    if (!this.heatmap) return;
    const { weightIndex, matrix, colorOf } = this.data;
    if (index === null) {
      this.heatmap.options.scale = (v) => (Number.isNaN(v) ? [255, 255, 255] : colorOf(v));
      this.heatmap.draw(weightIndex.flatMap((row, i) => row.map((w, j) => (w === null || w === undefined ? NaN : matrix[i][j]))));
      this.canvasStatus.textContent = this.canvasHelp;
      return;
    }
    // 1: an entry holding this weight, 0: another weight, NaN: a structural zero
    const codes = weightIndex.flatMap((row) => row.map((w) => (w === null || w === undefined ? NaN : w === index ? 1 : 0)));
    this.heatmap.options.scale = (v) => (Number.isNaN(v) ? [255, 255, 255] : v === 1 ? HIGHLIGHT_RGB : OTHER_RGB);
    this.heatmap.draw(codes);
    const uses = codes.filter((c) => c === 1).length;
    this.canvasStatus.textContent =
      `${this.data.weightName(index)} is drawn in black at the ${uses} ${uses === 1 ? "entry" : "entries"} of M that hold it; ` +
      "every other weight in grey.";
  }

  #renderTable(data) {
    const { matrix, weightIndex, rowNames, colNames, colValues, rowValues } = data;
    const cols = matrix[0].length;
    const table = el("table", { className: cols > 24 ? "matrix-table dense" : "matrix-table", "aria-label": this.label });
    const head = table.createTHead();
    const blocks = data.blocks || null;
    if (blocks) {
      const labels = head.insertRow();
      labels.className = "block-names";
      labels.appendChild(headerCell("", "col"));
      blocks.colLabels.forEach((label) => {
        const th = headerCell(label, "colgroup");
        th.colSpan = blocks.cols;
        labels.appendChild(th);
      });
      labels.appendChild(headerCell("", "col"));
      labels.appendChild(headerCell("", "col"));
      table.classList.add("has-blocks");
    }
    const blockStart = (j) => blocks && j > 0 && j % blocks.cols === 0;
    const names = head.insertRow();
    names.className = "col-names";
    names.appendChild(headerCell("", "col"));
    colNames.forEach((n, j) => {
      const th = headerCell(n, "col");
      if (blockStart(j)) th.classList.add("block-start");
      names.appendChild(th);
    });
    names.appendChild(headerCell("", "col"));
    names.appendChild(headerCell(data.rowVectorLabel ?? "Y", "col"));
    const vec = head.insertRow();
    vec.className = "vec-x";
    vec.appendChild(headerCell(data.colVectorLabel ?? "vec(X)", "row"));
    colValues.forEach((v, j) => {
      const th = headerCell(formatCell(v), "col");
      th.title = `${v}`;
      if (blockStart(j)) th.classList.add("block-start");
      vec.appendChild(th);
    });
    vec.appendChild(headerCell("", "col"));
    vec.appendChild(headerCell("", "col"));
    const body = table.createTBody();
    matrix.forEach((row, i) => {
      const tr = body.insertRow();
      tr.dataset.row = String(i);
      if (blocks && i > 0 && i % blocks.rows === 0) tr.classList.add("block-start-row");
      const button = el("button", {
        type: "button", className: "row-button", "data-row": i, textContent: rowNames[i], tabIndex: i === 0 ? 0 : -1,
        "aria-pressed": "false", "aria-label": `row ${i + 1}: ${rowNames[i]}`,
      });
      button.addEventListener("click", () => this.selectRow(i));
      button.addEventListener("keydown", (e) => this.#rowKey(e, i));
      tr.appendChild(el("th", { scope: "row" }, button));
      row.forEach((value, j) => {
        const td = document.createElement("td");
        const w = weightIndex[i][j];
        if (w !== null && w !== undefined) {
          const rgb = data.colorOf(value);
          td.style.background = css(rgb);
          td.style.color = textOn(rgb);
          td.textContent = formatCell(value);
          td.dataset.w = String(w);
          td.title = `M[${rowNames[i]}, ${colNames[j]}] = ${data.weightName(w)} = ${value}`;
        } else {
          td.className = "zero";
          td.title = `M[${rowNames[i]}, ${colNames[j]}] = 0 (structural zero)`;
        }
        if (blockStart(j)) td.classList.add("block-start");
        td.addEventListener("click", () => this.selectRow(i));
        tr.appendChild(td);
      });
      tr.append(el("td", { className: "eq", textContent: "=" }),
        el("td", { className: "y-value", textContent: formatCell(rowValues[i]), title: `${rowNames[i]} = ${rowValues[i]}` }));
    });
    this.container.appendChild(el("div", { className: "matrix-scroll" }, table));
  }

  #rowKey(event, i) {
    const rows = this.data.matrix.length;
    const moves = { ArrowUp: -1, ArrowDown: 1, Home: -rows, End: rows };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = Math.max(0, Math.min(rows - 1, i + moves[event.key]));
    this.selectRow(next, { focus: true });
  }

  #renderCanvas(data) {
    const rows = data.matrix.length;
    const cols = data.matrix[0].length;
    const frame = el("div", { className: "matrix-canvas" });
    this.container.appendChild(frame);
    // structural zeros as NaN (white), held weights by value
    const flat = data.weightIndex.flatMap((row, i) => row.map((w, j) => (w === null || w === undefined ? NaN : data.matrix[i][j])));
    const heatmap = new Heatmap(frame, {
      rows,
      cols,
      label: `${this.label} (${rows} × ${cols}, one pixel per entry)`,
      scale: (v) => (Number.isNaN(v) ? [255, 255, 255] : data.colorOf(v)),
      domain: [0, 1],
    });
    heatmap.draw(flat);
    this.heatmap = heatmap;
    heatmap.canvas.tabIndex = 0;
    heatmap.canvas.style.width = "100%";
    heatmap.canvas.style.height = "auto";
    this.rowMarker = el("div", { className: "row-marker", hidden: true });
    frame.appendChild(this.rowMarker);
    heatmap.canvas.addEventListener("click", (e) => {
      const cell = heatmap.cellAt(e.clientX, e.clientY);
      if (cell) this.selectRow(cell.row);
    });
    heatmap.canvas.addEventListener("keydown", (e) => {
      const moves = { ArrowUp: -1, ArrowDown: 1 };
      if (!(e.key in moves)) return;
      e.preventDefault();
      const current = this.selected ?? -1;
      this.selectRow(Math.max(0, Math.min(rows - 1, current + moves[e.key])));
    });
    this.canvasHelp = `${rows} × ${cols}: too large to print every number; click a row (or focus the picture and use ↑ ↓).`;
    this.canvasStatus = el("p", { className: "status", "aria-live": "polite", textContent: this.canvasHelp });
    this.container.appendChild(this.canvasStatus);
  }
}

function headerCell(text, scope) {
  return el("th", { scope, textContent: text });
}
