// A grid of numbers, one DOM cell per value, each coloured and showing its number.
// Read-only (output maps: an ARIA grid) or editable (one labelled <input> per cell: type numbers,
// Enter goes down). Either way the grid is one tab stop (a roving tabindex) and arrow keys move
// inside it.
// An optional ring of `pad` cells around the grid shows the padding of a convolution.
//
// Events (CustomEvent, detail = {row, col, pad, buttons?}): "cellenter" (pointer or focus),
// "cellleave", "cellclick", "cellpointerdown", "cellinput" (editable: detail adds text, value).

import { css, diverging, extent, maxAbs, mix, sequential, textOn } from "../colors.js";
import { el } from "../dom.js";
import { formatCell, parseNumber, sub } from "../format.js";

/**
 * @typedef {object} NumberGridOptions
 * @property {number} rows
 * @property {number} cols
 * @property {boolean} [editable] one input per cell (default false)
 * @property {"diverging" | "sequential" | "none"} [scale] colour scale (default "diverging")
 * @property {[number, number] | null} [domain] fixed colour domain; null = from the values
 * @property {string} [name] symbol for cell names, e.g. "X" → "X₁₂" (default "X")
 * @property {string} [label] accessible name of the whole grid
 * @property {number} [pad] width of the padding ring shown around the grid (default 0)
 * @property {number} [maxCellPx] largest cell side in px (default 38)
 * @property {number} [fitWidth] shrink cells (down to 14 px) so the grid fits this many px
 * @property {((row: number, col: number, value: number) => number[] | null) | null} [colorOf]
 *   custom background per cell (RGB), overriding the scale; null keeps the scale's colour
 */

/** How far a padding cell's colour is faded towards white (it is not part of the input). */
const PAD_FADE = 0.5;

const KEY_MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

/** Smaller type for numbers of 4 or more characters ("0.75", "−12.5"), so they fit their cell. */
function fitText(cell) {
  const n = cell.textContent.length;
  cell.classList.toggle("is-long", n === 4);
  cell.classList.toggle("is-longer", n >= 5);
}

/** Cell side in px for a grid of n cells across: large for small grids, compact for big ones. */
function cellPx(n, maxPx) {
  const px = n <= 6 ? 38 : n <= 9 ? 32 : n <= 13 ? 27 : n <= 18 ? 23 : 18;
  return Math.min(px, maxPx);
}

/** A grid of numbered, coloured cells, optionally editable, with highlight classes. */
export class NumberGrid extends EventTarget {
  /**
   * @param {HTMLElement} container the grid is appended to it
   * @param {NumberGridOptions} options
   */
  constructor(container, options) {
    super();
    this.options = { editable: false, scale: "diverging", domain: null, name: "X", pad: 0, maxCellPx: 38, ...options };
    this.element = el("div", { className: "num-grid", role: this.options.editable ? "group" : "grid", "aria-label": this.options.label || `${this.options.name} grid` });
    this.wrap = el("div", { className: "grid-wrap" }, this.element);
    container.appendChild(this.wrap);
    /** @type {Map<string, HTMLElement>} */
    this.cells = new Map();
    /** @type {(number|null)[][]} */
    this.shown = [];
    /** @type {string[][]} editable: the text of each cell */
    this.texts = [];
    this.focusKey = "0,0";
    this.build(this.options.rows, this.options.cols, this.options.pad);
  }

  /** @returns {number} */
  get rows() {
    return this.options.rows;
  }

  /** @returns {number} */
  get cols() {
    return this.options.cols;
  }

