// Q2a on the MNIST page, the morph: keep drawing A (say a 3), turn the pad into drawing B (a 5
// or a 9), and see per layer where the CNN's feature maps differ and where they stay the same.
// Both drawings go to POST /api/mnist/activations as 28×28 images shrunk from the pad without
// MNIST's re-centring (so strokes they share stay on the same pixels), with the page's shift and
// kernel edits. Every sentence is computed from the two answers.

import { decodeLayer } from "../../activations.js";
import { postJSON } from "../../api.js";
import { el } from "../../dom.js";
import { Lab } from "../../lab.js";
import { diffLayers, padImage, whereChanged } from "./morph.js";
import { decodeStrokes, encodeStrokes } from "../../strokes.js";
import { DrawingPad } from "../../widgets/drawing_pad.js";
import { Heatmap } from "../../widgets/heatmap.js";

const STORAGE_KEY = "convlab.mnist.morph";
const LAYERS = ["input", "relu1", "relu2", "relu3", "pool3"];
const CAPTIONS = {
  input: "the 28×28 input",
  relu1: "after conv1 + ReLU (5×5 field)",
  relu2: "after conv2 + ReLU (14 px field)",
  relu3: "after conv3 + ReLU (32 px field)",
  pool3: "the 3×3 maps the dense layers read",
};
const percent = (n, d) => (d === 0 ? "0 %" : `${Math.round((100 * n) / d)} %`);

/** orange where A and B differ, blue-grey where both are active and agree, white where quiet */
function morphColour(v) {
  if (v > 0) return [255, Math.round(255 - 150 * v), Math.round(255 - 230 * v)];
  if (v < 0) return [Math.round(255 + 150 * v), Math.round(255 + 120 * v), Math.round(255 + 60 * v)];
  return [255, 255, 255];
}

const imageOf = (canvas) => padImage(canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);

/** The morph panel; the MNIST page calls update() after each answer it paints. */
export class MnistMorph {
  /**
   * @param {HTMLElement} root the panel (holds #morph-* elements)
   * @param {import("../../widgets/drawing_pad.js").DrawingPad} pad the page's pad: drawing B
   */
  constructor(root, pad) {
    this.root = root;
    this.pad = pad;
    this.a = this.#restore(); // {strokes, image} or null
    this.aCache = { key: "", answer: null };
    this.lab = new Lab(); // one comparison in flight, the newest one waiting
    this.maps = new Map();
    const $ = (id) => root.querySelector(`#${id}`);
    this.status = $("morph-status");
    this.findings = $("morph-findings");
    this.holder = $("morph-maps");
    this.error = $("morph-error");
    this.forget = $("morph-forget");
    this.lastBody = null;
    $("morph-keep").addEventListener("click", () => this.keep());
    this.forget.addEventListener("click", () => this.drop());
    this.#showStatus();
  }

  /** Keep the pad's drawing as A. */
  keep() {
    if (this.pad.isEmpty()) {
      this.error.textContent = "Draw a digit first, then keep it as A.";
      return;
    }
    this.error.textContent = "";
    const strokes = encodeStrokes(this.pad.strokes);
    this.a = { strokes, image: imageOf(this.pad.canvas) };
    this.aCache = { key: "", answer: null };
    try {
      window.localStorage.setItem(STORAGE_KEY, strokes);
    } catch {
      // storage disabled: A lasts until the page is left
    }
    this.#showStatus();
    if (this.lastBody) this.update(this.lastBody);
  }

