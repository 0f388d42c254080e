// A small SVG bar chart that owns its <svg>: one bar per class, the value printed above each
// bar, the largest bar highlighted. Used for the ten class probabilities of the MNIST models.

import { svgElement as el } from "../dom.js";

/** Vertical bars on a fixed [0, max] axis. */
export class BarChart {
  /**
   * @param {HTMLElement} container the <svg> is appended to it
   * @param {{labels: string[], label: string, max?: number, width?: number, height?: number,
   *   format?: (v: number) => string}} options
   */
  constructor(container, options) {
    if (!(container instanceof HTMLElement)) throw new Error("BarChart needs a container element");
    if (!Array.isArray(options.labels) || options.labels.length === 0) {
      throw new Error("BarChart needs a non-empty list of labels");
    }
    this.options = {
      max: 1,
      width: 360,
      height: 170,
      format: (v) => `${Math.round(100 * v)}%`,
      ...options,
    };
    const { width, height } = this.options;
    this.svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "bar-chart", role: "img" });
    this.svg.setAttribute("aria-label", this.options.label);
    container.appendChild(this.svg);
    this.values = null;
    this.draw(null);
  }

  /**
   * Draw the values (null draws empty bars).
   * @param {number[] | null} values one per label
   * @throws {Error} when the number of values does not match the labels
   */
  draw(values) {
    const { labels, max, width, height, format } = this.options;
    if (values !== null && values.length !== labels.length) {
      throw new Error(`BarChart "${this.options.label}" expects ${labels.length} values, got ${values.length}`);
    }
    this.values = values;
    this.svg.replaceChildren();
    const top = 16;
    const bottom = 20;
    const plotH = height - top - bottom;
    const slot = width / labels.length;
    const barW = slot * 0.7;
    const best = values ? values.indexOf(Math.max(...values)) : -1;
    this.svg.append(el("line", { x1: 0, x2: width, y1: top + plotH, y2: top + plotH, class: "baseline" }));
    labels.forEach((label, i) => {
      const v = values ? Math.max(0, Math.min(max, values[i])) : 0;
      const h = (v / max) * plotH;
      const x = i * slot + (slot - barW) / 2;
      const g = el("g", { class: i === best ? "bar best" : "bar" });
      g.append(el("rect", { x, y: top + plotH - h, width: barW, height: Math.max(h, 0.5) }));
      g.append(el("text", { x: x + barW / 2, y: height - 5, class: "bar-label", "text-anchor": "middle" }, label));
      if (values) {
        g.append(el("text", { x: x + barW / 2, y: top + plotH - h - 3, class: "bar-value", "text-anchor": "middle" }, format(values[i])));
      }
      this.svg.append(g);
    });
    const summary = values
      ? labels.map((l, i) => `${l}: ${format(values[i])}`).join(", ")
      : "no values yet";
    this.svg.setAttribute("aria-label", `${this.options.label} (${summary})`);
  }
}
