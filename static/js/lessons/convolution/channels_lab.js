// The channels view of the Convolution page: C_in input planes, a bank of C_out filters with
// one bias each, every output map written as the sum of its per-plane parts plus the bias, one
// output cell explained plane by plane, and the parameter count C_out·(C_in·k·k + 1).
//
// Every number comes from the API: Y from POST /api/conv2d with the layer; the parts X[c] ∗ K[o, c]
// from one more POST /api/conv2d whose filters each hold one slice (channels.js partsRequest);
// the terms from POST /api/conv2d/explain; the counts from POST /api/parameters.

import { ApiError, postJSON } from "../../api.js";
import { CHANNEL_DEFAULTS, CHANNEL_LIMITS, layerRequest, layerShape, parametersRequest, partsRequest, planeName, reshapeLayer, splitParts } from "../../channels.js";
import { $, el, withSubscripts } from "../../dom.js";
import { formatCount, formatNumber, parseNumber, sub } from "../../format.js";
import { weightDomain } from "../../kernel_palette.js";
import { PanelLab } from "../../lab.js";
import { ChannelSums } from "../../widgets/channel_sums.js";
import { GridEditor, onWholeNumber, setInvalid } from "../../widgets/grid_editor.js";
import { RgbPicture } from "../../widgets/rgb_picture.js";

const SHAPE_CONTROLS = { "ch-cin": "cin", "ch-h": "h", "ch-w": "w", "ch-cout": "cout", "ch-k": "k" };
const SHAPE_RANGES = { cin: [1, CHANNEL_LIMITS.cin], h: [2, CHANNEL_LIMITS.side], w: [2, CHANNEL_LIMITS.side],
  cout: [1, CHANNEL_LIMITS.cout], k: [1, CHANNEL_LIMITS.kernel] };
const SHAPE_NAMES = { cin: "C_in (planes)", h: "H (height)", w: "W (width)", cout: "C_out (filters)", k: "k (kernel side)" };
const SETTING_CONTROLS = { "ch-stride": ["stride", 1, CHANNEL_LIMITS.stride], "ch-padding": ["padding", 0, CHANNEL_LIMITS.padding] };


/** Small integers from a seeded generator, so a preset is the same on every click. */
function seededIntegers(seed, lo, hi) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

const PRESETS = [
  { id: "tutorial-rgb", name: "Tutorial X as the red plane", description: "R = the tutorial's X; filter 1 = the tutorial's K on R only, so Y[1] = X ∗ K; filter 2 sums every plane",
    layer: () => structuredClone(CHANNEL_DEFAULTS) },
  { id: "grey", name: "One plane", description: "C_in = 1, C_out = 1: the single-channel convolution is the special case",
    layer: () => ({ x: [CHANNEL_DEFAULTS.x[0]], k: [[CHANNEL_DEFAULTS.k[0][0]]], b: [0], stride: 1, padding: 0 }) },
  { id: "random", name: "Random integers", description: "3 planes of 5×5, 3 filters of 3×3, small integers",
    layer: () => {
      const next = seededIntegers(Date.now() % 100000, -2, 3);
      const m = (r, c) => Array.from({ length: r }, () => Array.from({ length: c }, next));
      return { x: [m(5, 5), m(5, 5), m(5, 5)], k: [0, 1, 2].map(() => [m(3, 3), m(3, 3), m(3, 3)]), b: [next(), next(), next()], stride: 1, padding: 0 };
    } },
];

/** The channels view; the page owns the shared state and saves it when told. */
export class ChannelsLab extends PanelLab {
  constructor(options) {
    super(options);
    this.paramsKey = "";
    this.focus = null; // {o, row, col}
    this.sums = new ChannelSums($("ch-outputs"), { planeName });
    this.sums.addEventListener("cellenter", (e) => this.showOutput(e.detail.o, e.detail.row, e.detail.col));
    this.picture = new RgbPicture($("ch-picture"), { label: "The three planes as one colour picture" });
    this.#wireControls();
    this.#wirePresets();
    this.#buildEditors();
    this.active = false;
  }

