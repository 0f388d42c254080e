// Feature maps of every layer of a network as grids of small heatmaps, one grid per layer.
// Heatmap instances are kept between draws (only their pixels change), so a live update while
// drawing repaints canvases instead of rebuilding the page.

import { channel } from "../activations.js";
import { diverging, sequential } from "../colors.js";
import { el } from "../dom.js";
import { Heatmap } from "./heatmap.js";

/** @typedef {import("../activations.js").DecodedLayer} DecodedLayer */

const SIGNED_KINDS = new Set(["conv", "linear"]);

/**
 * A colour function over [lo, hi] backed by a 256-entry table: the maps arrive as 8-bit codes,
 * so 256 colours lose nothing, and a table lookup per pixel keeps a live repaint cheap.
 * @param {boolean} signed diverging around 0 (else sequential)
 * @param {[number, number]} domain
 * @returns {(value: number) => number[]}
 */
function colourTable(signed, [lo, hi]) {
  const span = hi - lo || 1;
  const bound = Math.max(Math.abs(lo), Math.abs(hi));
  const table = Array.from({ length: 256 }, (_, i) => {
    const v = lo + (span * i) / 255;
    return signed ? diverging(v, bound) : sequential(v, lo, hi);
  });
  return (value) => table[Math.max(0, Math.min(255, Math.round(((value - lo) / span) * 255)))];
}

/** Display width in CSS pixels of one map of the given side. */
function mapWidth(side) {
  return side >= 20 ? 46 : side >= 10 ? 34 : side >= 5 ? 26 : 20;
}

/** Grids of per-channel heatmaps for a list of decoded layers. */
export class FeatureMaps {
  /**
   * @param {HTMLElement} container the layer sections are appended to it
   * @param {{skipKinds?: string[]}} [options] layer kinds not shown (default input, flatten)
   */
  constructor(container, options = {}) {
    if (!(container instanceof HTMLElement)) throw new Error("FeatureMaps needs a container element");
    this.container = container;
    this.skip = new Set(options.skipKinds ?? ["input", "flatten"]);
    /** @type {Map<string, {key: string, section: HTMLElement, caption: HTMLElement, maps: Heatmap[],
     *   colour: ((value: number) => number[]) | null}>} */
    this.layers = new Map();
  }

  /**
   * Draw every layer; sections are created on first use and reused while shapes stay the same.
   * @param {DecodedLayer[]} layers
   * @param {{marked?: Record<string, number[]>}} [options] channels to mark per layer name
   *   (e.g. the first-layer channels whose kernel was edited)
   */
  draw(layers, options = {}) {
    const shown = layers.filter((l) => !this.skip.has(l.kind));
    const names = new Set(shown.map((l) => l.name));
    for (const [name, entry] of this.layers) {
      if (!names.has(name)) {
        entry.section.remove();
        this.layers.delete(name);
      }
    }
    let previous = null;
    for (const layer of shown) {
      const entry = this.#entry(layer);
      // keep the network's order, moving a section only when it is out of place
      const slot = previous ? previous.nextElementSibling : this.container.firstElementChild;
      if (slot !== entry.section) this.container.insertBefore(entry.section, slot);
      previous = entry.section;
      const marked = new Set(options.marked?.[layer.name] ?? []);
      const signed = SIGNED_KINDS.has(layer.kind);
      const bound = Math.max(Math.abs(layer.min), Math.abs(layer.max));
      const domain = signed ? [-bound, bound] : [Math.min(0, layer.min), layer.max];
      entry.colour = colourTable(signed, domain);
      if (layer.shape.length === 3) {
        entry.maps.forEach((map, c) => {
          map.draw(channel(layer, c), { domain });
          map.canvas.classList.toggle("marked", marked.has(c));
        });
      } else {
        entry.maps[0].draw(layer.values, { domain });
      }
      entry.caption.textContent = `${shapeText(layer.shape)} · ${rangeText(layer.min, layer.max)}`;
    }
  }

  #entry(layer) {
    const key = `${layer.kind}:${layer.shape.join("x")}`;
    const existing = this.layers.get(layer.name);
    if (existing && existing.key === key) return existing;
    if (existing) existing.section.remove();

    const caption = el("span", { className: "fmap-caption" });
    const grid = el("div", { className: "fmap-grid" });
    const section = el("section", { className: `fmap-layer fmap-${layer.kind}`, "data-layer": layer.name },
      el("h3", {}, el("span", { textContent: layer.name }), caption), grid);

    const entry = { key, section, caption, maps: [], colour: null };
    const scale = (value) => entry.colour(value); // set per draw (colourTable)
    const maps = entry.maps;
    if (layer.shape.length === 3) {
      const [channels, h, w] = layer.shape;
      for (let c = 0; c < channels; c++) {
        const map = new Heatmap(grid, {
          rows: h,
          cols: w,
          scale,
          label: `${layer.name} channel ${c}`,
          displayWidth: mapWidth(Math.max(h, w)),
        });
        map.canvas.dataset.channel = String(c);
        maps.push(map);
      }
    } else {
      const n = layer.shape.reduce((a, b) => a * b, 1);
      grid.classList.add("fmap-vector");
      maps.push(new Heatmap(grid, { rows: 1, cols: n, scale, label: `${layer.name}, ${n} units` }));
      if (n <= 16) {
        // a short vector (the 10 class scores) gets its unit numbers under the strip: 0 … n−1
        const ticks = el("div", { className: "fmap-ticks", "aria-hidden": "true" },
          ...Array.from({ length: n }, (_, i) => el("span", { textContent: String(i) })));
        ticks.style.gridTemplateColumns = `repeat(${n}, 1fr)`;
        grid.append(ticks);
      }
    }
    this.layers.set(layer.name, entry);
    return entry;
  }
}

function shapeText(shape) {
  return shape.join("×");
}

function rangeText(lo, hi) {
  const f = (v) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2)).replace("-", "−");
  return `${f(lo)} … ${f(hi)}`;
}
