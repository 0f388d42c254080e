// The second half of the "Backward and transposed" lesson: the transposed convolution of a small
// input (POST /api/conv-transpose2d: output, overlap counts, the size formula; one cell
// explained by /api/conv-transpose2d/explain), and the 1-D convolution of a signal
// (POST /api/conv1d). Every number shown comes from those answers.

import { $, withSubscripts } from "../../dom.js";
import { formatNumber, parseNumber, sub } from "../../format.js";
import { weightDomain } from "../../kernel_palette.js";
import { fade, failure, PanelLab } from "../../lab.js";
import { GridEditor, onWholeNumber, setInvalid } from "../../widgets/grid_editor.js";
import { NumberGrid } from "../../widgets/number_grid.js";
import { BACKWARD_LIMITS, ONES, parseSignal, signalRequest, transposeRequest } from "./state.js";

const name = (symbol, [i, j]) => `${symbol}${sub(i + 1, j + 1)}`;
const PRESETS = {
  ones: { x: ONES(3, 3), k: ONES(3, 3), stride: 2, padding: 0, outpad: 0 },
  ramp: { x: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], k: ONES(3, 3), stride: 2, padding: 0, outpad: 0 },
  k2: { x: ONES(3, 3), k: ONES(2, 2), stride: 2, padding: 0, outpad: 0 },
};

/** The transposed convolution: stamps of K that overlap. */
export class TransposedLab extends PanelLab {
  constructor(options) {
    super(options);
    this.focus = null;
    const t = this.state.t;
    const L = BACKWARD_LIMITS;
    this.x = new GridEditor($("tc-x-editor"), { name: "X", label: "Transposed convolution input", value: t.x, idPrefix: "tc-x", maxRows: L.tInput, maxCols: L.tInput, textBox: false });
    this.k = new GridEditor($("tc-k-editor"), { name: "K", label: "Transposed convolution kernel", value: t.k, idPrefix: "tc-k", maxRows: L.kernel, maxCols: L.kernel, textBox: false, domain: weightDomain(t.k) });
    this.y = new NumberGrid($("tc-y"), { rows: 1, cols: 1, name: "Y", label: "Transposed convolution output: focus a cell to see its stamps", maxCellPx: 32 });
    this.overlaps = new NumberGrid($("tc-overlaps"), { rows: 1, cols: 1, name: "n", label: "Stamps overlapping on each output cell", scale: "sequential", maxCellPx: 32 });
    this.#wire();
    this.#showSettings();
  }

  #wire() {
    for (const [editor, key] of [[this.x, "x"], [this.k, "k"]]) {
      editor.addEventListener("change", (e) => {
        this.state.t[key] = e.detail.matrix;
        this.#changed();
      });
      editor.addEventListener("invalid", () => this.#stale());
    }
    for (const [id, key, min, max] of [["tc-stride", "stride", 1, BACKWARD_LIMITS.stride], ["tc-padding", "padding", 0, BACKWARD_LIMITS.padding], ["tc-outpad", "outpad", 0, BACKWARD_LIMITS.stride - 1]]) {
      onWholeNumber($(id), $(id).labels[0].textContent, [min, max], (value) => {
        this.state.t[key] = value;
        this.#changed();
      }, (message) => {
        $("tc-error").textContent = message;
        this.#stale();
      });
    }
    for (const button of document.querySelectorAll("[data-tc]")) {
      button.addEventListener("click", () => {
        this.state.t = structuredClone(PRESETS[button.dataset.tc]);
        this.x.setValue(this.state.t.x);
        this.k.setValue(this.state.t.k);
        this.#showSettings();
        this.#changed();
      });
    }
    this.y.addEventListener("cellenter", (e) => this.show("output_cell", [e.detail.row, e.detail.col]));
    this.x.grid.addEventListener("cellenter", (e) => this.show("input_cell", [e.detail.row, e.detail.col]));
  }

