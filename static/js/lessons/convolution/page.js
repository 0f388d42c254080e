// The Convolution page (tutorial Q3a–b): editable X and K, settings, the output Y from
// POST /api/conv2d, one cell explained by POST /api/conv2d/explain, play/step through the
// windows. Every number shown comes from the API; this module only wires widgets to it.

import { ApiError } from "../../api.js";
import { $, el } from "../../dom.js";
import { convExercise } from "../../exercise_views.js";
import { formatCount, sub } from "../../format.js";
import { weightDomain } from "../../kernel_palette.js";
import { Lab } from "../../lab.js";
import { KERNEL_PRESETS } from "../../presets.js";
import { loadState, saveState } from "../../url_state.js";
import { GridEditor, setInvalid } from "../../widgets/grid_editor.js";
import { NumberGrid } from "../../widgets/number_grid.js";
import { ChannelsLab } from "./channels_lab.js";
import { CONV_DEFAULTS, CONV_KEY, MAX_INPUT, MAX_KERNEL, PADDING_MODES, cleanConvState, convRequest } from "../../conv_state.js";

const GENERAL_SIZE = "⌊(H + 2p − d(k−1) − 1)/s⌋ + 1";

/** The size rule the API applied, named for what it is: the general rule or this case of it. */
function formulaNote(rule) {
  return rule === GENERAL_SIZE ? `(general: ${rule})` : `(the rule for these settings: ${rule}; in general ${GENERAL_SIZE})`;
}

const STALE_NOTE = "Y is not up to date: fix what is marked in red (the last valid output and its figures are shown faded).";

const SETTINGS = ["stride", "padding", "dilation"];
const API_FIELD_TO_CONTROL = {
  stride: "stride",
  padding: "padding",
  padding_mode: "padding-mode",
  dilation: "dilation",
  flip_kernel: "flip",
};

/**
 * Where an API error belongs: the field the API named, else the control the student changed
 * last (that is what caused it).
 * @param {ApiError} error
 * @param {string} lastChanged "input" | "kernel" | a settings control id
 * @returns {string} "input" | "kernel" | a settings control id
 */
export function errorTarget(error, lastChanged) {
  const field = error.field && error.field[0];
  if (field === "input") return "input";
  if (field === "kernel") return "kernel";
  if (field && API_FIELD_TO_CONTROL[field]) return API_FIELD_TO_CONTROL[field];
  return lastChanged;
}

/** Wires the page: one instance per page load. */
class ConvolutionPage {
  constructor() {
    const { state } = loadState(CONV_KEY, CONV_DEFAULTS, cleanConvState);
    /** @type {import("../../conv_state.js").ConvState} */
    this.state = state;
    this.lastChanged = "kernel";
    this.lab = new Lab();
    this.focus = null; // {kind: "output" | "input", row, col}
    // the term-by-term box's prompt, shown again whenever no cell is followed
    this.explainPrompt = $("explain-text").textContent;
    this.output = null; // last Conv2dResponse
    this.playTimer = null;
    this.playIndex = -1;

    // big grids shrink their cells to fit their panel (down to 14 px, then they scroll)
    const widthOf = (id) => Math.max(200, $(id).clientWidth - 8);
    this.input = new GridEditor($("input-editor"), {
      name: "X", label: "Input X", value: state.x, maxRows: MAX_INPUT, maxCols: MAX_INPUT, idPrefix: "input",
      fitWidth: widthOf("input-editor"),
    });
    this.kernel = new GridEditor($("kernel-editor"), {
      name: "K", label: "Kernel K", value: state.k, maxRows: MAX_KERNEL, maxCols: MAX_KERNEL, idPrefix: "kernel",
      domain: weightDomain(state.k),
    });
    this.outputGrid = new NumberGrid($("output-grid"), {
      rows: 1, cols: 1, name: "Y", label: "Output Y: focus a cell to see its sum", fitWidth: widthOf("output-grid"),
    });
    this.#wireEditors();
    this.#wireSettings();
    this.#wirePresets();
    this.#wirePlay();
    this.#showSettings();
    this.#showShapes();
    this.channels = new ChannelsLab({ state: this.state, save: () => saveState(CONV_KEY, this.state) });
    this.#wireView();
    document.addEventListener("exercise:reveal", (e) => this.showExercise(e.detail));
  }

