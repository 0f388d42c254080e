// The backward pass of Y = X ∗ K on the "Backward and transposed" lesson: X, K and the upstream
// gradient G editable; Y, ∂L/∂X and ∂L/∂K from POST /api/conv2d/backward; any entry explained
// term by term by POST /api/conv2d/backward/explain; ∂L/∂X shown as a full convolution of the
// padded G with K rotated by 180° (the padding drawn) from the same answer.

import { ApiError } from "../../api.js";
import { convSide, oneHot, resized } from "../../exercise_views.js";
import { formatNumber, sub } from "../../format.js";
import { weightDomain } from "../../kernel_palette.js";
import { fade, PanelLab } from "../../lab.js";
import { GridEditor, onWholeNumber, setInvalid } from "../../widgets/grid_editor.js";
import { NumberGrid } from "../../widgets/number_grid.js";
import { BACKWARD_DEFAULTS, BACKWARD_LIMITS, backwardRequest, gradientFor, gradientPositions } from "./state.js";
import { $ } from "../../dom.js";

const name = (symbol, [i, j]) => `${symbol}${sub(i + 1, j + 1)}`;

/** The forward and backward pass of one convolution; the page owns the state. */
export class GradientLab extends PanelLab {
  constructor(options) {
    super(options);
    this.focus = null; // {kind: "dx" | "dk" | "g", cell}
    this.lastChanged = "x";
    const s = this.state;
    const L = BACKWARD_LIMITS;
    this.x = new GridEditor($("bw-x-editor"), { name: "X", label: "Input X", value: s.x, idPrefix: "bw-x", maxRows: L.input, maxCols: L.input, textBox: false });
    this.k = new GridEditor($("bw-k-editor"), { name: "K", label: "Kernel K", value: s.k, idPrefix: "bw-k", maxRows: L.kernel, maxCols: L.kernel, textBox: false, domain: weightDomain(s.k) });
    this.g = new GridEditor($("bw-g-editor"), { name: "G", label: "Upstream gradient G", value: s.g ?? [[1]], idPrefix: "bw-g", sizeControls: false, textBox: false, maxRows: 64, maxCols: 64 });
    this.y = new NumberGrid($("bw-y"), { rows: 1, cols: 1, name: "Y", label: "Output Y", maxCellPx: 34 });
    this.dx = new NumberGrid($("bw-dx"), { rows: 1, cols: 1, name: "∂L/∂X", label: "∂L/∂X: focus a cell to see its terms" });
    this.dk = new NumberGrid($("bw-dk"), { rows: 1, cols: 1, name: "∂L/∂K", label: "∂L/∂K: focus a cell to see its terms" });
    this.padded = new NumberGrid($("bw-padded"), { rows: 1, cols: 1, name: "G̃", label: "G with the zeros of the full convolution", maxCellPx: 32 });
    this.rot = new NumberGrid($("bw-rot"), { rows: 1, cols: 1, name: "rot K", label: "K rotated by 180°", maxCellPx: 32 });
    this.fullDx = new NumberGrid($("bw-full-dx"), { rows: 1, cols: 1, name: "∂L/∂X", label: "∂L/∂X from the full convolution: focus a cell to see its window", maxCellPx: 32 });
    this.#wire();
    $("bw-stride").value = String(s.stride);
    $("bw-padding").value = String(s.padding);
    $("bw-full").checked = s.full;
    $("bw-full-view").hidden = !s.full;
  }

