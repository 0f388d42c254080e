// The learned kernels of a conv layer as a bank of small heatmap buttons; pressing one opens
// an editor (GridEditor) on it, with presets (Sobel, Laplacian, ...) and a way back to the
// learned kernel. The bank only keeps the student's edits; the page sends them to the API.

import { el } from "../dom.js";
import { embedKernel } from "../kernels.js";
import { KERNEL_PRESETS } from "../presets.js";
import { GridEditor } from "./grid_editor.js";
import { Heatmap } from "./heatmap.js";

/**
 * @typedef {object} FilterBankElements
 * @property {HTMLElement} buttons where the filter buttons go
 * @property {HTMLElement} panel the editor panel (shown once a filter is chosen)
 * @property {HTMLElement} title heading of the editor panel
 * @property {HTMLElement} presets holds the preset buttons; a button data-preset="learned" resets
 * @property {HTMLElement} editor where the GridEditor goes
 * @property {HTMLElement} resetAll button that drops every edit
 */

/**
 * Events: "edit" when the edits changed (read `.edits`), "select" when another filter was
 * opened (read `.selected`).
 */
export class FilterBank extends EventTarget {
  /** @param {FilterBankElements} elements */
  constructor(elements) {
    super();
    this.el = elements;
    /** @type {Record<number, number[][]>} channel → edited kernel */
    this.edits = {};
    /** @type {number | null} */
    this.selected = null;
    this.layer = null;
    this.maps = [];
    this.editor = null;
    for (const preset of KERNEL_PRESETS.filter((p) => p.kernel.length > 2)) {
      elements.presets.append(el("button", { type: "button", "data-preset": preset.id, textContent: preset.name, title: preset.description }));
    }
    elements.presets.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-preset]");
      if (button && this.selected !== null) this.#applyPreset(button.dataset.preset);
    });
    elements.resetAll.addEventListener("click", () => {
      this.edits = {};
      if (this.selected !== null) this.editor.setValue(this.kernel(this.selected));
      this.#edited();
    });
  }

  /**
   * Show a layer's learned kernels with the given edits, and open the selected one.
   * @param {{name: string, shape: number[], weight: number[][][][], min: number, max: number}} layer
   *   one layer of GET /api/mnist/filters (only input channel 0 is shown and edited)
   * @param {Record<number, number[][]>} edits
   * @param {number | null} selected
   */
  load(layer, edits, selected) {
    this.layer = layer;
    this.edits = { ...edits };
    const k = layer.shape[2];
    const bound = Math.max(Math.abs(layer.min), Math.abs(layer.max));
    this.domain = [-bound, bound];
    this.el.buttons.replaceChildren();
    this.maps = layer.weight.map((_, c) => {
      const button = el("button", {
        type: "button", className: "filter-button", "data-channel": c, "aria-pressed": "false", "aria-label": `Edit ${layer.name} filter ${c}`, title: `filter ${c}`,
      });
      button.addEventListener("click", () => this.select(c));
      this.el.buttons.append(button);
      return new Heatmap(button, { rows: k, cols: k, scale: "diverging", label: `${layer.name} filter ${c}` });
    });
    if (selected !== null && selected < this.maps.length) this.select(selected, { silent: true });
    else this.#paint();
  }

  /** The kernel in use for channel c: the edited one, else the learned one. */
  kernel(c) {
    return this.edits[c] ?? this.layer.weight[c][0];
  }

  /**
   * Open the editor on channel c.
   * @param {{silent?: boolean}} [options] silent: do not fire "select"
   */
  select(c, options = {}) {
    this.selected = c;
    this.el.panel.hidden = false;
    this.el.title.textContent = `Filter ${c} of ${this.layer.name} (bias kept)`;
    if (!this.editor) {
      this.editor = new GridEditor(this.el.editor, {
        name: "W",
        label: `${this.layer.name} kernel`,
        value: this.kernel(c),
        sizeControls: false,
        textBox: true,
        idPrefix: "kernel",
      });
      this.editor.addEventListener("change", (e) => {
        this.edits[this.selected] = e.detail.matrix;
        this.#edited();
      });
    } else {
      this.editor.setValue(this.kernel(c));
    }
    this.#paint();
    if (!options.silent) this.dispatchEvent(new Event("select"));
  }

  /** Show an API error about the edited kernel under the editor. */
  showError(message) {
    if (this.editor) this.editor.showError(message);
  }

  #applyPreset(id) {
    const c = this.selected;
    if (id === "learned") delete this.edits[c];
    else {
      const preset = KERNEL_PRESETS.find((p) => p.id === id);
      this.edits[c] = embedKernel(preset.kernel, this.layer.shape[2]);
    }
    this.editor.setValue(this.kernel(c));
    this.#edited();
  }

  #edited() {
    this.#paint();
    this.dispatchEvent(new Event("edit"));
  }

  #paint() {
    this.maps.forEach((map, c) => {
      const edited = c in this.edits;
      // learned kernels share the layer's scale; an edited one gets its own
      map.draw(this.kernel(c), { domain: edited ? null : this.domain });
      const button = map.canvas.parentElement;
      button.classList.toggle("edited", edited);
      button.setAttribute("aria-pressed", String(c === this.selected));
    });
  }
}