  /**
   * After a Your-turn check: conv-output-value loads the exercise's X, K, stride and padding
   * into the one-channel view and shows the asked output's window and term-by-term sum;
   * output-size sets the geometry (X and K resized to H and k, the student's numbers kept where
   * they fit; stride, padding, dilation), so Y and the size formula show the exercise's output.
   * @param {{id: string, inputs: any, shown?: object}} detail the "exercise:reveal" detail
   */
  showExercise(detail) {
    const { id, inputs } = detail;
    let loaded;
    if (id === "conv-output-value") {
      const { input, kernel, stride, padding } = inputs;
      loaded = { ...this.state, x: input, k: kernel, stride, padding, mode: "zeros", dilation: 1, flip: false };
      this.focus = { kind: "output", row: inputs.cell[0], col: inputs.cell[1] };
      detail.shown = { target: "output-title", text: "X and K loaded, the asked output's window and its sum term by term" };
    } else if (id === "output-size") {
      loaded = convExercise(id, inputs, this.state);
      this.focus = null;
      detail.shown = { target: "formula-title", text: "X and K of these sizes with these settings: Y and the size formula" };
    } else {
      return;
    }
    if (this.state.view !== "single") {
      const single = $("view-single");
      single.checked = true;
      single.dispatchEvent(new Event("change"));
    }
    Object.assign(this.state, loaded, { view: "single" });
    this.input.setValue(this.state.x);
    this.kernel.setValue(this.state.k);
    this.kernel.setDomain(weightDomain(this.state.k));
    this.#showSettings();
    this.#showShapes();
    saveState(CONV_KEY, this.state);
    this.compute();
  }