  /** Show the view and compute it (it computes nothing while hidden). */
  activate() {
    this.active = true;
    this.compute();
  }

  /** Hide the view: pending work is dropped. */
  deactivate() {
    this.active = false;
    this.lab.hold();
  }

  get layer() {
    return this.state.ch;
  }

  #wireControls() {
    for (const [id, key] of Object.entries(SHAPE_CONTROLS)) {
      onWholeNumber($(id), SHAPE_NAMES[key], SHAPE_RANGES[key], (value) => {
        this.state.ch = reshapeLayer(this.layer, { [key]: value });
        this.#buildEditors();
        this.#changed();
      }, (message) => this.#error(message), "change");
    }
    for (const [id, [key, lo, hi]] of Object.entries(SETTING_CONTROLS)) {
      onWholeNumber($(id), key, [lo, hi], (value) => {
        this.layer[key] = value;
        this.#changed();
      }, (message) => {
        this.#error(message);
        this.sums.setStale(true);
      });
    }
  }

  #wirePresets() {
    for (const preset of PRESETS) {
      const button = el("button", { type: "button", textContent: preset.name, title: preset.description, "data-preset": preset.id });
      button.addEventListener("click", () => {
        this.state.ch = preset.layer();
        this.#buildEditors();
        this.#changed();
      });
      $("ch-presets").appendChild(button);
    }
  }

  /** (Re)build the plane and filter editors and the shape controls for the current layer. */
  #buildEditors() {
    const layer = this.layer;
    const { cin, cout, h, w, kh, kw } = layerShape(layer);
    $("ch-cin").value = String(cin);
    $("ch-h").value = String(h);
    $("ch-w").value = String(w);
    $("ch-cout").value = String(cout);
    $("ch-k").value = String(kh);
    $("ch-stride").value = String(layer.stride);
    $("ch-padding").value = String(layer.padding);
    setText("ch-input-shape", `C_in × H × W = ${cin} × ${h} × ${w}`);
    setText("ch-kernel-shape", `C_out × C_in × k × k = ${cout} × ${cin} × ${kh} × ${kw}`);

    const planes = $("ch-planes");
    planes.replaceChildren();
    this.planeEditors = layer.x.map((plane, c) => {
      const name = planeName(c, cin);
      const figure = el("figure", { className: "plane" },
        el("figcaption", { textContent: cin === 3 ? `X[${name}] (${["red", "green", "blue"][c]})` : `X[${name}]` }));
      planes.appendChild(figure);
      const editor = new GridEditor(figure, {
        name: `X[${name}]`, label: `Input plane ${name}`, value: plane, idPrefix: `ch-x-${c}`,
        sizeControls: false, textBox: false, maxRows: CHANNEL_LIMITS.side, maxCols: CHANNEL_LIMITS.side,
      });
      editor.setPad(layer.padding);
      editor.addEventListener("change", (e) => {
        this.layer.x[c] = e.detail.matrix;
        this.#changed();
      });
      editor.addEventListener("invalid", () => this.#invalid());
      return editor;
    });
    $("ch-picture-figure").hidden = cin !== 3;
    if (cin === 3) this.#drawPicture();

    const filters = $("ch-filters");
    filters.replaceChildren();
    this.biasInputs = [];
    this.filterEditors = layer.k.map((filter, o) => {
      const slices = el("div", { className: "filter-slices" });
      const row = el("div", { className: "filter-row", role: "group", "aria-label": `Filter ${o + 1}: ${cin} slice${cin === 1 ? "" : "s"} and a bias` },
        el("h3", { textContent: `filter ${o + 1}` }), slices);
      const editors = filter.map((slice, c) => {
        const name = planeName(c, cin);
        const figure = el("figure", {}, el("figcaption", { textContent: `K[${o + 1},${name}]` }));
        slices.appendChild(figure);
        const editor = new GridEditor(figure, {
          name: `K[${o + 1},${name}]`, label: `Filter ${o + 1}, slice for plane ${name}`, value: slice,
          idPrefix: `ch-k-${o}-${c}`, sizeControls: false, textBox: false, maxRows: CHANNEL_LIMITS.kernel, maxCols: CHANNEL_LIMITS.kernel,
          domain: weightDomain(layer.k),
        });
        editor.addEventListener("change", (e) => {
          this.layer.k[o][c] = e.detail.matrix;
          this.#changed();
        });
        editor.addEventListener("invalid", () => this.#invalid());
        return editor;
      });
      const input = el("input", { type: "text", inputMode: "decimal", id: `ch-b-${o}`, value: String(layer.b[o]) });
      input.addEventListener("input", () => {
        const value = parseNumber(input.value);
        if (Number.isNaN(value)) {
          setInvalid(input, true);
          this.#error(`b[${o + 1}]: "${input.value}" is not a number`);
          this.#invalid();
          return;
        }
        setInvalid(input, false);
        this.layer.b[o] = value;
        this.#changed();
      });
      slices.appendChild(el("div", { className: "control bias-control" }, el("label", { htmlFor: `ch-b-${o}`, textContent: `bias b[${o + 1}]` }), input));
      this.biasInputs.push(input);
      filters.appendChild(row);
      return editors;
    });
  }

  #drawPicture() {
    const top = this.picture.draw(this.layer.x);
    $("ch-picture-caption").textContent =
      `The picture these three planes make (R, G, B; ${formatNumber(top)} = full intensity, negatives black).`;
  }

  #invalid() {
    this.lab.hold();
    this.sums.setStale(true);
  }

  #changed() {
    this.save();
    // every slice on one weight scale, the one the matrix page uses for this layer's M
    const domain = weightDomain(this.layer.k);
    for (const editors of this.filterEditors) for (const editor of editors) editor.setDomain(domain);
    if (this.layer.x.length === 3) this.#drawPicture();
    this.lab.later(() => this.compute());
  }

  /** Ask the API for Y, the parts and the counts (stale answers dropped) and redraw. */
  async compute() {
    if (!this.active) return;
    const layer = structuredClone(this.layer);
    const shape = layerShape(layer);
    const answer = await this.lab.latest(
      (signal) => Promise.all([
        postJSON("/api/conv2d", layerRequest(layer), { signal }),
        postJSON("/api/conv2d", partsRequest(layer), { signal }),
      ]),
      (error) => this.#showError(error),
    );
    if (!answer) return;
    const [result, parts] = answer;
    this.answer = { layer, result, parts: splitParts(parts.output, shape.cin), shape };
    this.#error("");
    for (const editor of this.planeEditors) editor.setPad(layer.padding);
    this.sums.setStale(false);
    this.sums.setValues(this.answer.parts, layer.b, result.output);
    const [cout, hOut, wOut] = result.output_shape;
    setText("ch-output-shape", `C_out × H_out × W_out = ${cout} × ${hOut} × ${wOut}`);
    $("ch-size").textContent = `${result.formula.text} per map, ${cout} map${cout === 1 ? "" : "s"}`;
    const c = result.counts;
    $("ch-inputs-per-output").textContent =
      `${formatCount(c.inputs_per_output)} = C_in·k·k = ${shape.cin}·${shape.kh}·${shape.kw}`;
    this.#parameters(shape, c);
    const f = this.focus;
    if (f && f.o < cout && f.row < hOut && f.col < wOut) this.showOutput(f.o, f.row, f.col);
    else this.#clearHighlights();
  }

  async #parameters(shape, counts) {
    const key = `${shape.cin},${shape.cout},${shape.kh},${shape.kw}`;
    const total = counts.kernel_parameters + counts.bias_parameters;
    $("ch-params-note").textContent =
      `The layer's ${formatCount(counts.kernel_parameters)} weights and ${formatCount(counts.bias_parameters)} biases ` +
      `make all ${formatCount(shape.cout * counts.outputs_sharing_parameters)} outputs: each filter's ` +
      `${formatCount(total / shape.cout)} parameters are shared by the ${formatCount(counts.outputs_sharing_parameters)} cells of its map. ` +
      "The count depends on C_in, C_out and k, never on the size of the planes.";
    if (key === this.paramsKey) return;
    try {
      const [mine, q6a] = await Promise.all([
        postJSON("/api/parameters", parametersRequest(shape.cin, shape.cout, [shape.kh, shape.kw])),
        postJSON("/api/parameters", parametersRequest(shape.cin, 100, 5)),
      ]);
      this.paramsKey = key;
      $("ch-params").textContent = `C_out·(C_in·k·k + 1) = ${mine.conv.formula}`;
      $("ch-params-q6a").textContent = `100·(C·5·5 + 1) with C = ${shape.cin}: ${q6a.conv.formula}`;
    } catch (error) {
      $("ch-params").textContent = `could not count: ${error.message}`;
    }
  }

  /** Explain Y[o] at (row, col): the window in every plane, each plane's terms and part, the bias. */
  async showOutput(o, row, col) {
    if (!this.answer) return;
    this.focus = { o, row, col };
    const { layer, parts, result, shape } = this.answer;
    const body = { ...layerRequest(layer), output_cell: [row, col], output_channel: o };
    const answer = await this.lab.explain(`${o}:${row},${col}`, "/api/conv2d/explain", body, (error) => {
      $("ch-explain").textContent = `Could not explain this cell: ${error.message}`;
    });
    if (!answer) return;
    const e = answer.output_cell;
    this.#clearHighlights();
    this.sums.mark(o, row, col);
    const box = $("ch-explain");
    box.replaceChildren();
    const yName = `Y[${o + 1}]${sub(row + 1, col + 1)}`;
    const partNames = [];
    for (let c = 0; c < shape.cin; c++) {
      const terms = e.window.filter((t) => t.channel === c);
      const grid = this.planeEditors[c].grid;
      grid.mark(terms.filter((t) => !t.padding).map((t) => [t.row, t.col]), "is-window");
      for (const t of terms) if (t.padding) grid.setPadValue(t.row, t.col, t.value);
      const name = planeName(c, shape.cin);
      const part = parts[o][c][row][col];
      const products = terms.map((t) => `${formatNumber(t.value, { parens: true })}·${formatNumber(t.weight, { parens: true })}`);
      line(box, `plane ${name}: ${products.join(" + ")} = ${formatNumber(part)}`, `ch-explain-plane-${c}`);
      partNames.push(formatNumber(part, { parens: true }));
    }
    const value = result.output[o][row][col];
    line(box, `${yName} = ${partNames.join(" + ")} + ${formatNumber(layer.b[o], { parens: true })} = ${formatNumber(value)}` +
      `   (${e.window.length} = ${shape.cin}·${shape.kh}·${shape.kw} products, plus the bias)`, "ch-explain-total");
  }

  #clearHighlights() {
    this.sums.mark(null);
    for (const editor of this.planeEditors) {
      editor.grid.clearMark("is-window");
      for (const cell of editor.grid.element.querySelectorAll(".is-pad")) {
        cell.textContent = "";
        cell.style.background = "";
        cell.style.color = "";
      }
    }
  }

  #showError(error) {
    this.sums.setStale(true);
    const text = error instanceof ApiError ? error.message : `could not reach the server (${error.message})`;
    this.#error(`${text} — the maps shown are the last ones computed.`);
  }

  #error(message) {
    $("ch-error").textContent = message;
  }
}

/** Replace an element's content with text whose x_y parts are subscripts. */
function setText(id, text) {
  $(id).replaceChildren(withSubscripts(text, "span"));
}

function line(parent, text, id) {
  parent.appendChild(el("div", { id, textContent: text }));
}