  /**
   * After a Your-turn check of transposed-output-size: an input of ones of the exercise's size,
   * a kernel of ones, its stride, padding and output_padding; the answer shows the output's size
   * and the formula with these numbers (and, as counts, how the stamps overlap).
   * @param {{size: number, kernel: number, stride: number, padding: number, output_padding: number}} inputs
   */
  showExercise({ size, kernel, stride, padding, output_padding: outpad }) {
    this.state.t = { x: ONES(size, size), k: ONES(kernel, kernel), stride, padding, outpad };
    this.x.setValue(this.state.t.x);
    this.k.setValue(this.state.t.k);
    this.#showSettings();
    this.focus = null;
    this.#changed();
  }

  #showSettings() {
    $("tc-stride").value = String(this.state.t.stride);
    $("tc-padding").value = String(this.state.t.padding);
    $("tc-outpad").value = String(this.state.t.outpad);
    for (const id of ["tc-stride", "tc-padding", "tc-outpad"]) setInvalid($(id), false);
  }

  #changed() {
    this.k.setDomain(weightDomain(this.state.t.k));
    this.save();
    this.lab.later(() => this.compute());
  }

  #stale() {
    this.lab.hold();
    fade([this.y.wrap, this.overlaps.wrap], true);
  }

  /** Ask the API for the transposed convolution and redraw. */
  async compute() {
    const body = transposeRequest(this.state.t);
    const a = await this.lab.post("/api/conv-transpose2d", body, (error) => {
      this.#stale();
      $("tc-error").textContent = failure(error);
    });
    if (!a) return;
    this.answer = a;
    this.body = body;
    $("tc-error").textContent = "";
    this.x.showError("");
    this.k.showError("");
    fade([this.y.wrap, this.overlaps.wrap], false);
    this.y.setValues(a.output);
    this.overlaps.setValues(a.overlaps, { domain: [0, Math.max(1, ...a.overlaps.flat())] });
    const t = this.state.t;
    $("tc-shape").textContent = `${t.x.length} × ${t.x[0].length} → ${a.output_shape.join(" × ")}`;
    const counts = [...new Set(a.overlaps.flat())].sort((p, q) => p - q);
    // plain text: "output_padding" is a name here, not a subscript
    $("tc-formula").textContent = [
      `H_out = ${a.formula.general}`,
      `H_out × W_out = ${a.formula.text}`,
      `overlap counts on the output: ${counts.join(", ")}` +
        (counts.length > 1 ? " — uneven: the checkerboard" : " — even: every cell gets the same number of stamps"),
    ].join("\n");
    if (this.focus) this.show(this.focus.field, this.focus.cell);
  }

  /**
   * Explain an output cell (the stamps that add up in it) or an input cell (where it stamps K).
   * @param {"output_cell" | "input_cell"} field
   * @param {[number, number]} cell
   */
  async show(field, cell) {
    if (!this.answer) return;
    this.focus = { field, cell };
    const answer = await this.lab.explain(`${field}:${cell}`, "/api/conv-transpose2d/explain", { ...this.body, [field]: cell }, (error) => {
      $("tc-explain").textContent = `Could not explain this cell: ${error.message}`;
    });
    if (!answer) return;
    for (const grid of [this.y, this.x.grid, this.k.grid]) for (const cls of ["is-current", "is-window", "is-influenced"]) grid.clearMark(cls);
    const e = answer[field];
    if (field === "output_cell") {
      this.y.mark([cell], "is-current");
      this.x.grid.mark(e.terms.map((t) => t.input_cell), "is-window");
      this.k.grid.mark(e.terms.map((t) => t.kernel_index.slice(-2)), "is-window");
      const symbols = e.terms.map((t) => `${name("X", t.input_cell)}·${name("K", t.kernel_index.slice(-2))}`);
      $("tc-explain").textContent = e.terms.length === 0
        ? `${name("Y", cell)} = ${formatNumber(e.value)}: no stamp reaches it.`
        : `${name("Y", cell)} = ${symbols.join(" + ")}\n     = ${e.expression}   (${e.terms.length} stamp${e.terms.length === 1 ? "" : "s"} overlap here)`;
    } else {
      this.x.grid.mark([cell], "is-current");
      this.y.mark(e.outputs.map((o) => o.cell), "is-influenced");
      const cropped = e.cropped ? `; ${e.cropped} more fell in the padding p that is cut off` : "";
      $("tc-explain").textContent =
        `${name("X", cell)} stamps ${name("X", cell)}·K onto ${e.outputs.length} output cell${e.outputs.length === 1 ? "" : "s"}: ` +
        `${e.outputs.map((o) => `${name("Y", o.cell)} gets ${name("X", cell)}·${name("K", o.kernel_position.slice(-2))}`).join(", ")}${cropped}.`;
    }
  }
}

