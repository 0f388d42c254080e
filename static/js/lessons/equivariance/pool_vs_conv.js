// Q5a on the Equivariance page: two different images, x and x̃, whose 2×2 max-pooled outputs are
// identical while their convolutions differ. x̃ is built from the arg-max the API returns for x;
// every map and every sentence comes from POST /api/pool and POST /api/conv2d.

import { postJSON } from "../../api.js";
import { el } from "../../dom.js";
import { formatCount, formatNumber } from "../../format.js";
import { Lab } from "../../lab.js";
import { compare, keepWinners, negate, perChannelKernel } from "./pool_compare.js";
import { NumberGrid } from "../../widgets/number_grid.js";

const INK = [17, 24, 39];
const PAPER = [255, 255, 255];
const imageColour = (r, c, v) => (v >= 0.75 ? INK : v > 0 ? [120, 120, 130] : PAPER);

/** The Q5a panel: call update(image, kernel) whenever either changes. */
export class PoolVsConv {
  /** @param {HTMLElement} root the panel holding the #q5a-* containers */
  constructor(root) {
    this.root = root;
    this.lab = new Lab();
    this.key = "";
    const $ = (id) => root.querySelector(`#${id}`);
    // up to six grids per line, one per 200 px of panel (a phone: one per line, readable cells)
    const across = Math.max(1, Math.min(6, Math.floor(root.clientWidth / 200)));
    const width = Math.max(120, Math.floor((root.clientWidth - (across - 1) * 16) / across));
    const grid = (id, name, label, colorOf = null) =>
      new NumberGrid($(id), { rows: 1, cols: 1, name, label, maxCellPx: across >= 6 ? 18 : 24, fitWidth: width, colorOf });
    this.grids = {
      x: grid("q5a-x", "x", "Image x", imageColour),
      xt: grid("q5a-xt", "x̃", "Image x̃: only the winner of each window kept", imageColour),
      poolX: grid("q5a-pool-x", "p", "maxpool(x)"),
      poolXt: grid("q5a-pool-xt", "p̃", "maxpool(x̃)"),
      convX: grid("q5a-conv-x", "c", "conv(x)"),
      convXt: grid("q5a-conv-xt", "c̃", "conv(x̃)"),
    };
    this.findings = $("q5a-findings");
    this.error = $("q5a-error");
  }

  /** Recompute for this image and kernel (nothing is sent when neither changed). */
  async update(image, kernel) {
    const key = JSON.stringify([image, kernel]);
    if (key === this.key) return;
    this.key = key;
    const answer = await this.lab.latest((signal) => this.#ask(image, kernel, signal), (error) => {
      this.error.textContent = `Could not compare pooling and convolution: ${error.message}`;
      this.key = "";
    });
    if (!answer) return;
    this.error.textContent = "";
    this.#render(answer, kernel);
  }

  async #ask(image, kernel, signal) {
    const pooled = await postJSON("/api/pool", { input: image, mode: "max", kernel_size: 2 }, { signal });
    const xt = keepWinners(image, pooled.argmax);
    const stack = [image, xt, negate(image)]; // (3, H, W)
    const [pools, convs] = await Promise.all([
      postJSON("/api/pool", { input: stack, mode: "max", kernel_size: 2 }, { signal }),
      postJSON("/api/conv2d", { input: stack, kernel: perChannelKernel(kernel, 3) }, { signal }),
    ]);
    return {
      x: image, xt,
      poolX: pools.output[0], poolXt: pools.output[1], poolNeg: pools.output[2],
      convX: convs.output[0], convXt: convs.output[1], convNeg: convs.output[2],
    };
  }

  #render(r, kernel) {
    const g = this.grids;
    g.x.setValues(r.x);
    g.xt.setValues(r.xt);
    const poolDomain = [-1, 1];
    g.poolX.setValues(r.poolX, { domain: poolDomain });
    g.poolXt.setValues(r.poolXt, { domain: poolDomain });
    const m = Math.max(1e-9, ...[...r.convX.flat(), ...r.convXt.flat()].map(Math.abs));
    g.convX.setValues(r.convX, { domain: [-m, m] });
    g.convXt.setValues(r.convXt, { domain: [-m, m] });
    const c = compare(r);
    const differing = [];
    r.convX.forEach((row, i) => row.forEach((v, j) => {
      if (Math.abs(v - r.convXt[i][j]) > 1e-9) differing.push([i, j]);
    }));
    g.convXt.mark(differing, "is-changed");
    const weights = kernel.length * kernel[0].length;
    const items = [];
    if (c.changedPixels === 0) {
      items.push(["info", "Information kept: here x̃ = x, because no 2 × 2 window holds more than one inked pixel. " +
        "Draw thicker strokes (or pick a preset) to see pooling lose information."]);
    } else {
      const same = c.poolDiff === 0 ? "identical (max |difference| = 0)" : `different (max |difference| = ${formatNumber(c.poolDiff)})`;
      items.push(["info", `Information kept: x and x̃ differ in ${formatCount(c.changedPixels)} pixels, yet maxpool(x) and ` +
        `maxpool(x̃) are ${same}: pooling kept one value per window and threw the other ${formatCount(c.changedPixels)} away. ` +
        (c.convCellsDiffering > 0
          ? `conv(x) and conv(x̃) differ in ${formatCount(c.convCellsDiffering)} of ${formatCount(c.convCells)} cells ` +
            `(max |difference| = ${formatNumber(c.convDiff)}): the convolution still sees them.`
          : "This kernel happens to give the same conv(x) and conv(x̃); try another edge detector.")]);
    }
    items.push(["linear", `Linear vs nonlinear: conv(−x) = −conv(x) to within ${formatNumber(c.convNegGap)} (linear); ` +
      (c.poolNegCells > 0
        ? `maxpool(−x) differs from −maxpool(x) in ${formatCount(c.poolNegCells)} windows (by up to ${formatNumber(c.poolNegGap)}): the max is not linear.`
        : "maxpool(−x) = −maxpool(x) for this image only because every window is all ink or all blank; the max is not linear in general.")]);
    items.push(["learned", `Learned vs fixed: the convolution has ${formatCount(weights)} weights (K, ${kernel.length} × ${kernel[0].length}), ` +
      "which a CNN learns from data; max pooling has no parameter at all, the same max in every network."]);
    this.findings.replaceChildren(...items.map(([kind, text]) => {
      return el("li", { "data-finding": kind, textContent: text });
    }));
  }
}
