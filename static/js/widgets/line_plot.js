// A small SVG line plot that owns its <svg>: axes with round ticks, one polyline per series,
// a legend, an optional vertical marker. Crisp at any zoom; the numbers come from the API.

import { linearScale, niceTicks, seriesExtent, tickLabel } from "../plot_math.js";

const SVG = "http://www.w3.org/2000/svg";
const el = (...args) => svgElement(...args);

/**
 * @typedef {object} Series
 * @property {string} label legend text
 * @property {number[][]} points [x, y] pairs in data units
 * @property {string} [className] CSS class for colour (e.g. "series-a")
 * @property {boolean} [dots] draw a dot at every point
 * @property {boolean} [endDot] draw a dot at the last point only
 */

/**
 * @typedef {object} LinePlotOptions
 * @property {string} label accessible name of the plot
 * @property {string} [xLabel]
 * @property {string} [yLabel]
 * @property {number} [width] viewBox width (the SVG scales to its container)
 * @property {number} [height] viewBox height
 * @property {[number, number]} [xDomain] fixed x range; default from the data
 * @property {[number, number]} [yDomain] fixed y range; default from the data
 * @property {boolean} [equalAspect] one data unit is as long on x as on y (for 2-D paths)
 * @property {"top-left" | "top-right" | "bottom-left" | "bottom-right" | "below" | "none"} [legend]
 *   where the legend goes: a corner inside the plot, or in a row under it (default "top-left")
 */

/**
 * Create an SVG element with attributes (for the hooks of LinePlot.draw too).
 * @param {string} name
 * @param {Record<string, string | number>} [attrs]
 * @param {string | null} [text]
 * @returns {SVGElement}
 */
