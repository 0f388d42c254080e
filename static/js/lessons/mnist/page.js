// MNIST CNN lesson (Q2, Q6): a drawing pad wired to the MNIST API. While the student draws, the
// drawing goes to POST /api/mnist/activations (as a PNG, so the server's MNIST normalisation
// runs) and the probabilities and every layer's maps are repainted. The requests are paced so
// that a whole class can draw at once: while the pen moves, a light update (no preprocessing
// previews) at most every LIVE_INTERVAL_MS with one request in flight; when the stroke ends, a
// full update at once (it aborts the live one) and then the shift scan. The pacing is the lab
// base's (lab.js: paced, now, whenIdle); a 503 is retried by api.js; a stale answer or error
// never overwrites a newer one. bench/classroom_load.py reads
// LIVE_INTERVAL_MS and SCAN_RANGE from this file to replay the same policy. First-layer kernels
// can be edited (sent as kernel_overrides), the digit shifted, and both models compared over
// shifts.
//
// Latency figure: performance marks "convlab:stroke-end" / "convlab:kernel-edit" at the edit
// and a measure "convlab:<origin>→maps" once the maps of the first answer after it are painted.

import { decodeLayer } from "../../activations.js";
import { getJSON, postJSON } from "../../api.js";
import { $, el } from "../../dom.js";
import { formatNumber, formatPercent as percent } from "../../format.js";
import { Lab } from "../../lab.js";
import { decodeStrokes, encodeStrokes } from "../../strokes.js";
import { loadState, saveState } from "../../url_state.js";
import { BarChart } from "../../widgets/bar_chart.js";
import { DrawingPad } from "../../widgets/drawing_pad.js";
import { FeatureMaps } from "../../widgets/feature_maps.js";
import { FilterBank } from "../../widgets/filter_bank.js";
import { Heatmap } from "../../widgets/heatmap.js";
import { LinePlot } from "../../widgets/line_plot.js";
import { sampleStrokes } from "../../sample_digits.js";
import { MnistMorph } from "./morph_lab.js";

const STORAGE_KEY = "convlab.mnist";
export const LIVE_INTERVAL_MS = 300;
/** The drawing goes to the server as a SENT_SIDE × SENT_SIDE PNG (the pad is 280 × 280). */
export const SENT_SIDE = 140;
export const SCAN_RANGE = 8;
const MAX_SHIFT = 8;
const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const DEFAULTS = { strokes: "", brush: 20, shift: [0, 0], kernels: {}, filter: null, axis: "dx" };
const gray = (v) => {
  const g = Math.round(255 * Math.min(1, Math.max(0, v)));
  return [g, g, g];
};

/** Validate a state read from the URL or storage; null rejects it. */
function cleanState(s) {
  decodeStrokes(s.strokes); // throws on malformed text
  const shiftOk = Array.isArray(s.shift) && s.shift.length === 2
    && s.shift.every((v) => Number.isInteger(v) && Math.abs(v) <= MAX_SHIFT);
  if (!shiftOk || typeof s.kernels !== "object" || s.kernels === null) return null;
  if (!["dx", "dy"].includes(s.axis)) s.axis = "dx";
  return s;
}

