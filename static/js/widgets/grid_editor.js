// An editable matrix: a NumberGrid of inputs plus size controls, paste of a whole matrix
// (rows on lines, values separated by spaces or commas, or [[...], [...]]), an "edit as text"
// box, and an error line right under the grid.
//
// Events: "change" (detail = {matrix, reason}) whenever the grid holds a valid matrix after a
// student's edit; "invalid" (detail = {message}) when a cell does not hold a number.

import { el } from "../dom.js";
import { parseMatrix, sub } from "../format.js";
import { NumberGrid } from "./number_grid.js";

/**
 * @typedef {object} GridEditorOptions
 * @property {string} name symbol, e.g. "X" or "K"
 * @property {string} label accessible name, e.g. "Input X"
 * @property {number[][]} value the starting matrix
 * @property {number} [maxRows] (default 16)
 * @property {number} [maxCols] (default 16)
 * @property {number} [pad] padding ring to show (default 0)
 * @property {boolean} [sizeControls] show rows/cols inputs (default true)
 * @property {boolean} [textBox] show the "edit as text" box (default true)
 * @property {string} idPrefix unique prefix for element ids
 * @property {number} [fitWidth] shrink the cells so the grid fits this many px
 * @property {[number, number] | null} [domain] fixed colour domain (default: from the values)
 */

