// A small SVG line plot that owns its <svg>: axes with round ticks, one polyline per series,
// a legend, an optional vertical marker. Crisp at any zoom; the numbers come from the API.
// Series can also be told apart without colour: a dash pattern, a marker shape, and a label
// written at the end of the line (direct labels, nudged apart when lines end close together);
// error bars (± spread) and a logarithmic x axis serve the experiments' sweeps over N.

import { svgElement as el } from "../dom.js";
import { linearScale, logScale, logTicks, niceTicks, seriesExtent, spreadLabels, tickLabel } from "../plot_math.js";

/**
 * @typedef {object} Series
 * @property {string} label legend text
 * @property {number[][]} points [x, y] pairs in data units
 * @property {string} [className] CSS class for colour (e.g. "series-a")
 * @property {boolean} [dots] draw a dot at every point
 * @property {boolean} [endDot] draw a dot at the last point only
 * @property {string} [dash] SVG stroke-dasharray of the line and its legend swatch, e.g. "6 3"
 * @property {"circle" | "square" | "triangle" | "diamond"} [marker] shape of the dots (default circle)
 * @property {number[]} [spread] ± error bar at each point (same length as points)
 * @property {boolean} [directLabel] write the label at the end of the line, right of the plot
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
 * @property {"linear" | "log"} [xScale] a log x axis gives every decade the same width (default linear)
 * @property {number[]} [xTicks] x tick values to use instead of round ones
 * @property {(value: number) => string} [xTickFormat] the text of an x tick (e.g. λ at index i)
 * @property {"top-left" | "top-right" | "bottom-left" | "bottom-right" | "below" | "none"} [legend]
 *   where the legend goes: a corner inside the plot, or in a row under it (default "top-left")
 */

/**
 * A LinePlot whose viewBox is as wide as its container is now (between minWidth and maxWidth
 * units; height in proportion), so a plot made in a phone's narrow column keeps its text
 * readable instead of scaling a wide drawing down. Make it once the container is visible.
 * @param {LinePlotOptions & {minWidth?: number, maxWidth?: number, aspect?: number}} options
 * @returns {LinePlot}
 */
export function fittedLinePlot(container, options) {
  const { minWidth = 280, maxWidth = 400, aspect = 0.64, ...rest } = options;
  const width = Math.round(Math.min(maxWidth, Math.max(minWidth, container.clientWidth || maxWidth)));
  return new LinePlot(container, { width, height: Math.round(width * aspect), ...rest });
}

/** A view over markup that holds fitted plots: el() finds a part by id, plot() makes one once. */
export class PlotView {
  /** @param {HTMLElement} root the element holding the view's markup */
  constructor(root) {
    this.root = root;
    this.plots = {};
  }

  /** @param {string} id @returns {HTMLElement} */
  el(id) {
    const node = this.root.querySelector(`#${id}`);
    if (!node) throw new Error(`${this.constructor.name}: no #${id} in its root`);
    return node;
  }