class MnistPage {
  constructor() {
    this.state = loadState(STORAGE_KEY, DEFAULTS, cleanState).state;
    this.lab = new Lab({ intervalMs: LIVE_INTERVAL_MS });
    this.scanLab = new Lab();
    /** @type {string | null} the edit whose repaint is being timed */
    this.origin = null;
    this.filters = null;
    /** @type {string | null} the drawing as a PNG data URL, made once per change */
    this.png = null;

    this.pad = new DrawingPad($("pad"), { brush: this.state.brush });
    this.pad.setStrokes(decodeStrokes(this.state.strokes), { silent: true });
    $("brush").value = String(this.state.brush);
    $("brush-value").textContent = String(this.state.brush);
    $("scan-axis").value = this.state.axis;

    this.seen = new Heatmap($("seen"), { rows: 28, cols: 28, scale: gray, domain: [0, 1], label: "The 28×28 image the network sees" });
    // the bars round like the headline ("99.9" under "99.9 %", never "100%")
    this.bars = new BarChart($("probabilities"), { labels: DIGITS, label: "CNN class probabilities", format: (v) => (100 * v).toFixed(1) });
    this.maps = new FeatureMaps($("fmaps"));
    this.scanPlot = new LinePlot($("scan-plot"), {
      label: "Probability of the drawn class against the shift",
      xLabel: "shift (pixels)",
      yLabel: "probability",
      yDomain: [0, 1],
      width: 360,
      height: 230,
      legend: "below",
    });

    this.morph = new MnistMorph($("morph"), this.pad);
    this.#wireDrawing();
    this.#wireShift();
    this.#wireFilters();
    $("saliency-run").addEventListener("click", () => this.#classMap("saliency", (holder, answer) => this.#saliency(holder, answer)));
    $("gradcam-run").addEventListener("click", () => this.#classMap("gradcam", (holder, answer) => this.#gradcam(holder, answer)));
    $("deep-run").addEventListener("click", () => this.deepFilters());
  }

  async start() {
    this.#showShift();
    this.refresh(null);
    this.requestScan();
    await Promise.all([this.loadFilters(), this.loadModels()]);
  }

  // -- drawing ---------------------------------------------------------------------------------

  #wireDrawing() {
    for (const type of ["draw", "strokeend", "change"]) {
      this.pad.addEventListener(type, () => {
        this.png = null;
      });
    }
    // while the pen moves: a light update, paced (see live()); a finished edit: a full one
    this.pad.addEventListener("draw", () => this.live());
    this.pad.addEventListener("strokeend", () => {
      performance.mark("convlab:stroke-end");
      this.#saveDrawing();
      this.refresh("stroke-end");
      this.requestScan();
    });
    this.pad.addEventListener("change", () => {
      this.#saveDrawing();
      this.refresh(null);
      this.requestScan();
    });
    // the keyboard route to a drawing: a sample digit, drawn as strokes
    $("sample-draw").addEventListener("click", () => {
      this.pad.setStrokes(sampleStrokes(Number($("sample-digit").value), this.pad.brush));
    });
    $("undo").addEventListener("click", () => this.pad.undo());
    $("clear").addEventListener("click", () => this.pad.clear());
    $("brush").addEventListener("input", () => {
      this.state.brush = Number($("brush").value);
      $("brush-value").textContent = $("brush").value;
      this.pad.setBrush(this.state.brush);
      this.#save();
    });
  }

  #saveDrawing() {
    this.state.strokes = encodeStrokes(this.pad.strokes);
    this.#save();
  }

