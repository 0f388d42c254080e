// A QR code that owns its canvas: one canvas pixel per module plus the 4-module quiet zone the
// standard asks for, scaled up by CSS with `image-rendering: pixelated` so it stays sharp on a
// projector at any size.

import { qrModules } from "../qr.js";

/** The quiet zone around the code, in modules (ISO/IEC 18004 §6.3.8). */
export const QUIET_ZONE = 4;

export class QrCode {
  /**
   * @param {HTMLCanvasElement} canvas
   */
  constructor(canvas) {
    if (!(canvas instanceof HTMLCanvasElement)) throw new Error("QrCode needs a <canvas>");
    this.canvas = canvas;
    this.text = "";
  }

  /** Draw the code of `text` and name it for screen readers. */
  draw(text) {
    const modules = qrModules(text);
    const side = modules.length + 2 * QUIET_ZONE;
    this.canvas.width = side;
    this.canvas.height = side;
    const ctx = this.canvas.getContext("2d");
    const image = ctx.createImageData(side, side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const dark = modules[y - QUIET_ZONE]?.[x - QUIET_ZONE] === true;
        const v = dark ? 0 : 255;
        const i = 4 * (y * side + x);
        image.data[i] = v;
        image.data[i + 1] = v;
        image.data[i + 2] = v;
        image.data[i + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", `QR code of ${text}`);
    this.text = text;
  }
}