export function svgElement(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** A line plot of one or more series. */
export class LinePlot {
  /**
   * @param {HTMLElement} container the <svg> is appended to it
   * @param {LinePlotOptions} options
   */
  constructor(container, options) {
    if (!(container instanceof HTMLElement)) throw new Error("LinePlot needs a container element");
    this.options = { width: 360, height: 220, xLabel: "", yLabel: "", legend: "top-left", ...options };
    const { width, height } = this.options;
    this.svg = el("svg", {
      viewBox: `0 0 ${width} ${height}`,
      class: "line-plot",
      role: "img",
      "aria-label": this.options.label,
    });
    container.appendChild(this.svg);
    this.margin = { top: 12, right: 12, bottom: this.options.legend === "below" ? 54 : 38, left: 48 };
  }

  /**
   * Draw the series (replacing what was drawn).
   * @param {Series[]} series
   * @param {{markerX?: number | null, under?: (g: SVGGElement, sx: Function, sy: Function) => void,
   *   over?: (g: SVGGElement, sx: Function, sy: Function) => void, summary?: string,
   *   xDomain?: [number, number], yDomain?: [number, number]}} [extra] a vertical marker line;
   *   hooks drawing under and over the lines (sx, sy map data to SVG units); a text summary
   *   appended to the accessible name; domains for this draw only
   */
  draw(series, extra = {}) {
    const { width, height, xLabel, yLabel } = this.options;
    const m = this.margin;
    this.svg.replaceChildren();
    let xDomain = extra.xDomain ?? this.options.xDomain ?? seriesExtent(series, 0);
    let yDomain = extra.yDomain ?? this.options.yDomain ?? seriesExtent(series, 1);
    let plotW = width - m.left - m.right;
    let plotH = height - m.top - m.bottom;
    if (this.options.equalAspect) {
      [xDomain, yDomain] = equalise(xDomain, yDomain, plotW / plotH);
    }
    const sx = linearScale(xDomain, [m.left, m.left + plotW]);
    const sy = linearScale(yDomain, [m.top + plotH, m.top]);

    const axes = el("g", { class: "axes" });
    for (const t of niceTicks(...xDomain, Math.max(2, Math.round(plotW / 60)))) {
      axes.append(el("line", { x1: sx(t), x2: sx(t), y1: m.top, y2: m.top + plotH, class: "grid" }));
      axes.append(el("text", { x: sx(t), y: m.top + plotH + 14, class: "tick", "text-anchor": "middle" }, tickLabel(t)));
    }
    for (const t of niceTicks(...yDomain, Math.max(2, Math.round(plotH / 40)))) {
      axes.append(el("line", { x1: m.left, x2: m.left + plotW, y1: sy(t), y2: sy(t), class: "grid" }));
      axes.append(el("text", { x: m.left - 5, y: sy(t) + 4, class: "tick", "text-anchor": "end" }, tickLabel(t)));
    }
    axes.append(el("rect", { x: m.left, y: m.top, width: plotW, height: plotH, class: "frame" }));
    if (xLabel) {
      axes.append(el("text", { x: m.left + plotW / 2, y: m.top + plotH + 30, class: "axis-label", "text-anchor": "middle" }, xLabel));
    }
    if (yLabel) {
      const y = m.top + plotH / 2;
      axes.append(el("text", { x: 12, y, class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 12 ${y})` }, yLabel));
    }
    this.svg.append(axes);

    if (extra.under) {
      const under = el("g", { class: "under" });
      extra.under(under, sx, sy);
      this.svg.append(under);
    }
    if (extra.markerX !== undefined && extra.markerX !== null) {
      this.svg.append(el("line", {
        x1: sx(extra.markerX), x2: sx(extra.markerX), y1: m.top, y2: m.top + plotH, class: "marker",
      }));
    }

    series.forEach((s, index) => {
      const cls = s.className || `series-${index}`;
      const g = el("g", { class: `series ${cls}` });
      const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
      if (pts.length > 1) {
        g.append(el("polyline", { points: pts.map((p) => `${sx(p[0])},${sy(p[1])}`).join(" ") }));
      }
      const dotted = s.dots ? pts : s.endDot && pts.length ? [pts[pts.length - 1]] : [];
      for (const p of dotted) g.append(el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3 }));
      this.svg.append(g);
    });

    if (extra.over) {
      const over = el("g", { class: "over" });
      extra.over(over, sx, sy);
      this.svg.append(over);
    }

    const legend = el("g", { class: "plot-legend" });
    const position = this.options.legend;
    const right = position.endsWith("right");
    const bottom = position.startsWith("bottom");
    let rowX = m.left;
    series.forEach((s, index) => {
      if (position === "none") return;
      const cls = s.className || `series-${index}`;
      const item = el("g", { class: `series ${cls}` });
      if (position === "below") {
        const y = height - 6;
        item.append(el("line", { x1: rowX, x2: rowX + 16, y1: y - 4, y2: y - 4 }));
        item.append(el("text", { x: rowX + 20, y, class: "legend-text" }, s.label));
        rowX += 36 + 6.5 * s.label.length; // a legend-text character is about 6.5 units wide
        legend.append(item);
        return;
      }
      const y = bottom
        ? m.top + plotH - 8 - 14 * (series.length - 1 - index)
        : m.top + 12 + 14 * index;
      const x = right ? m.left + plotW - 8 : m.left + 8;
      const [x1, x2] = right ? [x - 16, x] : [x, x + 16];
      item.append(el("line", { x1, x2, y1: y - 4, y2: y - 4 }));
      const tx = right ? x - 20 : x + 20;
      item.append(el("text", { x: tx, y, class: "legend-text", "text-anchor": right ? "end" : "start" }, s.label));
      legend.append(item);
    });
    this.svg.append(legend);
    const summary = extra.summary ? `: ${extra.summary}` : "";
    this.svg.setAttribute("aria-label", `${this.options.label}${summary}`);
  }
}

/** Widen one of two domains so that both have the same units per pixel. */
function equalise(xDomain, yDomain, ratio) {
  const xs = xDomain[1] - xDomain[0] || 1;
  const ys = yDomain[1] - yDomain[0] || 1;
  if (xs / ys < ratio) {
    const want = ys * ratio;
    const mid = (xDomain[0] + xDomain[1]) / 2;
    return [[mid - want / 2, mid + want / 2], yDomain];
  }
  const want = xs / ratio;
  const mid = (yDomain[0] + yDomain[1]) / 2;
  return [xDomain, [mid - want / 2, mid + want / 2]];
}
