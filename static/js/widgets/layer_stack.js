// The layer-stack builder of the receptive-field lesson: a list of conv and pool layers, each
// with kernel size, stride, padding and dilation; add, remove and reorder them. The widget
// only edits the list; the page sends it to POST /api/receptive-field.

import { el } from "../dom.js";

/**
 * @typedef {object} Layer
 * @property {"conv" | "pool"} type
 * @property {number} kernel_size
 * @property {number} stride
 * @property {number} padding
 * @property {number} dilation
 */

const FIELDS = [
  { key: "kernel_size", label: "kernel", short: "k", min: 1 },
  { key: "stride", label: "stride", short: "s", min: 1 },
  { key: "padding", label: "padding", short: "p", min: 0 },
  { key: "dilation", label: "dilation", short: "d", min: 1 },
];

/** A fresh layer of the given type with the usual defaults (3×3 conv, 2×2 pool). */
export function defaultLayer(type) {
  return type === "pool"
    ? { type: "pool", kernel_size: 2, stride: 2, padding: 0, dilation: 1 }
    : { type: "conv", kernel_size: 3, stride: 1, padding: 0, dilation: 1 };
}

/** Events: "change" when the list changed (read `.layers`). */
export class LayerStack extends EventTarget {
  /**
   * @param {HTMLElement} container the widget renders into it (its content is replaced)
   * @param {{maxLayers?: number}} [options]
   */
  constructor(container, options = {}) {
    super();
    if (!(container instanceof HTMLElement)) throw new Error("LayerStack needs a container element");
    this.container = container;
    this.maxLayers = options.maxLayers ?? 64;
    /** @type {Layer[]} */
    this.layers = [];
    this.invalidIndex = null;
    this.list = el("ol", { className: "layer-stack", "aria-label": "Layers, from the input up" });
    const add = el("div", { className: "button-group" }, ...["conv", "pool"].map((type) => {
      const button = el("button", { type: "button", textContent: `+ ${type} layer`, "data-add": type });
      button.addEventListener("click", () => this.add(type));
      return button;
    }));
    this.addButtons = add;
    container.replaceChildren(this.list, add);
  }

  /**
   * Replace the whole stack (e.g. a preset or the state restored from the URL).
   * @param {Layer[]} layers
   * @param {{silent?: boolean}} [options] silent: do not fire "change"
   */
  setLayers(layers, options = {}) {
    this.layers = layers.map((l) => ({ ...defaultLayer(l.type), ...l }));
    this.invalidIndex = null;
    this.render();
    if (!options.silent) this.#changed();
  }

  /** @param {"conv" | "pool"} type add a layer of this type on top */
  add(type) {
    if (this.layers.length >= this.maxLayers) return;
    this.layers.push(defaultLayer(type));
    this.render();
    this.#focusRow(this.layers.length - 1, "select");
    this.#changed();
  }

  /** @param {number} index */
  remove(index) {
    this.layers.splice(index, 1);
    this.render();
    if (this.layers.length) this.#focusRow(Math.min(index, this.layers.length - 1), "[data-action=remove]");
    this.#changed();
  }

  /**
   * Move a layer up (toward the input, -1) or down (+1).
   * @param {-1 | 1} direction
   */
  move(index, direction) {
    const target = index + direction;
    if (target < 0 || target >= this.layers.length) return;
    [this.layers[index], this.layers[target]] = [this.layers[target], this.layers[index]];
    this.render();
    this.#focusRow(target, direction < 0 ? "[data-action=up]" : "[data-action=down]");
    this.#changed();
  }

  /**
   * Mark one row as the cause of an API error (null clears the mark).
   * @param {number | null} index
   */
  markInvalid(index) {
    this.invalidIndex = index;
    this.list.querySelectorAll("li").forEach((li, i) => {
      li.classList.toggle("invalid", i === index);
      li.querySelectorAll("input, select").forEach((input) => {
        if (i === index) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      });
    });
  }

  /** Rebuild the rows from `this.layers`. */
  render() {
    const rows = this.layers.map((layer, index) => this.#row(layer, index));
    this.list.replaceChildren(...rows);
    this.addButtons.querySelectorAll("button").forEach((b) => {
      b.disabled = this.layers.length >= this.maxLayers;
    });
    if (this.invalidIndex !== null) this.markInvalid(this.invalidIndex);
  }

  #row(layer, index) {
    const li = el("li", { className: `layer-row layer-${layer.type}`, "data-index": index });
    const name = `Layer ${index + 1}`;
    const number = el("span", { className: "layer-number", textContent: String(index + 1) });
    const type = el("select", { "aria-label": `${name} type` },
      ...["conv", "pool"].map((t) => el("option", { value: t, textContent: t, selected: layer.type === t })));
    type.addEventListener("change", () => {
      layer.type = /** @type {"conv" | "pool"} */ (type.value);
      li.className = `layer-row layer-${layer.type}`;
      this.#changed();
    });
    li.append(number, type);

    for (const field of FIELDS) {
      const input = el("input", {
        type: "number", min: String(field.min), step: "1", value: String(layer[field.key]),
        "data-field": field.key, "aria-label": `${name} ${field.label}`,
      });
      input.addEventListener("input", () => {
        const value = Number(input.value);
        if (input.value === "" || !Number.isFinite(value)) return; // wait for a number
        layer[field.key] = value;
        this.#changed();
      });
      li.append(el("label", { className: "layer-field" }, el("span", { textContent: field.short, title: field.label }), input));
    }

    const actions = el("span", { className: "layer-actions button-group" });
    const buttons = [
      ["up", "↑", `Move ${name} toward the input`, () => this.move(index, -1), index === 0],
      ["down", "↓", `Move ${name} away from the input`, () => this.move(index, 1), index === this.layers.length - 1],
      ["remove", "✕", `Remove ${name}`, () => this.remove(index), false],
    ];
    for (const [action, glyph, label, handler, disabled] of buttons) {
      const button = el("button", { type: "button", textContent: glyph, "data-action": action, "aria-label": label, title: label, disabled });
      button.addEventListener("click", handler);
      actions.append(button);
    }
    li.append(actions);
    return li;
  }

  #focusRow(index, selector) {
    const row = this.list.children[index];
    const target = row && (row.querySelector(`${selector}:not(:disabled)`) || row.querySelector("select"));
    if (target) target.focus();
  }

  #changed() {
    this.dispatchEvent(new Event("change"));
  }
}
