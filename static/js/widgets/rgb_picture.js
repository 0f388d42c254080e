// Three planes shown as the colour picture they make: R, G and B each scaled so the largest
// value of the three is full intensity (negatives drawn as 0). One canvas pixel per input cell,
// scaled up by CSS (image-rendering: pixelated).

import { el } from "../dom.js";

/** A canvas that draws C = 3 planes as one RGB picture. */
export class RgbPicture {
  /**
   * @param {{label: string}} options
   */
  constructor(container, options) {
    this.canvas = el("canvas", { className: "heatmap rgb-canvas", role: "img", "aria-label": options.label });
    this.context = this.canvas.getContext("2d");
    container.appendChild(this.canvas);
  }

  /**
   * Draw three H×W planes.
   * @param {number[][][]} planes 3 × H × W
   * @returns {number} the value drawn at full intensity
   */
  draw(planes) {
    if (planes.length !== 3) throw new Error(`RgbPicture needs 3 planes, got ${planes.length}`);
    const h = planes[0].length;
    const w = planes[0][0].length;
    this.canvas.width = w;
    this.canvas.height = h;
    const top = Math.max(1e-12, ...planes.flat(2));
    const image = this.context.createImageData(w, h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const at = 4 * (r * w + c);
        for (let p = 0; p < 3; p++) image.data[at + p] = Math.round((255 * Math.max(0, planes[p][r][c])) / top);
        image.data[at + 3] = 255;
      }
    }
    this.context.putImageData(image, 0, 0);
    return top;
  }
}
