// Receptive-fields lesson (Q4): a layer-stack builder wired to POST /api/receptive-field, a
// unit picker showing a unit's input region, and the effective receptive field (Luo et al.)
// beside the theoretical one. Every number on the page comes from the API.

import { getJSON, postJSON } from "../../api.js";
import { $, el, svgElement, withSubscripts } from "../../dom.js";
import { Lab } from "../../lab.js";
import { loadState, saveState } from "../../url_state.js";
import { CellGrid } from "../../widgets/cell_grid.js";
import { Heatmap } from "../../widgets/heatmap.js";
import { LayerStack } from "../../widgets/layer_stack.js";
import { LinePlot } from "../../widgets/line_plot.js";

const ERF_DEPTHS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
// one sample count for the single field and the series, so the table and the chart agree
const ERF_SAMPLES = 4;

/** The state kept in the URL (compact: layers as [type, k, s, p, d, name?]). */
const DEFAULTS = {
  preset: "stack",
  gen: [3, 3],
  input: 11,
  layers: [["conv", 3, 1, 0, 1], ["conv", 3, 1, 0, 1], ["conv", 3, 1, 0, 1]],
  unit: null,
  erf: [8, 3, "uniform", false],
};

const STORAGE_KEY = "convlab.receptive-fields";

/** Validate a state read from the URL or storage; null rejects it. */
function cleanState(s) {
  const int = (v, lo) => Number.isInteger(v) && v >= lo;
  const layersOk = Array.isArray(s.layers) && s.layers.length > 0 && s.layers.every((l) =>
    Array.isArray(l) && ["conv", "pool"].includes(l[0]) && int(l[1], 1) && int(l[2], 1) && int(l[3], 0) && int(l[4], 1));
  const erfOk = Array.isArray(s.erf) && s.erf.length === 4 && int(s.erf[0], 1) && int(s.erf[1], 2);
  if (!layersOk || !erfOk || !int(s.input, 1)) return null;
  return s;
}

