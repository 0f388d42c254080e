// Shift-invariance and aliasing lesson: one digit (an MNIST test digit or a drawing) shifted one
// pixel at a time. POST /api/mnist/activations gives the pooled maps of the CNN and the
// anti-aliased CNN-AA for x and shift(x); POST /api/mnist/shift-scan gives P(true digit) of FC,
// CNN and CNN-AA over one-pixel steps; GET /api/mnist/models carries the test-set consistency
// measured offline, shown only after the student has predicted which model wins.

import { decodeLayer } from "../../activations.js";
import { getJSON, postJSON } from "../../api.js";
import { $, el, tableRow } from "../../dom.js";
import { Lab } from "../../lab.js";
import { sampleStrokes } from "../../sample_digits.js";
import { loadState, saveState } from "../../url_state.js";
import { DrawingPad } from "../../widgets/drawing_pad.js";
import { Heatmap } from "../../widgets/heatmap.js";
import { fittedLinePlot } from "../../widgets/line_plot.js";
import { byConsistency, channelOf, largestStep, mostActiveChannel, relativeChange } from "./alias_math.js";

const STORAGE_KEY = "convlab.aliasing";
const MAX_SHIFT = 4;
const SCAN = 4;
const SENT_SIDE = 140;
const POOLS = ["pool1", "pool2", "pool3"];
const CNNS = [["cnn", "CNN (max pooling)"], ["cnn-aa", "CNN-AA (max-blur pooling)"]];
const NAMES = { fc: "FC", cnn: "CNN", "cnn-aa": "CNN-AA" };
const SERIES = {
  fc: { className: "series-fc", marker: "square" },
  cnn: { className: "series-0", marker: "circle" },
  "cnn-aa": { className: "series-2", marker: "triangle", dash: "2 3" },
};
const DEFAULTS = { source: "test", example: 1, shift: [1, 0], axis: "dx" };
const percent = (p, digits = 1) => `${(100 * p).toFixed(digits)} %`;
const gray = (v, lo, hi) => {
  const g = Math.round(255 * Math.min(1, Math.max(0, hi > lo ? (v - lo) / (hi - lo) : 0)));
  return [g, g, g];
};

function cleanState(s) {
  const shiftOk = Array.isArray(s.shift) && s.shift.length === 2
    && s.shift.every((v) => Number.isInteger(v) && Math.abs(v) <= MAX_SHIFT);
  if (!shiftOk || !["test", "draw"].includes(s.source) || !Number.isInteger(s.example)) return null;
  if (!["dx", "dy"].includes(s.axis)) s.axis = "dx";
  return s;
}

class AliasingPage {
  constructor() {
    this.state = loadState(STORAGE_KEY, DEFAULTS, cleanState).state;
    this.lab = new Lab();
    this.scanLab = new Lab();
    this.examples = [];
    this.models = null;
    this.consistency = null;
    this.pad = new DrawingPad($("alias-pad"), { brush: 22 });
    this.pad.addEventListener("strokeend", () => this.update());
    this.pad.addEventListener("change", () => this.update());
    $("alias-undo").addEventListener("click", () => this.pad.undo());
    $("alias-clear").addEventListener("click", () => this.pad.clear());
    $("alias-sample").addEventListener("click", () => this.pad.setStrokes(sampleStrokes(3, 22)));
    $("source-test").addEventListener("click", () => this.#source("test"));
    $("source-draw").addEventListener("click", () => this.#source("draw"));
    $("test-digit").addEventListener("change", () => {
      this.state.example = Number($("test-digit").value);
      this.#save();
      this.update();
    });
    $("alias-axis").value = this.state.axis;
    $("alias-axis").addEventListener("change", () => {
      this.state.axis = $("alias-axis").value;
      this.#save();
      this.scan();
    });
    for (const button of $("alias-shift-pad").querySelectorAll("button")) {
      button.addEventListener("click", () => this.#shiftBy(button.dataset.shift));
    }
    $("alias-guess").addEventListener("submit", (event) => {
      event.preventDefault();
      this.reveal();
    });
    this.plot = fittedLinePlot($("alias-plot"), {
      label: "Probability of the true digit against the shift, FC, CNN and CNN-AA",
      yLabel: "P(true digit)",
      yDomain: [0, 1],
      legend: "below",
    });
  }

  async start() {
    this.#showSource();
    try {
      const answer = await getJSON("/api/mnist/models");
      this.models = Object.fromEntries(answer.models.map((m) => [m.name, m]));
      this.consistency = answer.shift_consistency;
      this.examples = this.consistency?.examples ?? [];
      this.#fillExamples();
      this.#describeMeasurement();
    } catch (error) {
      $("alias-error").textContent = `could not load the models: ${error.message}`;
    }
    this.update();
  }

  #save() {
    saveState(STORAGE_KEY, this.state);
  }

  #source(source) {
    this.state.source = source;
    this.#save();
    this.#showSource();
    this.update();
  }

  #showSource() {
    const test = this.state.source === "test";
    $("source-test").setAttribute("aria-pressed", String(test));
    $("source-draw").setAttribute("aria-pressed", String(!test));
    $("test-source").hidden = !test;
    $("draw-source").hidden = test;
  }