/** The 1-D convolution of a signal. */
export class SignalLab extends PanelLab {
  constructor(options) {
    super(options);
    const sig = this.state.sig;
    this.xGrid = new NumberGrid($("sig-x-grid"), { rows: 1, cols: sig.x.length, name: "x", label: "Signal x", maxCellPx: 32 });
    this.yGrid = new NumberGrid($("sig-y-grid"), { rows: 1, cols: 1, name: "y", label: "Output y: focus a cell to see its window", maxCellPx: 32 });
    $("sig-x").value = sig.x.join(" ");
    $("sig-k").value = sig.k.join(" ");
    $("sig-flip").checked = sig.flip;
    for (const [id, key, max] of [["sig-x", "x", BACKWARD_LIMITS.signal], ["sig-k", "k", BACKWARD_LIMITS.signalKernel]]) {
      $(id).addEventListener("input", (e) => {
        const parsed = parseSignal(e.target.value, parseNumber);
        const error = "error" in parsed ? parsed.error : parsed.values.length > max ? `at most ${max} numbers` : "";
        setInvalid(e.target, Boolean(error));
        if (error) {
          $("sig-error").textContent = `${key === "x" ? "signal x" : "kernel k"}: ${error}`;
          this.yGrid.wrap.classList.add("stale");
          this.lab.hold();
          return;
        }
        this.state.sig[key] = parsed.values;
        this.#changed();
      });
    }
    $("sig-flip").addEventListener("change", (e) => {
      this.state.sig.flip = e.target.checked;
      this.#changed();
    });
    this.yGrid.addEventListener("cellenter", (e) => this.#showWindow(e.detail.col));
  }

  #changed() {
    this.save();
    this.lab.later(() => this.compute());
  }

  /** Ask the API for the 1-D convolution and redraw. */
  async compute() {
    const sig = structuredClone(this.state.sig);
    const a = await this.lab.post("/api/conv1d", signalRequest(sig), (error) => {
      $("sig-error").textContent = failure(error);
      this.yGrid.wrap.classList.add("stale");
    });
    if (!a) return;
    this.answer = { ...a, sig };
    $("sig-error").textContent = "";
    this.yGrid.wrap.classList.remove("stale");
    this.xGrid.setValues([sig.x]);
    this.yGrid.setValues([a.output]);
    $("sig-shape").textContent = `${sig.x.length} samples ∗ ${sig.k.length} taps → ${a.output_shape.join(" × ")}`;
    $("sig-y-caption").textContent = sig.flip ? "y = x ∗ k (k flipped: convolution)" : "y = x ⋆ k (cross-correlation)";
    $("sig-formula").replaceChildren(withSubscripts(`L_out = ${a.formula.general}: ${a.formula.text}`));
  }

  #showWindow(j) {
    if (!this.answer) return;
    const k = this.answer.sig.k.length;
    this.yGrid.mark([[0, j]], "is-current");
    this.xGrid.mark(Array.from({ length: k }, (_, a) => [0, j + a]), "is-window");
  }
}