/** Layer objects from the compact URL form, and back. */
const toLayer = ([type, k, s, p, d, name]) => {
  const layer = { type, kernel_size: k, stride: s, padding: p, dilation: d };
  return name ? { ...layer, name } : layer;
};
const fromLayer = (l) => {
  const compact = [l.type, l.kernel_size, l.stride, l.padding, l.dilation];
  return l.name ? [...compact, l.name] : compact;
};
/** A preset's int-or-pair (or null stride) as one int for the builder. */
const side = (v, fallback) => (v === null || v === undefined ? fallback : Array.isArray(v) ? v[0] : v);
/** "7" for a square pair, "7×5" otherwise. */
const pairText = (p) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}×${p[1]}`);
const num = (v) => String(Number(v.toFixed(2))).replace("-", "−");

class ReceptiveFieldsPage {
  constructor() {
    this.state = loadState(STORAGE_KEY, DEFAULTS, cleanState).state;
    this.presets = [];
    this.lab = new Lab();
    this.erfLab = new Lab();
    this.seriesLab = new Lab();
    this.answer = null;
    this.series = null;

    this.stack = new LayerStack($("rf-stack"));
    this.units = new CellGrid($("rf-units-grid"), { label: "Units of the chosen layer", side: 280, selectable: true });
    this.input = new CellGrid($("rf-input-grid"), { label: "Input pixels with the unit's receptive field", side: 280, margin: 0.08 });
    this.erfMap = null;
    this.erfPlot = new LinePlot($("erf-plot"), {
      label: "Radius of the receptive field against depth L",
      xLabel: "depth L",
      yLabel: "radius (pixels)",
      width: 380,
      height: 240,
      legend: "top-left",
    });

    this.stack.setLayers(this.state.layers.map(toLayer), { silent: true });
    $("rf-input-size").value = String(this.state.input);
    [$("rf-gen-layers").value, $("rf-gen-kernel").value] = this.state.gen.map(String);
    const [depth, k, weights, relu] = this.state.erf;
    $("erf-depth").value = String(depth);
    $("erf-depth-value").textContent = String(depth);
    $("erf-kernel").value = String(k);
    $("erf-weights").value = weights;
    $("erf-relu").checked = Boolean(relu);

    this.stack.addEventListener("change", () => {
      // an edited stack is no longer the preset: its layer names would mislead
      for (const layer of this.stack.layers) delete layer.name;
      this.state.preset = "";
      $("rf-preset").value = "";
      this.#showPresetNote();
      this.state.layers = this.stack.layers.map(fromLayer);
      this.compute();
    });
    $("rf-input-size").addEventListener("input", () => {
      const v = Number($("rf-input-size").value);
      if (!Number.isInteger(v) || v < 1) return;
      this.state.input = v;
      this.compute();
    });
    $("rf-preset").addEventListener("change", () => this.loadPreset($("rf-preset").value));
    for (const id of ["rf-gen-layers", "rf-gen-kernel"]) {
      $(id).addEventListener("input", () => this.#generate());
    }
    document.addEventListener("exercise:reveal", (e) => this.showExercise(e.detail));
    this.units.addEventListener("select", (e) => {
      this.state.unit = [this.state.unit?.[0] ?? this.stack.layers.length - 1, e.detail.row, e.detail.col];
      this.compute();
    });

    $("erf-depth").addEventListener("input", () => {
      $("erf-depth-value").textContent = $("erf-depth").value;
      this.#readErfControls();
      this.effective();
      this.#drawSeries();
    });
    for (const id of ["erf-kernel", "erf-weights", "erf-relu"]) {
      $(id).addEventListener("change", () => {
        this.#readErfControls();
        this.effective();
        this.loadSeries();
      });
    }
  }

  /** First load: presets, the stack's fields, the effective field and its series. */
  async start() {
    this.compute();
    this.effective();
    this.loadSeries();
    try {
      const { presets } = await getJSON("/api/receptive-field/presets");
      this.presets = presets;
      const select = $("rf-preset");
      select.append(...presets.map((p) => el("option", { value: p.id, textContent: p.name })));
      const known = presets.some((p) => p.id === this.state.preset);
      select.value = known ? this.state.preset : "";
      this.#showPresetNote();
    } catch (error) {
      $("rf-error").textContent = `could not load the presets: ${error.message}`;
    }
  }

  /** Replace the stack by a preset's layers. */
  loadPreset(id) {
    this.state.preset = id;
    const preset = this.presets.find((p) => p.id === id);
    this.#showPresetNote();
    if (!preset) return;
    if (preset.generator) {
      this.#generate();
      return;
    }
    const layers = preset.layers.map((l) => ({
      type: l.type,
      kernel_size: side(l.kernel_size, 1),
      stride: side(l.stride, l.type === "pool" ? side(l.kernel_size, 1) : 1),
      padding: side(l.padding, 0),
      dilation: side(l.dilation, 1),
      name: l.name ?? undefined,
    }));
    if (preset.input_size) {
      this.state.input = preset.input_size;
      $("rf-input-size").value = String(preset.input_size);
    }
    this.state.unit = null;
    this.stack.setLayers(layers, { silent: true });
    this.state.layers = layers.map(fromLayer);
    this.compute();
  }

  /** Ask the API for every layer's field, then for the chosen unit's region; draw both. */
  async compute() {
    saveState(STORAGE_KEY, this.state);
    const layers = this.stack.layers;
    const body = { layers, input_size: this.state.input };
    const answer = await this.lab.latest(async (signal) => {
      const table = await postJSON("/api/receptive-field", body, { signal });
      const unit = this.#chooseUnit(table);
      if (!unit) return table;
      return postJSON("/api/receptive-field", { ...body, unit: { layer: unit[0], position: [unit[1], unit[2]] } }, { signal });
    }, (error) => this.#showError(error));
    if (!answer) return;
    this.#showError(null);
    this.answer = answer;
    this.#drawTable(this.answer);
    this.#drawUnits(this.answer);
  }

  /** The effective receptive field for the current depth. */
  async effective() {
    const [depth, k, weights, relu] = this.state.erf;
    saveState(STORAGE_KEY, this.state);
    const theoretical = 1 + depth * (k - 1);
    const body = {
      num_layers: depth,
      kernel_size: k,
      weights,
      relu,
      num_samples: ERF_SAMPLES,
      seed: 0,
      // a margin round the theoretical square shows that no gradient reaches past it
      input_size: Math.min(512, theoretical + 2 * Math.min(32, Math.max(4, Math.round(theoretical / 6)))),
    };
    const onError = (error) => ($("erf-error").textContent = error.message);
    const answer = await this.erfLab.post("/api/receptive-field/effective", body, onError);
    if (!answer) return;
    $("erf-error").textContent = "";
    this.#drawEffective(answer);
  }

  /** Measured and theoretical radius over a range of depths, for the plot. */
  async loadSeries() {
    const [, k, weights, relu] = this.state.erf;
    const body = { depths: ERF_DEPTHS, kernel_size: k, weights, relu, num_samples: ERF_SAMPLES, seed: 0 };
    const onError = (error) => ($("erf-error").textContent = error.message);
    const series = await this.seriesLab.post("/api/receptive-field/effective/series", body, onError);
    if (!series) return;
    this.series = series;
    this.#drawSeries();
  }

  #readErfControls() {
    this.state.erf = [
      Number($("erf-depth").value),
      Number($("erf-kernel").value),
      $("erf-weights").value,
      $("erf-relu").checked,
    ];
  }

  #generate() {
    const L = Number($("rf-gen-layers").value);
    const k = Number($("rf-gen-kernel").value);
    if (!Number.isInteger(L) || !Number.isInteger(k) || L < 1 || k < 1) return;
    this.state.gen = [L, k];
    const generator = this.presets.find((p) => p.generator);
    if (generator) {
      this.state.preset = generator.id;
      $("rf-preset").value = generator.id;
    }
    const layers = Array.from({ length: L }, () => ({ type: "conv", kernel_size: k, stride: 1, padding: 0, dilation: 1 }));
    this.state.unit = null;
    this.stack.setLayers(layers, { silent: true });
    this.state.layers = layers.map(fromLayer);
    this.compute();
  }

  /**
   * After a Your-turn check: build the exercise's stack (L × k×k, or its conv/pool list) on an
   * input a little larger than the field, and show the centre unit's region.
   * @param {{id: string, inputs: any, expected_value: any, shown?: object}} detail the "exercise:reveal" detail
   */
  showExercise(detail) {
    const { id, inputs, expected_value: field } = detail;
    let layers;
    if (id === "receptive-field") {
      layers = Array.from({ length: inputs.layers }, () => ({ type: "conv", kernel_size: inputs.kernel, stride: 1, padding: 0, dilation: 1 }));
    } else if (id === "receptive-field-pooling") {
      layers = inputs.layers.map((l) => ({ type: l.type, kernel_size: l.kernel, stride: l.stride, padding: 0, dilation: 1 }));
    } else return;
    const side = Array.isArray(field) ? field[0] : field;
    this.state.preset = "";
    $("rf-preset").value = "";
    this.state.input = side + 4;
    $("rf-input-size").value = String(this.state.input);
    this.state.unit = null;
    this.stack.setLayers(layers, { silent: true });
    this.state.layers = layers.map(fromLayer);
    this.#showPresetNote();
    this.compute();
    detail.shown = { target: "units-title", text: "this stack, and the region the centre unit sees" };
  }

  #showPresetNote() {
    const preset = this.presets.find((p) => p.id === this.state.preset);
    const note = preset ? preset.description : "Your own stack: edit, add, remove or reorder layers.";
    $("rf-preset-note").replaceChildren(...withSubscripts(note, "span").childNodes);
    $("rf-generator").hidden = !(preset && preset.generator);
  }

  /** The unit to show: the one in the state if it still exists, else the centre of the last layer. */
  #chooseUnit(table) {
    const n = table.layers.length;
    let [layer, i, j] = this.state.unit ?? [n - 1, -1, -1];
    if (layer >= n) layer = n - 1;
    const size = table.layers[layer].output_size;
    if (!size || size[0] < 1 || size[1] < 1) return null;
    if (!(i >= 0 && i < size[0] && j >= 0 && j < size[1])) {
      i = Math.floor((size[0] - 1) / 2);
      j = Math.floor((size[1] - 1) / 2);
    }
    this.state.unit = [layer, i, j];
    saveState(STORAGE_KEY, this.state);
    return this.state.unit;
  }

  #drawTable(answer) {
    const tbody = $("rf-table").querySelector("tbody");
    const rows = [];
    const input = document.createElement("tr");
    input.className = "input-row";
    input.innerHTML = "<th scope=\"row\">input</th><td></td><td></td><td></td><td></td>";
    input.append(...[`${this.state.input}×${this.state.input}`, "1", "1", "0"].map((text) => el("td", { textContent: text })));
    rows.push(input);
    const chosen = this.state.unit?.[0];
    answer.layers.forEach((l, index) => {
      const tr = document.createElement("tr");
      tr.dataset.index = String(index);
      if (index === chosen) tr.classList.add("chosen");
      if (index === answer.layers.length - 1) tr.classList.add("last");
      const button = el("button", { type: "button", className: "link-button", textContent: l.name, "aria-pressed": index === chosen, "aria-label": `Pick units of ${l.name}` });
      button.addEventListener("click", () => {
        this.state.unit = [index, -1, -1];
        this.compute();
      });
      tr.append(el("th", { scope: "row" }, button));
      const cells = [
        pairText(l.kernel_size),
        pairText(l.stride),
        pairText(l.padding),
        pairText(l.dilation),
        l.output_size ? `${l.output_size[0]}×${l.output_size[1]}` : "—",
        pairText(l.receptive_field),
        pairText(l.jump),
        // counted from 1 like the exercises (the engine counts from 0)
        l.start[0] === l.start[1] ? num(l.start[0] + 1) : `${num(l.start[0] + 1)}, ${num(l.start[1] + 1)}`,
      ];
      tr.append(...cells.map((text, c) => el("td", c === 5 ? { className: "rf-size", textContent: text } : { textContent: text })));
      rows.push(tr);
    });
    tbody.replaceChildren(...rows);

    const last = answer.layers[answer.layers.length - 1];
    const summary = `Receptive field of ${last.name}: ${pairText(answer.receptive_field)} × ${pairText(answer.receptive_field)} pixels`;
    const lines = [`${summary}, jump ${pairText(answer.jump)}`];
    if (answer.formula) lines.push(`R_L = 1 + L(k − 1) = ${answer.formula}`);
    else lines.push("R_L = 1 + L(k − 1) needs stride 1, dilation 1 and the same k×k in every layer; this stack uses the general rule r_l = r_{l−1} + (k_eff − 1)·j_{l−1}.");
    $("rf-formula").replaceChildren(...lines.map((text, i) => {
      const div = withSubscripts(text);
      if (i === 0) div.className = "rf-summary";
      return div;
    }));
  }

  #drawUnits(answer) {
    const [layerIndex] = this.state.unit ?? [answer.layers.length - 1];
    const layer = answer.layers[layerIndex];
    const size = layer.output_size;
    $("rf-layer-caption").textContent = size
      ? `Units of ${layer.name} (${size[0]}×${size[1]}); click one, or use the arrow keys`
      : `${layer.name} has no units for this input size`;
    this.units.canvas.setAttribute("aria-label", `Units of ${layer.name}; arrow keys move the chosen unit`);
    if (size && size[0] > 0 && size[1] > 0) this.units.setSize(size[0], size[1]);
    this.input.setSize(this.state.input, this.state.input);
    const region = answer.region;
    if (!region) {
      this.units.show({ selected: null });
      this.input.show({ region: null, inside: null });
      $("rf-region").textContent = "";
      return;
    }
    this.units.show({ selected: region.position });
    const inside = region.clipped_rows && region.clipped_cols
      ? { rows: region.clipped_rows, cols: region.clipped_cols }
      : null;
    this.input.show({ region: { rows: region.rows, cols: region.cols }, inside });
    const [i, j] = region.position;
    // counted from 1 like the exercises and the tutorial (Y₁₁): the engine's 0-based indices + 1;
    // rows and columns at 0 or below, or past the input, are padding
    const span = (s) => `${num(s[0] + 1)}…${num(s[1] + 1)}`;
    let text = `Unit (${i + 1}, ${j + 1}) of ${layer.name} sees input rows ${span(region.rows)}, columns ${span(region.cols)}`;
    if (!inside) text += ": only padding.";
    else if (span(region.clipped_rows) !== span(region.rows) || span(region.clipped_cols) !== span(region.cols)) {
      text += `; inside the image: rows ${span(region.clipped_rows)}, columns ${span(region.clipped_cols)} (the rest is padding).`;
    } else text += ".";
    $("rf-region").textContent = text;
  }

  #drawEffective(erf) {
    const [h, w] = erf.size;
    const holder = $("erf-heatmap");
    if (!this.erfMap || this.erfMap.rows !== h || this.erfMap.cols !== w) {
      holder.replaceChildren();
      this.erfMap = new Heatmap(holder, {
        rows: h,
        cols: w,
        scale: "sequential",
        label: "Effective receptive field: mean |gradient| of the centre unit",
        className: "erf-canvas",
      });
      this.erfOverlay = svgElement("svg", { class: "erf-overlay", "aria-hidden": "true" });
      holder.append(this.erfOverlay);
    }
    this.erfMap.draw(erf.heatmap, { domain: [0, 1] });
    const overlay = this.erfOverlay;
    overlay.setAttribute("viewBox", `0 0 ${w} ${h}`);
    overlay.setAttribute("preserveAspectRatio", "none");
    const [a, b] = erf.theoretical_box;
    const [cy, cx] = erf.centre;
    const r = erf.radius;
    overlay.replaceChildren(
      rect(a, a, b - a + 1, b - a + 1, "theory"),
      rect(cx - r, cy - r, 2 * r + 1, 2 * r + 1, "measured"),
    );
    $("erf-mass").textContent = `${Math.round(100 * erf.mass_fraction)} %`;
    const figures = [
      ["depth L, kernel k", `${erf.num_layers}, ${erf.kernel_size}`],
      ["theoretical R_L = 1 + L(k − 1)", `${erf.theoretical_size}`],
      ["theoretical radius L(k − 1)/2", num(erf.theoretical_radius)],
      [`measured radius (${Math.round(100 * erf.mass_fraction)} % of mass)`, num(erf.radius)],
      ["measured / theoretical", num(erf.radius_ratio)],
      ["std of the gradient", num(erf.std)],
      ["CLT std √(L(k² − 1)/12)", num(erf.gaussian_std)],
    ];
    $("erf-figures").replaceChildren(...figures.flatMap(([dt, dd]) => {
      return [withSubscripts(dt, "dt"), el("dd", { textContent: dd })];
    }));
  }

  #drawSeries() {
    if (!this.series) return;
    const pts = this.series.points;
    this.erfPlot.draw(
      [
        { label: "theoretical L(k − 1)/2", points: pts.map((p) => [p.num_layers, p.theoretical_radius]), className: "series-theory", dots: true },
        { label: "measured radius", points: pts.map((p) => [p.num_layers, p.radius]), className: "series-measured", dots: true },
      ],
      {
        markerX: this.state.erf[0],
        summary: pts.map((p) => `L=${p.num_layers}: ${num(p.radius)} vs ${num(p.theoretical_radius)}`).join("; "),
      },
    );
    const { radius_exponent: re, std_exponent: se } = this.series;
    $("erf-exponents").replaceChildren(...withSubscripts(re === null
      ? ""
      : `Fitted growth: measured radius ∝ L^${num(re)}, std ∝ L^${num(se)}; theoretical ∝ L^1. ${growthSentence(re)}`, "span").childNodes);
  }

  #showError(error) {
    if (!error) {
      $("rf-error").textContent = "";
      document.querySelector(".rf-units").classList.remove("stale");
      this.stack.markInvalid(null);
      $("rf-table").classList.remove("stale");
      return;
    }
    // the engine counts layers from 0; the stack's rows are numbered from 1
    $("rf-error").textContent = error.message.replace(/\(layer (\d+)\)/g, (_, i) => `(row ${Number(i) + 1})`);
    document.querySelector(".rf-units").classList.add("stale");
    const field = error.field;
    const index = Array.isArray(field) && field[0] === "layers" && Number.isInteger(field[1]) ? field[1] : null;
    const named = index === null ? this.#layerNamed(error.message) : index;
    this.stack.markInvalid(named);
    $("rf-table").classList.add("stale");
  }

  /** The index of the layer an engine message names ("conv3 (layer 2): ..."), or null. */
  #layerNamed(message) {
    const match = /\(layer (\d+)\)/.exec(message);
    const index = match ? Number(match[1]) : -1;
    return index >= 0 && index < this.stack.layers.length ? index : null;
  }
}

/** What the fitted exponent of the measured radius says, in words (it follows the numbers). */
function growthSentence(exponent) {
  if (exponent < 0.6) return "The effective field grows about like √L (Luo et al. 2016): much slower than the theoretical one.";
  if (exponent < 0.9) {
    return `The measured radius grows like L^${num(exponent)}: faster than the √L that Luo et al. find for ` +
      "linear stacks with random weights, slower than the theoretical field.";
  }
  return "The measured radius grows about as fast as the theoretical field here.";
}

function rect(x, y, width, height, cls) {
  return svgElement("rect", { x, y, width, height, class: cls });
}

new ReceptiveFieldsPage().start();