  #fillExamples() {
    const select = $("test-digit");
    select.replaceChildren(...this.examples.map((e, i) => {
      return el("option", { value: String(i), textContent: `#${e.index}: a ${e.label}${i > 0 ? " (the CNN flips on it)" : ""}` });
    }));
    if (this.state.example >= this.examples.length) this.state.example = 0;
    select.value = String(this.state.example);
  }

  #shiftBy(text) {
    if (text === "reset") this.state.shift = [0, 0];
    else {
      const [dx, dy] = text.split(",").map(Number);
      const clamp = (v) => Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, v));
      this.state.shift = [clamp(this.state.shift[0] + dx), clamp(this.state.shift[1] + dy)];
    }
    this.#save();
    this.update();
  }

  /** The request's digit and its true label (null: the CNN's reading of a drawing). */
  #digit() {
    if (this.state.source === "test") {
      const example = this.examples[this.state.example];
      if (!example) return null;
      $("test-note").textContent = `Test digit #${example.index} of the MNIST test set, labelled ${example.label}.`;
      return { body: { image: example.image.map((row) => row.map((v) => v / 255)) }, label: example.label };
    }
    if (this.pad.isEmpty()) return null;
    return { body: { image_png: this.pad.toDataURL(SENT_SIDE) }, label: null };
  }

  async update() {
    const [dx, dy] = this.state.shift;
    $("alias-shift").textContent = `dx ${String(dx).replace("-", "−")}, dy ${String(dy).replace("-", "−")}`;
    const digit = this.#digit();
    if (!digit) {
      $("alias-error").textContent = this.state.source === "draw" ? "draw a digit first" : "";
      return;
    }
    $("alias-error").textContent = "";
    this.scan();
    const requests = [];
    for (const [model] of CNNS) {
      for (const shift of [[0, 0], this.state.shift]) {
        requests.push({ ...digit.body, model, shift, previews: false });
      }
    }
    const onError = (error) => ($("alias-error").textContent = error.message);
    const answers = await this.lab.latest((signal) => Promise.all(requests.map((body) => postJSON("/api/mnist/activations", body, { signal }))), onError);
    if (answers) this.#drawMaps(answers);
  }

  #drawMaps(answers) {
    const holder = $("alias-maps");
    holder.replaceChildren();
    const changes = {};
    CNNS.forEach(([model, title], m) => {
      const [before, after] = [answers[2 * m], answers[2 * m + 1]];
      const row = el("div", { className: "alias-row" }, el("h3", { textContent: `${title}: reads ${before.label} for x, ${after.label} for shift(x)` }));
      changes[model] = {};
      for (const name of POOLS) {
        const a = decodeLayer(before.layers.find((l) => l.name === name));
        const b = decodeLayer(after.layers.find((l) => l.name === name));
        const channel = mostActiveChannel(a.values, a.shape);
        const change = relativeChange(a.values, b.values);
        changes[model][name] = change;
        const pair = el("div", { className: "alias-pair-maps" });
        const figure = el("figure", { className: "alias-pair" }, pair);
        const [, h, w] = a.shape;
        const x = channelOf(a.values, a.shape, channel);
        const y = channelOf(b.values, b.shape, channel);
        const hi = Math.max(...x, ...y, 1e-9);
        for (const [values, label] of [[x, "x"], [y, "shift(x)"]]) {
          const map = new Heatmap(pair, { rows: h, cols: w, scale: gray, label: `${NAMES[model]} ${name} channel ${channel}, ${label}`, className: "alias-map" });
          map.draw(values, { domain: [0, hi] });
        }
        figure.append(el("figcaption", { textContent: `${name} (${h}×${w}), channel ${channel}: x | shift(x), change ${change.toFixed(2)}` }));
        row.append(figure);
      }
      holder.append(row);
    });
    const [dx, dy] = this.state.shift;
    if (dx === 0 && dy === 0) {
      $("alias-maps-note").textContent = "No shift: both columns are the same digit. Press an arrow to shift it one pixel.";
      return;
    }
    const text = POOLS.map((name) => `${name} ${changes.cnn[name].toFixed(2)} (CNN) against ${changes["cnn-aa"][name].toFixed(2)} (CNN-AA)`);
    $("alias-maps-note").textContent = `Relative change of the pooled maps for this shift: ${text.join("; ")}.`;
  }

  async scan() {
    const digit = this.#digit();
    if (!digit) return;
    const alongX = this.state.axis === "dx";
    const [dx, dy] = this.state.shift;
    const body = {
      ...digit.body,
      models: ["fc", "cnn", "cnn-aa"],
      dx: alongX ? [-SCAN, SCAN] : [dx, dx],
      dy: alongX ? [dy, dy] : [-SCAN, SCAN],
    };
    const onError = (error) => ($("alias-error").textContent = error.message);
    const scan = await this.scanLab.post("/api/mnist/shift-scan", body, onError);
    if (scan) this.#drawScan(scan, alongX, digit.label);
  }

  #drawScan(scan, alongX, label) {
    const shifts = alongX ? scan.dx : scan.dy;
    const pick = (grid, i) => (alongX ? grid[0][i] : grid[i][0]);
    const zero = shifts.indexOf(0);
    const cls = label ?? pick(scan.models.cnn.labels, zero >= 0 ? zero : 0);
    const series = ["fc", "cnn", "cnn-aa"].map((model) => ({
      label: `${NAMES[model]}: P(${cls})`,
      points: shifts.map((s, i) => [s, pick(scan.models[model].probabilities, i)[cls]]),
      dots: true,
      ...SERIES[model],
    }));
    const current = alongX ? this.state.shift[0] : this.state.shift[1];
    this.plot.options.xLabel = alongX ? "horizontal shift dx (pixels)" : "vertical shift dy (pixels)";
    this.plot.draw(series, {
      markerX: current,
      summary: series.map((s) => `${s.label}: ${s.points.map((p) => `${p[0]}→${percent(p[1])}`).join(", ")}`).join("; "),
    });
    const jumps = series.map((s) => {
      const { jump, at } = largestStep(s.points.map((p) => p[1]));
      return `${s.label.split(":")[0]} ${percent(jump)} (${shifts[at]} → ${shifts[at + 1]})`;
    });
    const whose = label === null ? `${cls} is what the CNN reads unshifted.` : `${cls} is the test label.`;
    $("alias-plot-note").textContent = `${whose} Largest change of P(${cls}) between neighbouring one-pixel steps: ${jumps.join(", ")}.`;
  }

  #describeMeasurement() {
    const c = this.consistency;
    if (!c) {
      $("alias-measured-how").textContent = "The consistency figures are not shipped with this server (run convlab evaluate --consistency).";
      $("alias-reveal").disabled = true;
      return;
    }
    $("alias-measured-how").textContent = c.definition;
    $("alias-measured-count").textContent = `${c.test_digits.toLocaleString("en-US")} digits, offline`;
  }

  reveal() {
    const c = this.consistency;
    const chosen = document.querySelector('input[name="alias-guess"]:checked');
    if (!c) return;
    if (!chosen) {
      $("alias-measured-error").textContent = "choose a network first: predict, then look";
      return;
    }
    $("alias-measured-error").textContent = "";
    const order = byConsistency(c.models);
    const best = order[0];
    const rows = order.map((name) => {
      const m = c.models[name];
      const accuracy = this.models?.[name]?.card?.test_accuracy;
      return tableRow([NAMES[name] ?? name, percent(m.same_prediction, 2), `${m.changed_pairs.toLocaleString("en-US")} of ${m.pairs.toLocaleString("en-US")}`, m.mean_abs_delta_p_true.toFixed(4), accuracy === undefined ? "–" : percent(accuracy, 2)]);
    });
    $("alias-table").querySelector("tbody").replaceChildren(...rows);
    const right = chosen.value === best;
    const m = c.models[best];
    $("alias-verdict").textContent = `${right ? "Right" : "Not this time"}: you predicted ${NAMES[chosen.value]}. ` +
      `Measured, ${NAMES[best]} keeps its prediction in ${percent(m.same_prediction, 2)} of neighbouring one-pixel shifts ` +
      `(mean |ΔP(true)| ${m.mean_abs_delta_p_true.toFixed(4)}).`;
    $("alias-verdict").dataset.outcome = right ? "right" : "wrong";
    $("alias-results").hidden = false;
  }
}

new AliasingPage().start();
