// A drawing pad that owns its canvas: pointer events (mouse, touch and pen), a brush size,
// undo and clear. The drawing is kept as strokes (strokes.js) so it can be saved in the URL
// and redrawn exactly; the picture sent to the API is the canvas as a PNG data URL.

import { addPoint } from "../strokes.js";

/** @typedef {import("../strokes.js").Stroke} Stroke */

/**
 * Events (all on the pad itself, an EventTarget):
 *  - "draw": the current stroke grew (fires often while the pen moves)
 *  - "strokeend": a stroke was finished (pen lifted)
 *  - "change": the drawing changed as a whole (undo, clear, strokes restored)
 */
export class DrawingPad extends EventTarget {
  /**
   * @param {HTMLCanvasElement} canvas the pad draws on it; its width/height are the pad size
   * @param {{brush?: number, ink?: string, paper?: string}} [options]
   */
  constructor(canvas, options = {}) {
    super();
    if (!(canvas instanceof HTMLCanvasElement)) throw new Error("DrawingPad needs a <canvas>");
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.brush = options.brush ?? 20;
    this.ink = options.ink ?? "#000";
    this.paper = options.paper ?? "#fff";
    /** @type {Stroke[]} */
    this.strokes = [];
    /** @type {Stroke | null} */
    this.current = null;
    this.pointerId = null;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
    this.redraw();
  }

  /** @returns {boolean} true when nothing has been drawn */
  isEmpty() {
    return this.strokes.length === 0 && !this.current;
  }

  /** @param {number} size brush diameter in pad pixels */
  setBrush(size) {
    this.brush = size;
  }

  /** Remove the last stroke. */
  undo() {
    if (this.strokes.length === 0) return;
    this.strokes.pop();
    this.redraw();
    this.dispatchEvent(new Event("change"));
  }

  /** Remove every stroke. */
  clear() {
    if (this.strokes.length === 0) return;
    this.strokes = [];
    this.redraw();
    this.dispatchEvent(new Event("change"));
  }

  /**
   * Replace the drawing (e.g. restored from the URL).
   * @param {Stroke[]} strokes
   * @param {{silent?: boolean}} [options] silent: do not fire "change"
   */
  setStrokes(strokes, options = {}) {
    this.strokes = strokes.map((s) => ({ brush: s.brush, points: s.points.map((p) => [...p]) }));
    this.redraw();
    if (!options.silent) this.dispatchEvent(new Event("change"));
  }

  /**
   * The picture as a PNG data URL (ink on paper), scaled down to `side` pixels when given: the
   * server crops the ink and scales it to 20 px anyway, and a quarter of the pixels is a
   * quarter of the decoding (bench/mnist_request_cost.py).
   */
  toDataURL(side) {
    if (!side || side >= this.canvas.width) return this.canvas.toDataURL("image/png");
    this.small ??= document.createElement("canvas");
    this.small.width = side;
    this.small.height = Math.round((side * this.canvas.height) / this.canvas.width);
    const context = this.small.getContext("2d");
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = "high";
    context.drawImage(this.canvas, 0, 0, this.small.width, this.small.height);
    return this.small.toDataURL("image/png");
  }

  /** Paint the paper and every stroke again. */
  redraw() {
    const { context, canvas } = this;
    context.fillStyle = this.paper;
    context.fillRect(0, 0, canvas.width, canvas.height);
    for (const stroke of this.strokes) this.#paint(stroke, 0);
    if (this.current) this.#paint(this.current, 0);
  }

  #paint(stroke, from) {
    const { context } = this;
    const pts = stroke.points;
    context.strokeStyle = this.ink;
    context.fillStyle = this.ink;
    context.lineWidth = stroke.brush;
    context.lineCap = "round";
    context.lineJoin = "round";
    if (pts.length === 1 && from === 0) {
      context.beginPath();
      context.arc(pts[0][0], pts[0][1], stroke.brush / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.beginPath();
    const start = Math.max(0, from - 1);
    context.moveTo(pts[start][0], pts[start][1]);
    for (let i = start + 1; i < pts.length; i++) context.lineTo(pts[i][0], pts[i][1]);
    context.stroke();
  }

  #position(event) {
    const box = this.canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) / box.width) * this.canvas.width,
      ((event.clientY - box.top) / box.height) * this.canvas.height,
    ];
  }

  #down(event) {
    if (this.pointerId !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.pointerId = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    this.current = { brush: this.brush, points: [] };
    const [x, y] = this.#position(event);
    addPoint(this.current, x, y);
    this.#paint(this.current, 0);
    this.dispatchEvent(new Event("draw"));
  }

  #move(event) {
    if (event.pointerId !== this.pointerId || !this.current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    const before = this.current.points.length;
    for (const e of events.length ? events : [event]) {
      const [x, y] = this.#position(e);
      addPoint(this.current, x, y);
    }
    if (this.current.points.length > before) {
      this.#paint(this.current, before);
      this.dispatchEvent(new Event("draw"));
    }
  }

  #up(event) {
    if (event.pointerId !== this.pointerId) return;
    this.pointerId = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) {
      this.canvas.releasePointerCapture(event.pointerId);
    }
    if (this.current && this.current.points.length > 0) this.strokes.push(this.current);
    this.current = null;
    // paint the finished drawing from its strokes, exactly as a reload will (the live,
    // segment-by-segment painting anti-aliases its joins slightly differently)
    this.redraw();
    this.dispatchEvent(new Event("strokeend"));
  }
}