  #save() {
    saveState(STORAGE_KEY, this.state);
  }

  /** The request body naming the current drawing (null when the pad is empty). */
  #digit() {
    if (this.pad.isEmpty()) return null;
    // kernel edits and shifts reuse the PNG; any change to the drawing clears it
    this.png ??= this.pad.toDataURL(SENT_SIDE);
    return { image_png: this.png };
  }

  /** While drawing: a light update at most every LIVE_INTERVAL_MS, one request in flight. */
  live() {
    this.lab.paced(() => this.#compute(null, true));
  }

  /**
   * A full update now (stroke end, undo, shift, kernel edit): it replaces any live request in
   * flight or waiting. `origin` names an edit whose repaint is timed.
   * @param {string | null} origin
   */
  refresh(origin) {
    this.lab.now(() => this.#compute(origin, false));
  }

  async #compute(origin, live) {
    const digit = this.#digit();
    if (!digit) {
      this.lab.cancel();
      this.#showEmpty();
      return;
    }
    const body = {
      ...digit,
      model: "cnn",
      shift: this.state.shift,
      kernel_overrides: this.state.kernels,
      previews: !live,
    };
    const answer = await this.lab.post("/api/mnist/activations", body, (error) => this.#showError(error, origin));
    if (!answer) return;
    if (origin) performance.measure(`convlab:${origin}→answer`, `convlab:${origin}`);
    this.#paint(answer);
    if (!live) this.morph.update(body); // Q2a: drawing A against the pad, same shift and kernels
    if (origin) performance.measure(`convlab:${origin}→drawn`, `convlab:${origin}`);
    $("pad-error").textContent = "";
    $("fmaps").classList.remove("stale");
    if (origin) {
      requestAnimationFrame(() => {
        performance.measure(`convlab:${origin}→maps`, `convlab:${origin}`);
      });
    }
  }

  #paint(answer) {
    this.seen.draw(answer.input);
    this.bars.draw(answer.probabilities);
    const p = answer.probabilities[answer.label];
    $("prediction").replaceChildren("The CNN reads ", el("strong", { textContent: String(answer.label) }), ` (${percent(p)})`);
    $("prediction").dataset.label = String(answer.label);
    // on a phone the panel above sits under the pad's controls: the verdict also goes right under the pad
    $("pad-readout").replaceChildren(...$("prediction").cloneNode(true).childNodes);
    this.#showSteps(answer.preprocessing);
    const layers = answer.layers.map(decodeLayer);
    const first = layers.find((l) => l.kind === "conv");
    this.maps.draw(layers, { marked: first ? { [first.name]: answer.overridden_channels } : {} });
  }

  #showSteps(preprocessing) {
    const holder = $("steps");
    if (!preprocessing) {
      // a live update while drawing carries no previews: the last ones stay, marked stale
      holder.classList.add("stale");
      return;
    }
    holder.classList.remove("stale");
    holder.replaceChildren(...preprocessing.steps.map((step) => el("figure", { className: "step" },
      el("img", { src: step.png, alt: `${step.name}: ${step.description}`, title: step.description }),
      el("figcaption", { textContent: `${step.name} ${step.width}×${step.height}` }))));
  }

  #showEmpty() {
    this.bars.draw(null);
    this.seen.draw(new Array(28 * 28).fill(0));
    $("prediction").textContent = "Draw a digit to start.";
    $("pad-readout").textContent = "";
    delete $("prediction").dataset.label;
    $("steps").replaceChildren();
    this.maps.draw([]);
    this.morph.update(null);
    this.scanLab.cancel(); // a scan still in flight is now stale
    this.scanPlot.draw([]);
    $("scan-note").textContent = "";
    $("pad-error").textContent = "";
  }

  #showError(error, origin) {
    if (origin === "kernel-edit") this.bank.showError(error.message);
    else $("pad-error").textContent = error.message;
    $("fmaps").classList.add("stale");
  }

  // -- shift -----------------------------------------------------------------------------------

  #wireShift() {
    for (const button of document.querySelectorAll("[data-shift]")) {
      button.addEventListener("click", () => {
        const spec = button.dataset.shift;
        if (spec === "reset") this.shiftBy(null);
        else this.shiftBy(spec.split(",").map(Number));
      });
    }
    // arrow keys shift the digit, as on the equivariance page, unless a control uses them
    const keys = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    document.addEventListener("keydown", (event) => {
      const move = keys[event.key];
      if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const target = /** @type {HTMLElement} */ (event.target);
      if (target.closest("input, select, textarea, .num-grid, [role='grid'], [tabindex], .kernel-panel")) return;
      event.preventDefault();
      this.shiftBy(move);
    });
    $("scan-axis").addEventListener("change", () => {
      this.state.axis = $("scan-axis").value;
      this.#save();
      this.requestScan();
    });
  }

  /**
   * Move the digit by (ddx, ddy) pixels, or back to no shift with null.
   * @param {number[] | null} step
   */
  shiftBy(step) {
    const clamp = (v) => Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, v));
    this.state.shift = step ? [clamp(this.state.shift[0] + step[0]), clamp(this.state.shift[1] + step[1])] : [0, 0];
    this.#showShift();
    this.#save();
    this.refresh(null);
    this.requestScan();
  }

  #showShift() {
    const [dx, dy] = this.state.shift;
    // a readout of the shift (the ⟲ button resets it), with a typographic minus
    $("shift-value").textContent = `dx ${formatNumber(dx)}, dy ${formatNumber(dy)}`;
  }

  /**
   * Ask for a shift scan once the maps are painted: the scan (34 forward passes) then does
   * not compete with the activations the student is waiting for.
   */
  requestScan() {
    this.lab.whenIdle(() => this.scan());
  }

  /** Both models' probabilities over shifts along the chosen axis (the other one held). */
  async scan() {
    const digit = this.#digit();
    if (!digit) return;
    const [dx, dy] = this.state.shift;
    const alongX = this.state.axis === "dx";
    const body = {
      ...digit,
      dx: alongX ? [-SCAN_RANGE, SCAN_RANGE] : [dx, dx],
      dy: alongX ? [dy, dy] : [-SCAN_RANGE, SCAN_RANGE],
    };
    const answer = await this.scanLab.post("/api/mnist/shift-scan", body, (error) => {
      $("scan-error").textContent = error.message;
    });
    if (!answer) return;
    $("scan-error").textContent = "";
    this.#drawScan(answer, alongX);
  }

  #drawScan(scan, alongX) {
    const shifts = alongX ? scan.dx : scan.dy;
    const zero = shifts.indexOf(0);
    const labels = scan.models.cnn.labels;
    const cls = alongX ? labels[0][zero] : labels[zero][0];
    // probabilities are [dy index][dx index][digit]; one of the two ranges has a single shift
    const at = (model, i) => {
      const grid = scan.models[model].probabilities;
      return (alongX ? grid[0][i] : grid[i][0])[cls];
    };
    const series = ["cnn", "fc"].map((model) => ({
      label: `${model.toUpperCase()}: P(${cls})`,
      points: shifts.map((s, i) => [s, at(model, i)]),
      className: `series-${model}`,
      dots: true,
    }));
    const current = alongX ? this.state.shift[0] : this.state.shift[1];
    this.scanPlot.options.xLabel = alongX ? "horizontal shift dx (pixels, + is right)" : "vertical shift dy (pixels, + is down)";
    this.scanPlot.draw(series, {
      markerX: current,
      summary: series.map((s) => `${s.label}: ${s.points.map((p) => `${p[0]}→${percent(p[1])}`).join(", ")}`).join("; "),
    });
    const fcAt = at("fc", shifts.indexOf(current));
    const cnnAt = at("cnn", shifts.indexOf(current));
    $("scan-note").textContent = `${cls} is what the CNN reads at ${alongX ? "dx" : "dy"} = 0. At the current shift: CNN ${percent(cnnAt)}, FC ${percent(fcAt)}.`;
  }

  // -- first-layer filters -----------------------------------------------------------------------

  #wireFilters() {
    this.bank = new FilterBank({
      buttons: $("filters"),
      panel: $("kernel-panel"),
      title: $("kernel-title"),
      presets: $("kernel-presets"),
      editor: $("kernel-editor"),
      resetAll: $("reset-all"),
    });
    this.bank.addEventListener("edit", () => {
      performance.mark("convlab:kernel-edit");
      this.state.kernels = { ...this.bank.edits };
      this.#save();
      this.refresh("kernel-edit");
    });
    this.bank.addEventListener("select", () => {
      this.state.filter = this.bank.selected;
      this.#save();
    });
  }

  /** GET /api/mnist/filters: the conv1 kernels into the bank (deeper layers on request). */
  async loadFilters() {
    try {
      const answer = await getJSON("/api/mnist/filters");
      this.filters = answer.layers;
      this.bank.load(answer.layers[0], this.state.kernels, this.state.filter);
    } catch (error) {
      $("filters-error").textContent = `could not load the filters: ${error.message}`;
    }
  }

  /** On request: conv2 and conv3 kernels, one tile per (output, input) channel pair. */
  deepFilters() {
    if (!this.filters) return;
    const holder = $("deep-filters");
    holder.replaceChildren();
    for (const layer of this.filters.slice(1)) {
      const [cOut, cIn, kh, kw] = layer.shape;
      const rows = cOut * (kh + 1) - 1;
      const cols = cIn * (kw + 1) - 1;
      const tiles = new Float32Array(rows * cols).fill(Number.NaN); // NaN: the white gaps
      layer.weight.forEach((out, o) => out.forEach((kernel, i) => kernel.forEach((row, r) => row.forEach((v, c) => {
        tiles[(o * (kh + 1) + r) * cols + i * (kw + 1) + c] = v;
      }))));
      const figure = el("figure", {}, el("figcaption", { textContent: `${layer.name}: ${cOut} filters (rows) × ${cIn} input channels (columns), ${kh}×${kw} each` }));
      holder.append(figure);
      const map = new Heatmap(figure, { rows, cols, scale: "diverging", label: `${layer.name} kernels`, className: "deep-map" });
      const bound = Math.max(Math.abs(layer.min), Math.abs(layer.max));
      map.draw(tiles, { domain: [-bound, bound] });
    }
  }

  // -- saliency & models -------------------------------------------------------------------------

  /**
   * POST /api/mnist/<kind> (saliency or gradcam) for the class and model picked in its panel:
   * the input, then what `show` draws, which returns the note under them.
   * @param {"saliency" | "gradcam"} kind
   * @param {(holder: HTMLElement, answer: any) => string} show
   */
  async #classMap(kind, show) {
    const digit = this.#digit();
    if (!digit) {
      $(`${kind}-error`).textContent = "draw a digit first";
      return;
    }
    const target = $(`${kind}-target`).value;
    const body = { ...digit, model: $(`${kind}-model`).value, shift: this.state.shift };
    if (target !== "") body.target = Number(target);
    try {
      const answer = await postJSON(`/api/mnist/${kind}`, body);
      $(`${kind}-error`).textContent = "";
      const holder = $(kind);
      holder.replaceChildren();
      new Heatmap(holder, { rows: 28, cols: 28, scale: gray, domain: [0, 1], label: "input" }).draw(answer.input);
      $(`${kind}-note`).textContent = show(holder, answer);
    } catch (error) {
      $(`${kind}-error`).textContent = error.message;
    }
  }

  #saliency(holder, answer) {
    const grad = new Heatmap(holder, { rows: 28, cols: 28, scale: "diverging", label: `saliency of class ${answer.target}` });
    grad.draw(answer.gradient, { domain: [-answer.max_abs, answer.max_abs] });
    return `${answer.model.toUpperCase()}: gradient of the score of ${answer.target} (it reads ${answer.label}). ` +
      "Red pixels: more ink there raises the score; blue: lowers it.";
  }

  /** The 28×28 Grad-CAM map and the map at its own size. */
  #gradcam(holder, answer) {
    const top = Math.max(answer.max, 1e-12);
    new Heatmap(holder, { rows: 28, cols: 28, label: `Grad-CAM of class ${answer.target}, upsampled to 28×28` }).draw(answer.cam_upsampled, { domain: [0, top] });
    const [h, w] = [answer.cam.length, answer.cam[0].length];
    new Heatmap(holder, { rows: h, cols: w, label: `Grad-CAM of class ${answer.target} at ${answer.layer}, ${h}×${w}` }).draw(answer.cam, { domain: [0, top] });
    return answer.max > 0
      ? `${answer.model.toUpperCase()}: Grad-CAM of the score of ${answer.target} (it reads ${answer.label}) at ${answer.layer} (${h}×${w}, shown also upsampled to 28×28). Bright: the regions whose features raise that score.`
      : `${answer.model.toUpperCase()}: no region of this digit raises the score of ${answer.target} at ${answer.layer}: the map is 0 everywhere.`;
  }

  async loadModels() {
    try {
      const { models } = await getJSON("/api/mnist/models");
      $("model-note").textContent = models
        .map((m) => `${m.name.toUpperCase()}: ${percent(m.card.test_accuracy)} test accuracy, ${m.total_parameters.toLocaleString("en-US")} parameters`)
        .join(" · ");
    } catch (error) {
      $("model-note").textContent = `models: ${error.message}`;
    }
  }
}

new MnistPage().start();