  /** Forget A. */
  drop() {
    this.a = null;
    this.aCache = { key: "", answer: null };
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing kept
    }
    this.holder.replaceChildren();
    this.maps.clear();
    this.findings.replaceChildren();
    this.#showStatus();
  }

  /**
   * Compare A with the pad as it is now, using the page's shift and kernel edits; null when the
   * pad is empty. At most one comparison in flight; the newest one waiting wins.
   * @param {{shift: number[], kernel_overrides: object} | null} body the page's last request
   */
  update(body) {
    this.lastBody = body;
    if (!this.a) return;
    if (!body || this.pad.isEmpty()) {
      this.#showStatus();
      return;
    }
    this.lab.paced(() => this.#compare(body));
  }

  async #compare(body) {
    if (!this.a) return; // forgotten while it waited
    try {
      const common = { model: "cnn", shift: body.shift, kernel_overrides: body.kernel_overrides };
      const key = JSON.stringify([this.a.strokes, common]);
      const askA = this.aCache.key === key ? Promise.resolve(this.aCache.answer)
        : postJSON("/api/mnist/activations", { ...common, image: this.a.image });
      const [a, b] = await Promise.all([askA, postJSON("/api/mnist/activations", { ...common, image: imageOf(this.pad.canvas) })]);
      this.aCache = { key, answer: a };
      this.error.textContent = "";
      if (this.a && !this.pad.isEmpty()) this.#draw(a, b);
    } catch (error) {
      this.error.textContent = `Could not compare the drawings: ${error.message}`;
    }
  }

  #draw(answerA, answerB) {
    const diffs = diffLayers(answerA.layers.map(decodeLayer), answerB.layers.map(decodeLayer), LAYERS);
    for (const d of diffs) this.#map(d).draw(d.map, { domain: [-1, 1] });
    this.#showStatus(answerA, answerB);
    const items = diffs.map((d) => {
      const li = el("li");
      li.dataset.layer = d.name;
      const unit = d.name === "input" ? "pixels" : "positions";
      const where = whereChanged(d);
      li.textContent = d.active === 0
        ? `${d.name}: no ${unit} on a stroke of A or B.`
        : `${d.name}: of the ${d.active} ${unit} on a stroke of A or B, ${d.same} (${percent(d.same, d.active)}) ` +
          `${d.name === "input" ? "are the same" : "respond the same"} in both and ${d.changed} (${percent(d.changed, d.active)}) differ${where ? `, ${where}` : ""}.`;
      return li;
    });
    const first = diffs.find((d) => d.name === "relu1");
    const last = diffs[diffs.length - 1];
    const share = (d) => (d.active ? d.changed / d.active : 0);
    const summary = el("li");
    summary.dataset.layer = "summary";
    if (first.changed === 0) {
      summary.textContent = "A and B give the same first-layer maps: change the drawing on the pad.";
    } else {
      summary.textContent = `relu1: of the positions on a stroke of A or B, ${percent(first.same, first.active)} keep ` +
        `their response and ${percent(first.changed, first.active)} change. ` +
        (share(last) > share(first)
          ? `Deeper units see more of the image, so a local change reaches more of them: ${percent(last.changed, last.active)} of ${last.name}'s positions on a stroke differ.`
          : `${last.name}: ${percent(last.changed, last.active)} of the positions on a stroke differ.`);
    }
    this.findings.replaceChildren(...items, summary);
  }

  #map(d) {
    const existing = this.maps.get(d.name);
    if (existing) return existing;
    const figure = el("figure", {}, el("figcaption", { textContent: `${d.name}: ${CAPTIONS[d.name]}` }));
    this.holder.append(figure);
    const map = new Heatmap(figure, {
      rows: d.rows, cols: d.cols, scale: morphColour, domain: [-1, 1],
      label: `${d.name}: where drawings A and B differ (orange) and agree (blue)`, className: "morph-map",
    });
    this.maps.set(d.name, map);
    return map;
  }

  #showStatus(answerA = null, answerB = null) {
    this.forget.disabled = !this.a;
    if (!this.a) {
      this.status.textContent = "No drawing kept yet: draw a 3, then press “Keep this drawing as A”.";
    } else if (!answerA || !answerB) {
      this.status.textContent = "Drawing A is kept. Now change the pad into a 5 or a 9 (or clear it and draw one).";
    } else {
      const read = (ans) => `${ans.label} (${(100 * ans.probabilities[ans.label]).toFixed(1)} %)`;
      this.status.textContent = `Not re-centred, the CNN reads A as ${read(answerA)} and B, the pad, as ${read(answerB)}.`;
    }
  }

  #restore() {
    try {
      const strokes = window.localStorage.getItem(STORAGE_KEY);
      if (!strokes) return null;
      const parsed = decodeStrokes(strokes);
      if (parsed.length === 0) return null;
      const canvas = document.createElement("canvas"); // A, drawn off screen exactly as the pad draws it
      [canvas.width, canvas.height] = [this.pad.canvas.width, this.pad.canvas.height];
      const pad = new DrawingPad(canvas);
      pad.setStrokes(parsed, { silent: true });
      return { strokes: encodeStrokes(parsed), image: imageOf(canvas) };
    } catch {
      return null;
    }
  }
}