  /** The fitted plot (no legend) in the part `id`, made on first use. */
  plot(id, options) {
    this.plots[id] ??= fittedLinePlot(this.el(id), { legend: "none", ...options });
    return this.plots[id];
  }
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
   *   xDomain?: [number, number], yDomain?: [number, number], xTicks?: number[],
   *   xTickFormat?: (value: number) => string}} [extra] a vertical marker line;
   *   hooks drawing under and over the lines (sx, sy map data to SVG units); a text summary
   *   appended to the accessible name; domains and x ticks for this draw only
   */
  draw(series, extra = {}) {
    const { width, height, xLabel, yLabel } = this.options;
    const direct = series.filter((s) => s.directLabel);
    const labelRoom = direct.length ? 10 + 6.5 * Math.max(...direct.map((s) => s.label.length)) : 0;
    const m = { ...this.margin, right: this.margin.right + labelRoom };
    this.svg.replaceChildren();
    let xDomain = extra.xDomain ?? this.options.xDomain ?? seriesExtent(series, 0);
    let yDomain = extra.yDomain ?? this.options.yDomain ?? seriesExtent(series.flatMap(withSpread), 1);
    let plotW = width - m.left - m.right;
    let plotH = height - m.top - m.bottom;
    if (this.options.equalAspect) {
      [xDomain, yDomain] = equalise(xDomain, yDomain, plotW / plotH);
    }
    const log = this.options.xScale === "log";
    const sx = (log ? logScale : linearScale)(xDomain, [m.left, m.left + plotW]);
    const sy = linearScale(yDomain, [m.top + plotH, m.top]);

    const axes = el("g", { class: "axes" });
    const xTicks = extra.xTicks ?? this.options.xTicks ?? (log ? logTicks(...xDomain) : niceTicks(...xDomain, Math.max(2, Math.round(plotW / 60))));
    for (const t of xTicks) {
      const format = extra.xTickFormat ?? this.options.xTickFormat;
      const label = format
        ? format(t)
        : log && t >= 1000 ? t.toLocaleString("en-US") : tickLabel(t);
      axes.append(el("line", { x1: sx(t), x2: sx(t), y1: m.top, y2: m.top + plotH, class: "grid" }));
      axes.append(el("text", { x: sx(t), y: m.top + plotH + 14, class: "tick", "text-anchor": "middle" }, label));
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
      const shown = s.points
        .map((p, i) => [p[0], p[1], s.spread ? s.spread[i] : 0])
        .filter((p) => Number.isFinite(sx(p[0])) && Number.isFinite(p[1]));
      if (s.spread) {
        for (const [x, y, e] of shown) {
          if (!(e > 0)) continue;
          const [cx, top, bottom] = [sx(x), sy(y + e), sy(y - e)];
          g.append(el("path", { class: "error-bar", d: `M${cx - 3},${top}H${cx + 3}M${cx},${top}V${bottom}M${cx - 3},${bottom}H${cx + 3}` }));
        }
      }
      if (shown.length > 1) {
        const attrs = { points: shown.map((p) => `${sx(p[0])},${sy(p[1])}`).join(" ") };
        if (s.dash) attrs["stroke-dasharray"] = s.dash;
        g.append(el("polyline", attrs));
      }
      const dotted = s.dots ? shown : s.endDot && shown.length ? [shown[shown.length - 1]] : [];
      for (const p of dotted) g.append(markerShape(s.marker, sx(p[0]), sy(p[1])));
      this.svg.append(g);
    });

    if (direct.length) {
      const ends = direct.map((s) => {
        const pts = s.points.filter((p) => Number.isFinite(sx(p[0])) && Number.isFinite(p[1]));
        return pts.length ? pts[pts.length - 1] : null;
      });
      const wanted = ends.map((p) => (p ? sy(p[1]) + 4 : m.top + plotH / 2));
      const placed = spreadLabels(wanted, 13, m.top + 8, m.top + plotH + 4);
      const labels = el("g", { class: "direct-labels" });
      direct.forEach((s, k) => {
        if (!ends[k]) return;
        const cls = s.className || `series-${series.indexOf(s)}`;
        const item = el("g", { class: `series ${cls}` });
        const [x0, y0] = [sx(ends[k][0]), sy(ends[k][1])];
        const x1 = m.left + plotW + 4;
        if (Math.abs(placed[k] - 4 - y0) > 2 || x1 - x0 > 2) {
          item.append(el("path", { class: "leader", d: `M${x0 + 3},${y0}L${x1},${placed[k] - 4}` }));
        }
        item.append(el("text", { x: x1 + 3, y: placed[k], class: "legend-text direct-label" }, s.label));
        labels.append(item);
      });
      this.svg.append(labels);
    }

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
        item.append(el("line", { x1: rowX, x2: rowX + 16, y1: y - 4, y2: y - 4, ...dashOf(s) }));
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
      item.append(el("line", { x1, x2, y1: y - 4, y2: y - 4, ...dashOf(s) }));
      const tx = right ? x - 20 : x + 20;
      item.append(el("text", { x: tx, y, class: "legend-text", "text-anchor": right ? "end" : "start" }, s.label));
      legend.append(item);
    });
    this.svg.append(legend);
    const summary = extra.summary ? `: ${extra.summary}` : "";
    this.svg.setAttribute("aria-label", `${this.options.label}${summary}`);
  }
}

/** A series with error bars counts its bar ends too when the y range is chosen. */
function withSpread(series) {
  if (!series.spread) return [series];
  const ends = (sign) => series.points.map((p, i) => [p[0], p[1] + sign * (series.spread[i] || 0)]);
  return [series, { points: ends(1) }, { points: ends(-1) }];
}

/** The stroke-dasharray attribute of a series, if it has one. */
function dashOf(series) {
  return series.dash ? { "stroke-dasharray": series.dash } : {};
}

/** A dot of the given shape centred on (x, y), about 6 units across. */
function markerShape(shape, x, y) {
  const r = 3.2;
  if (shape === "square") return el("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, class: "dot" });
  if (shape === "triangle") {
    const h = 1.2 * r;
    return el("polygon", { points: `${x},${y - h} ${x + h},${y + 0.8 * h} ${x - h},${y + 0.8 * h}`, class: "dot" });
  }
  if (shape === "diamond") {
    const h = 1.3 * r;
    return el("polygon", { points: `${x},${y - h} ${x + h},${y} ${x},${y + h} ${x - h},${y}`, class: "dot" });
  }
  return el("circle", { cx: x, cy: y, r: 3 });
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