  #wire() {
    for (const [editor, key] of [[this.x, "x"], [this.k, "k"]]) {
      editor.addEventListener("change", (e) => {
        const reshaped = e.detail.matrix.length !== this.state[key].length || e.detail.matrix[0].length !== this.state[key][0].length;
        this.state[key] = e.detail.matrix;
        this.#changed(key, reshaped);
      });
      editor.addEventListener("invalid", () => this.#stale());
    }
    this.g.addEventListener("change", (e) => {
      this.state.g = e.detail.matrix;
      this.#changed("g", false);
    });
    this.g.addEventListener("invalid", () => this.#stale());
    for (const key of ["stride", "padding"]) {
      onWholeNumber($(`bw-${key}`), key, [key === "stride" ? 1 : 0, BACKWARD_LIMITS[key]], (value) => {
        this.state[key] = value;
        this.#changed(key, true);
      }, (message) => {
        $("bw-error").textContent = message;
        this.#stale();
      });
    }
    $("bw-tutorial").addEventListener("click", () => {
      Object.assign(this.state, { x: structuredClone(BACKWARD_DEFAULTS.x), k: structuredClone(BACKWARD_DEFAULTS.k), stride: 1, padding: 0 });
      this.x.setValue(this.state.x);
      this.k.setValue(this.state.k);
      $("bw-stride").value = "1";
      $("bw-padding").value = "0";
      this.#changed("x", true);
    });
    for (const button of document.querySelectorAll("#bw-g-presets button")) {
      button.addEventListener("click", () => this.#presetG(button.dataset.g));
    }
    $("bw-full").addEventListener("change", (e) => {
      this.state.full = e.target.checked;
      $("bw-full-view").hidden = !this.state.full;
      this.save();
    });
    this.dx.addEventListener("cellenter", (e) => this.show("dx", [e.detail.row, e.detail.col]));
    this.fullDx.addEventListener("cellenter", (e) => this.show("dx", [e.detail.row, e.detail.col]));
    this.dk.addEventListener("cellenter", (e) => this.show("dk", [e.detail.row, e.detail.col]));
    this.g.grid.addEventListener("cellenter", (e) => this.show("g", [e.detail.row, e.detail.col]));
  }

  /**
   * After a Your-turn check of grad-input-entries: X resized to the exercise's size, K all ones
   * (so ∂L/∂X is 1 exactly where the gradient arrives), its stride and padding, and G one-hot at
   * the asked cell; once computed, the entries of ∂L/∂X that G reaches are outlined.
   * @param {{size: number, kernel: number, stride: number, padding: number, cell: [number, number]}} inputs
   */
  showExercise({ size, kernel, stride, padding, cell }) {
    const s = this.state;
    const side = convSide(size, kernel, stride, padding);
    Object.assign(s, {
      x: resized(s.x, size, size),
      k: Array.from({ length: kernel }, () => Array(kernel).fill(1)),
      stride,
      padding,
      g: oneHot(side, side, cell),
    });
    this.x.setValue(s.x);
    this.k.setValue(s.k);
    this.g.setValue(s.g);
    $("bw-stride").value = String(stride);
    $("bw-padding").value = String(padding);
    for (const id of ["bw-stride", "bw-padding"]) setInvalid($(id), false);
    this.focus = { kind: "g", cell };
    this.#changed("g", false);
  }

  #presetG(kind) {
    if (!this.answer) return;
    const [h, w] = this.answer.output_shape;
    if (kind === "ones") this.state.g = null;
    else if (kind === "one-hot") this.state.g = Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => (i === 0 && j === 0 ? 1 : 0)));
    else this.state.g = structuredClone(this.answer.output);
    this.#changed("g", false);
  }

  #changed(source, reshaped) {
    this.lastChanged = source;
    this.k.setDomain(weightDomain(this.state.k));
    if (reshaped && this.state.g) {
      // a G typed for the old output shape cannot follow: start again from all ones
      this.state.g = null;
      this.gReset = true;
    }
    this.save();
    this.lab.later(() => this.compute());
  }

  #stale() {
    this.lab.hold();
    this.#fade(true);
  }

  /** Ask the API for the forward and backward pass (stale answers dropped) and redraw. */
  async compute() {
    const s = this.state;
    const body = backwardRequest(s, s.g);
    const a = await this.lab.post("/api/conv2d/backward", body, (e) => this.#showError(e));
    if (!a) return;
    this.answer = a;
    this.body = body;
    this.#clearErrors();
    this.#fade(false);
    this.x.setPad(s.padding);
    this.y.setValues(a.output);
    const typed = gradientFor(s.g, a.output_shape);
    if (!typed) this.g.setValue(a.grad_output); // all ones, or a new shape: show the G the API used
    this.dx.setValues(a.grad_input);
    this.dk.setValues(a.grad_kernel);
    const [h, w] = [s.x.length, s.x[0].length];
    const [ho, wo] = a.output_shape;
    $("bw-forward-shape").textContent = `${h} × ${w} ∗ ${s.k.length} × ${s.k[0].length} → ${ho} × ${wo}`;
    $("bw-g-shape").textContent = `${ho} × ${wo}, like Y`;
    $("bw-dx-shape").textContent = `${h} × ${w}, like X`;
    $("bw-dk-shape").textContent = `${s.k.length} × ${s.k[0].length}, like K`;
    $("bw-g-note").textContent = (this.gReset ? "The output changed shape, so G went back to all ones. " : "") +
      (gradientFor(s.g, a.output_shape) ? "G as typed." : "G = all ones: the loss is the sum of Y, so every output counts once.") +
      " Hover a cell of G to see which entries of ∂L/∂X it touches.";
    this.gReset = false;
    this.#renderFull(a);
    const f = this.focus;
    if (f) this.show(f.kind, f.cell);
  }

  #renderFull(a) {
    const full = a.full_convolution;
    const row = document.querySelector(".bw-full-row");
    row.hidden = !full.applicable;
    if (!full.applicable) {
      this.gAt = null;
      $("bw-full-note").textContent = full.note;
      return;
    }
    this.padded.setValues(full.padded_grad);
    // rot K is K's weights moved: same colours as K (the weight scale of kernel_palette.js)
    this.rot.setValues(full.rotated_kernel, { domain: weightDomain(this.state.k) });
    this.fullDx.setValues(a.grad_input);
    const shape = [full.padded_grad.length, full.padded_grad[0].length];
    this.gAt = gradientPositions(a.output_shape, full.pads, full.inserted_zeros, shape);
    for (const cell of this.padded.element.querySelectorAll(".cell")) {
      cell.classList.toggle("is-added-zero", !this.gAt.has(`${cell.dataset.row},${cell.dataset.col}`));
    }
    $("bw-padded-caption").textContent = `G padded: ${shape[0]} × ${shape[1]}`;
    $("bw-full-note").textContent = `${full.note}. Result: ∂L/∂X, ${a.grad_input.length} × ${a.grad_input[0].length}, like X.`;
  }

  /**
   * Explain one entry: a cell of ∂L/∂X ("dx"), of ∂L/∂K ("dk"), or which entries of ∂L/∂X a
   * cell of G touches ("g").
   * @param {"dx" | "dk" | "g"} kind
   * @param {[number, number]} cell
   */
  async show(kind, cell) {
    if (!this.answer) return;
    this.focus = { kind, cell };
    const field = { dx: "input_cell", dk: "kernel_cell", g: "output_cell" }[kind];
    const answer = await this.lab.explain(`${field}:${cell}`, "/api/conv2d/backward/explain", { ...this.body, [field]: cell }, (error) => {
      $("bw-explain").textContent = `Could not explain this entry: ${error.message}`;
    });
    if (!answer) return;
    this.#clearMarks();
    const e = answer[field];
    if (kind === "dx") this.#showDx(cell, e);
    else if (kind === "dk") this.#showDk(cell, e);
    else this.#showG(cell, e);
  }

  #showDx(cell, e) {
    this.dx.mark([cell], "is-current");
    this.fullDx.mark([cell], "is-current");
    this.x.grid.mark([cell], "is-current");
    this.g.grid.mark(e.terms.map((t) => t.output_cell), "is-influenced");
    this.k.grid.mark(e.terms.map((t) => t.kernel_index.slice(-2)), "is-window");
    const symbols = e.terms.map((t) => `${name("G", t.output_cell)}·${name("K", t.kernel_index.slice(-2))}`);
    const lhs = `∂L/∂${name("X", cell)}`;
    $("bw-explain").textContent = e.terms.length === 0
      ? `${lhs} = 0: no window reads ${name("X", cell)} (the stride skips it).`
      : `${lhs} = ${symbols.join(" + ")}\n     = ${e.expression}` +
        `   (${e.terms.length} output${e.terms.length === 1 ? "" : "s"} read ${name("X", cell)})`;
    if (this.gAt && this.answer.full_convolution.applicable) {
      const [kh, kw] = [this.state.k.length, this.state.k[0].length];
      const window = [];
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) window.push([cell[0] + a, cell[1] + b]);
      this.padded.mark(window, "is-window");
    }
  }

  #showDk(cell, e) {
    this.dk.mark([cell], "is-current");
    this.k.grid.mark([cell], "is-current");
    this.g.grid.mark(e.terms.map((t) => t.output_cell), "is-influenced");
    this.x.grid.mark(e.terms.filter((t) => !t.padding).map((t) => [t.row, t.col]), "is-window");
    const padded = e.terms.filter((t) => t.padding).length;
    const symbols = e.terms.map((t) => `${name("G", t.output_cell)}·${t.padding ? "0" : name("X", [t.row, t.col])}`);
    $("bw-explain").textContent =
      `∂L/∂${name("K", cell)} = ${symbols.join(" + ")}\n     = ${e.expression}` +
      `   (${name("K", cell)} is used by all ${e.terms.length} outputs${padded ? `; ${padded} of them read the zero padding` : ""})`;
  }

  #showG(cell, e) {
    this.g.grid.mark([cell], "is-current");
    this.y.mark([cell], "is-current");
    this.dx.mark(e.touches.map((t) => t.cell), "is-influenced");
    this.fullDx.mark(e.touches.map((t) => t.cell), "is-influenced");
    const g = name("G", cell);
    const parts = e.touches.map((t) => `∂L/∂${name("X", t.cell)} += ${g}·${name("K", t.kernel_index.slice(-2))} = ${formatNumber(e.grad, { parens: true })}·${formatNumber(t.weight, { parens: true })} = ${formatNumber(t.product)}`);
    $("bw-explain").textContent =
      `${g} = ${formatNumber(e.grad)} touches ${e.touches.length} entr${e.touches.length === 1 ? "y" : "ies"} of ∂L/∂X, the cells its window read:\n` +
      parts.join("\n");
  }

  #clearMarks() {
    for (const grid of [this.dx, this.dk, this.y, this.fullDx, this.padded]) {
      for (const cls of ["is-current", "is-influenced", "is-window"]) grid.clearMark(cls);
    }
    for (const editor of [this.x, this.k, this.g]) {
      for (const cls of ["is-current", "is-influenced", "is-window"]) editor.grid.clearMark(cls);
    }
  }

  #fade(stale) {
    fade([this.y, this.dx, this.dk, this.fullDx].map((grid) => grid.wrap), stale);
  }

  #showError(error) {
    this.#stale();
    if (!(error instanceof ApiError)) {
      $("bw-error").textContent = `Could not reach the server (${error.message}); the numbers shown are the last ones computed.`;
      return;
    }
    const field = error.field && error.field[0];
    if (field === "input") this.x.showError(error.message);
    else if (field === "kernel" || (!field && this.lastChanged === "k")) this.k.showError(error.message);
    else if (field === "grad_output" || this.lastChanged === "g") this.g.showError(error.message);
    else $("bw-error").textContent = error.message;
  }

  #clearErrors() {
    $("bw-error").textContent = "";
    for (const editor of [this.x, this.k, this.g]) editor.showError("");
  }
}