  /** Rebuild the cells for a new size and padding ring (values are reset to blank). */
  build(rows, cols, pad = this.options.pad) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new Error(`NumberGrid "${this.options.name}": size must be positive integers, got ${rows}×${cols}`);
    }
    Object.assign(this.options, { rows, cols, pad });
    this.element.replaceChildren();
    this.cells.clear();
    let px = cellPx(Math.max(rows, cols) + 2 * pad, this.options.maxCellPx);
    const across = cols + 2 * pad;
    if (this.options.fitWidth) px = Math.max(14, Math.min(px, Math.floor((this.options.fitWidth - 2 * across) / across)));
    this.element.style.setProperty("--cell", `${px}px`);
    // small cells get thinner outlines and marks, so they do not cover the number
    this.element.classList.toggle("small-cells", px < 20);
    this.element.style.fontSize = `${Math.max(px < 20 ? 8 : 10, Math.round(px * 0.36))}px`;
    this.element.style.gridTemplateColumns = `repeat(${cols + 2 * pad}, var(--cell))`;
    this.shown = Array.from({ length: rows }, () => Array(cols).fill(null));
    this.texts = Array.from({ length: rows }, () => Array(cols).fill(""));
    for (let r = -pad; r < rows + pad; r++) {
      const rowEl = document.createElement("div");
      // a read-only grid is an ARIA grid of rows; an editable one is a group of labelled inputs
      if (!this.options.editable) rowEl.setAttribute("role", "row");
      rowEl.className = "num-grid-row";
      for (let c = -pad; c < cols + pad; c++) {
        const isPad = r < 0 || c < 0 || r >= rows || c >= cols;
        const cell = this.#makeCell(r, c, isPad);
        this.cells.set(`${r},${c}`, cell);
        rowEl.appendChild(cell);
      }
      this.element.appendChild(rowEl);
    }
    // one tab stop per grid (editable or not): arrow keys move inside it
    this.#setRoving(this.cells.has(this.focusKey) ? this.focusKey : "0,0");
  }

  /**
   * Show a matrix; rebuilds when its size differs from the grid's.
   * @param {number[][]} matrix rows×cols numbers
   * @param {{domain?: [number, number] | null}} [options]
   */
  setValues(matrix, options = {}) {
    if (!Array.isArray(matrix) || matrix.length === 0 || !Array.isArray(matrix[0])) {
      throw new Error(`NumberGrid "${this.options.name}" expects a non-empty matrix`);
    }
    const rows = matrix.length;
    const cols = matrix[0].length;
    if (matrix.some((r) => r.length !== cols)) {
      throw new Error(`NumberGrid "${this.options.name}" expects a rectangular matrix`);
    }
    if (rows !== this.rows || cols !== this.cols) this.build(rows, cols);
    const domain = options.domain ?? this.options.domain ?? this.#autoDomain(matrix);
    this.domain = domain;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const value = matrix[r][c];
        this.shown[r][c] = value;
        const cell = this.cells.get(`${r},${c}`);
        if (this.options.editable) {
          const text = Number.isFinite(value) ? String(value) : "";
          this.texts[r][c] = text;
          if (cell.value !== text) cell.value = text;
          cell.removeAttribute("aria-invalid");
        } else {
          cell.textContent = formatCell(value);
          fitText(cell);
          cell.title = `${this.#cellName(r, c)} = ${value}`;
          cell.setAttribute("aria-label", `${this.#cellName(r, c)} = ${formatCell(value)}`);
        }
        this.#paint(cell, value, r, c);
      }
    }
  }

  /** Recolour every cell from the current values (e.g. after an edit changed the range). */
  repaint() {
    const values = this.options.editable ? this.parsed() : this.shown;
    const finite = values.map((row) => row.map((v) => (Number.isFinite(v) ? v : 0)));
    this.domain = this.options.domain ?? this.#autoDomain(finite);
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) this.#paint(this.cells.get(`${r},${c}`), values[r][c], r, c);
    }
  }

  /** Editable grids: the numbers typed, NaN where a cell does not hold a number. */
  parsed() {
    return this.texts.map((row) => row.map(parseNumber));
  }

  /**
   * The first cell that does not hold a number, as {row, col, text}, or null.
   * @returns {{row: number, col: number, text: string} | null}
   */
  firstInvalid() {
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        if (Number.isNaN(parseNumber(this.texts[r][c]))) return { row: r, col: c, text: this.texts[r][c] };
      }
    }
    return null;
  }

  /**
   * Write text into a padding-ring cell (e.g. the value the padding mode puts there).
   * @param {number} row may be negative or ≥ rows
   * @param {number | null} value null clears it
   */
  setPadValue(row, col, value) {
    const cell = this.cells.get(`${row},${col}`);
    if (!cell || !cell.classList.contains("is-pad")) return;
    cell.textContent = value === null ? "" : formatCell(value);
    fitText(cell);
    this.#paint(cell, value);
  }

  /**
   * The element of a cell (padding-ring cells have negative or out-of-range indices).
   * @returns {HTMLElement | undefined}
   */
  cell(row, col) {
    return this.cells.get(`${row},${col}`);
  }

  /**
   * Add a CSS class to the given cells (after removing it from all others).
   * @param {Array<[number, number]>} cells
   * @param {string} className e.g. "is-window", "is-influenced", "is-marked"
   */
  mark(cells, className) {
    this.clearMark(className);
    for (const [r, c] of cells) this.cells.get(`${r},${c}`)?.classList.add(className);
  }

  /** Remove a CSS class from every cell. */
  clearMark(className) {
    for (const el of this.element.querySelectorAll(`.${className}`)) el.classList.remove(className);
  }

  /** Move keyboard focus to a cell. */
  focusCell(row, col) {
    const key = `${row},${col}`;
    const cell = this.cells.get(key);
    if (!cell || cell.classList.contains("is-pad")) return;
    if (!this.options.editable) this.#setRoving(key);
    cell.focus();
  }

  #cellName(r, c) {
    return `${this.options.name}${sub(r + 1, c + 1)}`;
  }

  #makeCell(r, c, isPad) {
    const { editable } = this.options;
    let cell;
    if (isPad) {
      cell = el("div", { className: "cell is-pad", role: "gridcell", "aria-hidden": "true" });
    } else if (editable) {
      cell = el("input", { type: "text", inputMode: "decimal", autocomplete: "off", spellcheck: false, className: "cell", "aria-label": this.#cellName(r, c), tabIndex: -1 });
      cell.addEventListener("focus", () => cell.select());
      cell.addEventListener("input", () => {
        this.texts[r][c] = cell.value;
        const value = parseNumber(cell.value);
        if (Number.isNaN(value)) cell.setAttribute("aria-invalid", "true");
        else cell.removeAttribute("aria-invalid");
        this.#paint(cell, value, r, c);
        this.#emit("cellinput", r, c, { text: cell.value, value });
      });
    } else {
      cell = el("div", { className: "cell", role: "gridcell", tabIndex: -1 });
    }
    cell.dataset.row = String(r);
    cell.dataset.col = String(c);
    cell.addEventListener("pointerenter", (e) => this.#emit("cellenter", r, c, { pad: isPad, buttons: e.buttons }));
    cell.addEventListener("pointerleave", () => this.#emit("cellleave", r, c, { pad: isPad }));
    cell.addEventListener("pointerdown", (e) => {
      this.#emit("cellpointerdown", r, c, { pad: isPad, buttons: e.buttons });
      // let a drag paint across cells on touch screens too
      if (e.pointerType !== "mouse" && cell.hasPointerCapture?.(e.pointerId)) cell.releasePointerCapture(e.pointerId);
    });
    cell.addEventListener("click", () => this.#emit("cellclick", r, c, { pad: isPad }));
    if (!isPad) {
      cell.addEventListener("focus", () => {
        this.#setRoving(`${r},${c}`);
        this.#emit("cellenter", r, c, { pad: false, focus: true });
      });
      cell.addEventListener("blur", () => this.#emit("cellleave", r, c, { pad: false, focus: true }));
      cell.addEventListener("keydown", (e) => this.#onKey(e, r, c));
    }
    return cell;
  }

  #onKey(event, r, c) {
    const { editable } = this.options;
    let move = KEY_MOVES[event.key];
    if (editable && event.key === "Enter") move = [1, 0];
    if (!move) {
      if (!editable && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        this.#emit("cellclick", r, c, { pad: false, keyboard: true });
      }
      return;
    }
    if (editable && move[0] === 0) {
      // Left/Right move between cells only when the caret is at the edge of the text
      const input = /** @type {HTMLInputElement} */ (event.target);
      const all = input.selectionStart === 0 && input.selectionEnd === input.value.length;
      const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
      const atEnd = input.selectionStart === input.value.length;
      if (!all && !(move[1] < 0 ? atStart : atEnd)) return;
    }
    const nr = Math.min(this.rows - 1, Math.max(0, r + move[0]));
    const nc = Math.min(this.cols - 1, Math.max(0, c + move[1]));
    event.preventDefault();
    if (nr !== r || nc !== c) this.focusCell(nr, nc);
  }

  #setRoving(key) {
    const old = this.cells.get(this.focusKey);
    if (old) old.tabIndex = -1;
    this.focusKey = key;
    const cell = this.cells.get(key);
    if (cell) cell.tabIndex = 0;
  }

  #emit(type, row, col, extra = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail: { row, col, ...extra } }));
  }

  #autoDomain(matrix) {
    if (this.options.scale === "sequential") return extent(matrix);
    const m = maxAbs(matrix);
    return [-m, m];
  }

  #paint(cell, value, r = null, c = null) {
    cell.classList.toggle("is-zero", value === 0);
    const custom = this.options.colorOf && r !== null ? this.options.colorOf(r, c, value) : null;
    if (custom) {
      cell.style.background = css(custom);
      cell.style.color = textOn(custom);
      return;
    }
    const scale = this.options.scale;
    if (scale === "none" || value === null || !Number.isFinite(value)) {
      cell.style.background = "";
      cell.style.color = "";
      return;
    }
    const [lo, hi] = this.domain || [0, 0];
    let rgb = scale === "sequential" ? sequential(value, lo, hi) : diverging(value, Math.max(Math.abs(lo), Math.abs(hi)));
    // a padding cell is the value's colour faded towards white; its text is chosen on that
    if (cell.classList.contains("is-pad")) rgb = mix(rgb, [255, 255, 255], PAD_FADE);
    cell.style.background = css(rgb);
    cell.style.color = textOn(rgb);
  }
}