  /** The one-channel view (the tutorial's X and K) or the channels view; the choice is in the URL. */
  #wireView() {
    const show = (view) => {
      this.state.view = view;
      $(`view-${view}`).checked = true;
      $("single-lab").hidden = view !== "single";
      $("channels-lab").hidden = view !== "channels";
      if (view === "channels") {
        this.stop();
        this.channels.activate();
      } else {
        this.channels.deactivate();
        this.compute();
      }
    };
    for (const radio of document.querySelectorAll('input[name="conv-view"]')) {
      radio.addEventListener("change", () => {
        if (!radio.checked) return;
        show(radio.value);
        saveState(CONV_KEY, this.state);
      });
    }
    show(this.state.view);
  }

  #wireEditors() {
    for (const [editor, key] of [[this.input, "x"], [this.kernel, "k"]]) {
      const source = key === "x" ? "input" : "kernel";
      editor.addEventListener("change", (e) => {
        this.state[key] = e.detail.matrix;
        this.#changed(source);
      });
      editor.addEventListener("invalid", () => {
        this.lab.hold();
        this.#markStale(true);
      });
    }
    this.input.grid.addEventListener("cellenter", (e) => {
      if (!e.detail.pad && !this.#playing()) this.showInput(e.detail.row, e.detail.col);
    });
    this.outputGrid.addEventListener("cellenter", (e) => {
      if (this.#playing()) return;
      this.showOutput(e.detail.row, e.detail.col);
      this.#keepInputInView();
    });
  }

  #wireSettings() {
    const select = $("padding-mode");
    for (const [value, label] of PADDING_MODES) select.add(new Option(label, value));
    for (const id of SETTINGS) {
      $(id).addEventListener("input", (e) => {
        const text = e.target.value.trim();
        const value = Number(text);
        if (text === "" || !Number.isInteger(value)) {
          setInvalid(e.target, true);
          this.#settingsError(`${id} must be a whole number`);
          this.#markStale(true);
          return;
        }
        this.state[id] = value;
        this.#changed(id);
      });
    }
    select.addEventListener("change", () => {
      this.state.mode = select.value;
      this.#changed("padding-mode");
    });
    $("flip").addEventListener("change", (e) => {
      this.state.flip = e.target.checked;
      this.#changed("flip");
    });
  }

  #wirePresets() {
    const box = $("kernel-presets");
    for (const preset of KERNEL_PRESETS) {
      const button = el("button", {
        type: "button", textContent: preset.name, "data-preset": preset.id,
        title: preset.id === "tutorial" ? `${preset.description} (also restores the tutorial's X)` : preset.description,
      });
      button.addEventListener("click", () => {
        this.state.k = preset.kernel.map((r) => r.slice());
        this.kernel.setValue(this.state.k);
        if (preset.id === "tutorial") {
          this.state.x = CONV_DEFAULTS.x.map((r) => r.slice());
          this.input.setValue(this.state.x);
        }
        this.#changed("kernel");
      });
      box.appendChild(button);
    }
  }

  #wirePlay() {
    this.playButton = $("play");
    this.speed = $("speed");
    this.playButton.addEventListener("click", () => (this.#playing() ? this.stop() : this.play()));
    $("step").addEventListener("click", () => {
      this.stop();
      this.step();
    });
    this.speed.addEventListener("input", () => {
      this.speed.setAttribute("aria-valuetext", `${this.speed.value} steps per 2 seconds`);
      if (this.#playing()) {
        this.stop();
        this.play();
      }
    });
  }

  #showSettings() {
    for (const id of SETTINGS) $(id).value = String(this.state[id]);
    $("padding-mode").value = this.state.mode;
    $("flip").checked = this.state.flip;
  }

  #showShapes() {
    const { x, k } = this.state;
    $("input-shape").textContent = `${x.length} × ${x[0].length}`;
    $("kernel-shape").textContent = `${k.length} × ${k[0].length}`;
  }

  #changed(source) {
    performance.clearMarks("conv-edit");
    performance.mark("conv-edit");
    this.lastChanged = source;
    // K keeps the weight scale shared with the matrix and backward pages (kernel_palette.js)
    if (source === "kernel") this.kernel.setDomain(weightDomain(this.state.k));
    saveState(CONV_KEY, this.state);
    this.#showShapes();
    this.lab.later(() => this.compute());
  }

  /** Ask the API for Y (stale answers are dropped) and redraw. */
  async compute() {
    performance.mark("conv-request");
    const body = convRequest(this.state);
    const answer = await this.lab.post("/api/conv2d", body, (e) => this.#showError(e));
    if (!answer) return;
    this.output = answer;
    this.#clearErrors();
    this.#render(answer);
    // figures for the README: edit → repainted output, and request → repainted output
    window.requestAnimationFrame(() => {
      if (performance.getEntriesByName("conv-edit", "mark").length) {
        performance.measure("conv-edit-to-paint", "conv-edit");
        performance.clearMarks("conv-edit");
      }
      performance.measure("conv-request-to-paint", "conv-request");
    });
  }

  #render(result) {
    this.input.setPad(Math.min(this.state.padding, 8));
    this.outputGrid.setValues(result.output);
    this.#markStale(false);
    $("output-shape").textContent = `${result.output_shape.join(" × ")}`;
    $("size-formula").textContent =
      `H_out × W_out = ${result.formula.text}\n${formulaNote(result.formula.general)}`;
    const c = result.counts;
    $("count-inputs").textContent = formatCount(c.inputs_per_output);
    $("count-params").textContent = formatCount(c.kernel_parameters);
    $("count-outputs").textContent = formatCount(c.outputs_sharing_parameters);
    $("sharing-note").textContent =
      `Sparse interactions: each output reads ${formatCount(c.inputs_per_output)} of the ` +
      `${formatCount(this.state.x.length * this.state.x[0].length)} inputs. Parameter sharing: ` +
      `the same ${formatCount(c.kernel_parameters)} weights make all ` +
      `${formatCount(c.outputs_sharing_parameters)} outputs (${formatCount(c.multiply_adds)} multiply-adds in all).`;
    $("output-status").textContent = "";
    // keep the explanation the student was reading, recomputed for the new numbers
    const f = this.focus;
    if (f && f.kind === "output" && f.row < result.output.length && f.col < result.output[0].length) {
      this.showOutput(f.row, f.col);
    } else if (f && f.kind === "input" && f.row < this.state.x.length && f.col < this.state.x[0].length) {
      this.showInput(f.row, f.col);
    } else {
      // the followed cell is gone (new sizes): its old sum must not stay beside the new Y
      this.#clearHighlights();
      this.focus = null;
      $("explain-text").textContent = this.explainPrompt;
    }
  }

  /**
   * On a one-column (phone) layout, a chosen output's window is drawn in X above it: when X is
   * off screen and X and Y fit on the screen together, scroll so both show (cause beside effect).
   */
  #keepInputInView() {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    const x = this.input.grid.wrap.getBoundingClientRect();
    const y = this.outputGrid.wrap.getBoundingClientRect();
    if (x.top >= 0 && x.bottom <= window.innerHeight) return;
    const top = Math.min(x.top, y.top);
    const bottom = Math.max(x.bottom, y.bottom);
    if (bottom - top > window.innerHeight) return;
    window.scrollBy({ top: top - 8, behavior: "instant" });
  }

  /** Explain one output cell: its window in X, its sum term by term. */
  async showOutput(row, col) {
    this.focus = { kind: "output", row, col };
    const answer = await this.#explain({ output_cell: [row, col] });
    if (!answer) return;
    const e = answer.output_cell;
    this.#clearHighlights();
    this.outputGrid.mark([[row, col]], "is-current");
    this.input.grid.mark(e.window.map((t) => [t.row, t.col]), "is-window");
    for (const t of e.window) if (t.padding) this.input.grid.setPadValue(t.row, t.col, t.value);
    const name = `Y${sub(row + 1, col + 1)}`;
    const padded = e.window.filter((t) => t.padding).length;
    const padNote = padded ? `  (${padded} of the ${e.window.length} cells are padding)` : "";
    $("explain-text").textContent = `${name} = ${e.expression}${padNote}`;
  }

  /** Follow one input cell: every output it influences. */
  async showInput(row, col) {
    this.focus = { kind: "input", row, col };
    const answer = await this.#explain({ input_cell: [row, col] });
    if (!answer) return;
    const influence = answer.input_cell;
    this.#clearHighlights();
    this.input.grid.mark([[row, col]], "is-current");
    this.outputGrid.mark(influence.outputs.map((o) => o.cell), "is-influenced");
    const names = influence.outputs.map((o) => `Y${sub(o.cell[0] + 1, o.cell[1] + 1)}`);
    const xName = `X${sub(row + 1, col + 1)}`;
    $("explain-text").textContent =
      influence.count === 0
        ? `${xName} influences no output (the stride or dilation skips it).`
        : `${xName} influences ${influence.count} output${influence.count === 1 ? "" : "s"}: ${names.join(", ")}` +
          ` — through weights ${influence.outputs.map((o) => o.kernel_positions.map(([a, b]) => `K${sub(a + 1, b + 1)}`).join("+")).join(", ")}.`;
  }

  #explain(cell) {
    const body = { ...convRequest(this.state), ...cell };
    return this.lab.explain(JSON.stringify(cell), "/api/conv2d/explain", body, (error) => {
      $("explain-text").textContent = `Could not explain this cell: ${error.message}`;
    });
  }

  #clearHighlights() {
    for (const cls of ["is-window", "is-current"]) this.input.grid.clearMark(cls);
    for (const cls of ["is-current", "is-influenced"]) this.outputGrid.clearMark(cls);
    for (const cell of this.input.grid.element.querySelectorAll(".is-pad")) {
      cell.textContent = "";
      cell.style.background = "";
      cell.style.color = "";
    }
  }

  // -- play / step ---------------------------------------------------------------------------

  #playing() {
    return this.playTimer !== null;
  }

  /** Move the window to the next output cell (row-major, wrapping). */
  step() {
    if (!this.output) return;
    const [rows, cols] = [this.output.output.length, this.output.output[0].length];
    this.playIndex = (this.playIndex + 1) % (rows * cols);
    const row = Math.floor(this.playIndex / cols);
    const col = this.playIndex % cols;
    $("output-status").textContent = `window at Y${sub(row + 1, col + 1)} (${this.playIndex + 1} of ${rows * cols})`;
    this.showOutput(row, col);
  }

  /**
   * Slide the window across the input until stopped; when the system asks for reduced motion,
   * move it by one output only (Step and Play then advance it by hand).
   */
  play() {
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      this.step();
      $("output-status").textContent +=
        " · animation off (your system asks for reduced motion): press Play or Step for the next window";
      return;
    }
    const interval = 2000 / Number(this.speed.value);
    this.playButton.setAttribute("aria-pressed", "true");
    this.playButton.textContent = "❚❚ Pause";
    this.step();
    this.playTimer = window.setInterval(() => this.step(), interval);
  }

  /** Stop sliding. */
  stop() {
    window.clearInterval(this.playTimer);
    this.playTimer = null;
    this.playButton.setAttribute("aria-pressed", "false");
    this.playButton.textContent = "▶ Play";
  }

  // -- errors --------------------------------------------------------------------------------

  #showError(error) {
    this.#markStale(true);
    if (!(error instanceof ApiError)) {
      $("output-error").textContent =
        `Could not reach the server (${error.message}); the output shown is the last one computed.`;
      return;
    }
    this.#clearErrors();
    const target = errorTarget(error, this.lastChanged);
    if (target === "input") this.input.showError(error.message);
    else if (target === "kernel") this.kernel.showError(error.message);
    else {
      const control = $(target);
      if (control) setInvalid(control, true);
      this.#settingsError(error.message);
    }
  }

  #settingsError(message) {
    $("settings-error").textContent = message;
  }

  #clearErrors() {
    this.input.showError("");
    this.kernel.showError("");
    this.#settingsError("");
    $("output-error").textContent = "";
    for (const id of Object.values(API_FIELD_TO_CONTROL)) setInvalid($(id), false);
  }

  /** Fade Y and every number computed from it while the input is invalid, and say so. */
  #markStale(stale) {
    this.outputGrid.wrap.classList.toggle("stale", stale);
    for (const id of ["size-formula", "counts", "sharing-note", "output-shape", "explain-text"]) {
      $(id)?.classList.toggle("stale", stale);
    }
    if (stale) $("output-status").textContent = STALE_NOTE;
  }
}

new ConvolutionPage();