/** An editable, resizable, paste-able matrix with its own error line. */
export class GridEditor extends EventTarget {
  /**
   * @param {GridEditorOptions} options
   */
  constructor(container, options) {
    super();
    this.options = { maxRows: 16, maxCols: 16, pad: 0, sizeControls: true, textBox: true, ...options };
    const { name, label, idPrefix, maxRows, maxCols } = this.options;
    this.root = el("div", { className: "grid-editor" });
    container.appendChild(this.root);

    if (this.options.sizeControls) {
      const size = el("div", { className: "controls grid-size" });
      size.innerHTML = `
        <div class="control control-inline">
          <label for="${idPrefix}-rows">rows</label>
          <input id="${idPrefix}-rows" type="number" min="1" max="${maxRows}" step="1">
        </div>
        <div class="control control-inline">
          <label for="${idPrefix}-cols">cols</label>
          <input id="${idPrefix}-cols" type="number" min="1" max="${maxCols}" step="1">
        </div>`;
      this.root.appendChild(size);
      this.rowsInput = size.querySelector(`#${idPrefix}-rows`);
      this.colsInput = size.querySelector(`#${idPrefix}-cols`);
      for (const input of [this.rowsInput, this.colsInput]) {
        input.addEventListener("change", () => this.#resizeFromControls());
      }
    }

    this.grid = new NumberGrid(this.root, {
      rows: options.value.length,
      cols: options.value[0].length,
      editable: true,
      name,
      label: `${label}: ${name} values (arrow keys move, paste a matrix to replace it)`,
      pad: this.options.pad,
      fitWidth: this.options.fitWidth,
      domain: this.options.domain ?? null,
    });
    this.grid.element.id = `${idPrefix}-grid`;
    this.grid.addEventListener("cellinput", () => this.#edited("edit"));
    this.grid.element.addEventListener("paste", (e) => this.#onPaste(e));

    this.error = el("p", { className: "error-message", id: `${idPrefix}-error`, role: "alert" });
    this.root.appendChild(this.error);

    if (this.options.textBox) {
      const details = el("details", { className: "text-box" });
      details.innerHTML = `
        <summary>Edit ${name} as text</summary>
        <label class="visually-hidden" for="${idPrefix}-text">${label} as text, one row per line</label>
        <textarea id="${idPrefix}-text" rows="4" spellcheck="false"></textarea>
        <button type="button" id="${idPrefix}-apply">Apply</button>`;
      this.root.appendChild(details);
      this.textArea = details.querySelector("textarea");
      details.addEventListener("toggle", () => {
        if (details.open) this.textArea.value = this.toText();
      });
      details.querySelector("button").addEventListener("click", () => this.#applyText(this.textArea.value));
    }
    this.value = options.value.map((r) => r.slice());
    this.setValue(options.value);
  }

  /** Replace the matrix (presets, restored state). Emits nothing. */
  setValue(matrix) {
    this.value = matrix.map((r) => r.slice());
    this.grid.setValues(this.value);
    if (this.rowsInput) {
      this.rowsInput.value = String(matrix.length);
      this.colsInput.value = String(matrix[0].length);
    }
    this.showError("");
  }

  /**
   * Fix the colour domain of the cells (e.g. a kernel's shared weight scale) and repaint;
   * null goes back to a domain computed from the grid's own values.
   * @param {[number, number] | null} domain
   */
  setDomain(domain) {
    this.grid.options.domain = domain;
    this.grid.repaint();
  }

  /** Show a padding ring of the given width around the grid (keeps the values). */
  setPad(pad) {
    if (pad === this.grid.options.pad) return;
    const focused = document.activeElement;
    const at = focused && this.grid.element.contains(focused)
      ? [Number(focused.dataset.row), Number(focused.dataset.col)] : null;
    const texts = this.grid.texts;
    this.grid.build(this.value.length, this.value[0].length, pad);
    this.grid.setValues(this.value);
    texts.forEach((row, r) => row.forEach((t, c) => {
      this.grid.texts[r][c] = t;
      this.grid.cell(r, c).value = t;
    }));
    if (at) this.grid.focusCell(at[0], at[1]);
  }

  /** Show (or clear, with "") an error under the grid and mark the grid invalid. */
  showError(message) {
    this.error.textContent = message;
    if (message) this.grid.element.setAttribute("aria-invalid", "true");
    else this.grid.element.removeAttribute("aria-invalid");
  }

  /** @returns {string} the matrix as text, one row per line */
  toText() {
    return this.value.map((r) => r.join(" ")).join("\n");
  }

  #edited(reason) {
    const bad = this.grid.firstInvalid();
    if (bad) {
      const name = `${this.options.name}${sub(bad.row + 1, bad.col + 1)}`;
      const message = bad.text.trim() === "" ? `${name} is empty: type a number` : `${name}: "${bad.text}" is not a number`;
      this.showError(message);
      this.dispatchEvent(new CustomEvent("invalid", { detail: { message } }));
      return;
    }
    this.value = this.grid.parsed();
    this.showError("");
    this.grid.repaint();
    this.dispatchEvent(new CustomEvent("change", { detail: { matrix: this.value, reason } }));
  }

  #resizeFromControls() {
    const { maxRows, maxCols, name } = this.options;
    const rows = Number(this.rowsInput.value);
    const cols = Number(this.colsInput.value);
    const okRows = Number.isInteger(rows) && rows >= 1 && rows <= maxRows;
    const okCols = Number.isInteger(cols) && cols >= 1 && cols <= maxCols;
    setInvalid(this.rowsInput, !okRows);
    setInvalid(this.colsInput, !okCols);
    if (!okRows || !okCols) {
      this.showError(`${name} can be 1 to ${maxRows} rows and 1 to ${maxCols} columns`);
      return;
    }
    const current = this.grid.parsed();
    const next = Array.from({ length: rows }, (_, r) =>
      Array.from({ length: cols }, (_, c) => {
        const v = current[r]?.[c];
        return v === undefined || Number.isNaN(v) ? 0 : v;
      }),
    );
    this.setValue(next);
    this.dispatchEvent(new CustomEvent("change", { detail: { matrix: this.value, reason: "resize" } }));
  }

  #onPaste(event) {
    const text = event.clipboardData?.getData("text") ?? "";
    if (!/[\s,;[\]]/.test(text.trim())) return; // one value: let it go into the cell
    event.preventDefault();
    this.#applyText(text);
  }

  #applyText(text) {
    const { maxRows, maxCols, name } = this.options;
    const parsed = parseMatrix(text);
    if ("error" in parsed) {
      this.showError(`could not read the pasted ${name}: ${parsed.error}`);
      return;
    }
    const m = parsed.matrix;
    if (m.length > maxRows || m[0].length > maxCols) {
      this.showError(`${name} can be at most ${maxRows}×${maxCols}; the pasted one is ${m.length}×${m[0].length}`);
      return;
    }
    this.setValue(m);
    if (this.textArea) this.textArea.value = this.toText();
    this.dispatchEvent(new CustomEvent("change", { detail: { matrix: this.value, reason: "paste" } }));
  }
}

/** Mark a control invalid (aria-invalid="true") or valid. */
export function setInvalid(element, invalid) {
  if (invalid) element.setAttribute("aria-invalid", "true");
  else element.removeAttribute("aria-invalid");
}

/**
 * Follow a whole-number control: a value from lo to hi goes to onValue; anything else marks
 * the control invalid and goes to onInvalid as "<name> must be a whole number from lo to hi".
 * @param {HTMLInputElement} input
 * @param {string} name
 * @param {[number, number]} range
 * @param {(value: number) => void} onValue
 * @param {(message: string) => void} onInvalid
 * @param {string} [event] "input" (every keystroke) or "change"
 */
export function onWholeNumber(input, name, [lo, hi], onValue, onInvalid, event = "input") {
  input.addEventListener(event, () => {
    const value = Number(input.value);
    const ok = input.value.trim() !== "" && Number.isInteger(value) && value >= lo && value <= hi;
    setInvalid(input, !ok);
    if (ok) onValue(value);
    else onInvalid(`${name} must be a whole number from ${lo} to ${hi}`);
  });
}
