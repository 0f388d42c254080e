// The Equivariance & pooling page (tutorial Q3c, Q5): a drawable image, an edge kernel, a
// cumulative shift (dx, dy), and the report of POST /api/equivariance: conv(x), conv(shift x),
// shift(conv x), their difference (zero away from the borders), then 2×2 pooling of both maps
// with arg-max and the pooled cells that kept their value. The browser only draws.

import { ApiError } from "../../api.js";
import { $, el } from "../../dom.js";
import { argmax, equivarianceExercise, poolWindow } from "../../exercise_views.js";
import { formatCount, formatNumber } from "../../format.js";
import { Lab } from "../../lab.js";
import { EDGE_PRESETS, IMAGE_PRESETS, imageOf } from "../../presets.js";
import { loadState, saveState } from "../../url_state.js";
import { GridEditor } from "../../widgets/grid_editor.js";
import { NumberGrid } from "../../widgets/number_grid.js";
import { PoolVsConv } from "./pool_vs_conv.js";

/** Whether any non-zero pixel lies on the outer row or column of an image. */
function touchesBorder(image) {
  const last = image.length - 1;
  return image.some((row, i) => row.some((v, j) => v !== 0 && (i === 0 || i === last || j === 0 || j === row.length - 1)));
}

const STATE_KEY = "convlab.equivariance";
const SIZE = 12;
const MAX_SIDE = 16; // an exercise's map may be another size (up to 16 × 16)
const MAX_SHIFT = SIZE - 1;
const DEBOUNCE_MS = 80;
const INK = [17, 24, 39];
const PAPER = [255, 255, 255];

/**
 * @typedef {object} EqState
 * @property {number[][]} image SIZE×SIZE, values in [0, 1]
 * @property {number[][]} kernel
 * @property {number} dx columns shifted right
 * @property {number} dy rows shifted down
 * @property {"max" | "avg"} pool
 * @property {number} stride convolution stride (1; an exercise may set 2, the shift steps by it)
 */

/** @type {EqState} */
const DEFAULTS = {
  image: imageOf(IMAGE_PRESETS[0]),
  kernel: EDGE_PRESETS[0].kernel,
  dx: 0,
  dy: 0,
  pool: "max",
  stride: 1,
};

/**
 * Accept a restored state only when every field is well-formed.
 * @returns {EqState | null}
 */
function cleanState(s) {
  const side = (n) => Number.isInteger(n) && n >= 2 && n <= MAX_SIDE;
  const okImage = Array.isArray(s.image) && side(s.image.length) && Array.isArray(s.image[0]) && side(s.image[0].length) &&
    s.image.every((r) => Array.isArray(r) && r.length === s.image[0].length && r.every((v) => typeof v === "number" && Number.isFinite(v)));
  const okKernel = Array.isArray(s.kernel) && s.kernel.length >= 1 && s.kernel.length <= 5 &&
    s.kernel.every((r) => Array.isArray(r) && r.length === s.kernel[0].length && r.length <= 5 &&
      r.every((v) => typeof v === "number" && Number.isFinite(v)));
  const okShift = [s.dx, s.dy].every((v) => Number.isInteger(v) && Math.abs(v) <= MAX_SHIFT);
  const stride = [1, 2, 3].includes(s.stride) ? s.stride : 1;
  if (!okImage || !okKernel || !okShift || !["max", "avg"].includes(s.pool)) return null;
  return { image: s.image, kernel: s.kernel, dx: s.dx, dy: s.dy, pool: s.pool, stride };
}

/** Wires the page: one instance per page load. */
class EquivariancePage {
  constructor() {
    this.state = loadState(STATE_KEY, DEFAULTS, cleanState).state;
    this.lab = new Lab({ delayMs: DEBOUNCE_MS });
    this.painting = null; // value being painted during a drag
    // up to four maps side by side (one per 230 px of panel, so a phone shows one map per line at
    // a readable size): width minus the flex gaps and each grid's padding, over the maps per line
    const mapsWidth = document.querySelector(".eq-maps").clientWidth;
    const across = Math.max(1, Math.min(4, Math.floor(mapsWidth / 230)));
    const mapWidth = Math.max(150, Math.floor((mapsWidth - (across - 1) * 16 - across * 8) / across));
    const widthOf = (id) => Math.max(150, $(id).clientWidth - 8);
    // ink on the image's own scale: a drawing is 0 … 1, an exercise's map may go up to 9
    const imageColour = (r, c, v) => {
      const t = v / Math.max(1, ...this.state.image.flat());
      return t >= 0.75 ? INK : t > 0 ? [120, 120, 130] : PAPER;
    };

    this.image = new NumberGrid($("image-grid"), {
      rows: SIZE, cols: SIZE, name: "x", label: "Image x: Space or click toggles a pixel",
      maxCellPx: 26, fitWidth: widthOf("image-grid"), colorOf: imageColour,
    });
    this.shifted = new NumberGrid($("shifted-grid"), {
      rows: SIZE, cols: SIZE, name: "x′", label: "The shifted image", maxCellPx: 26, fitWidth: widthOf("shifted-grid"), colorOf: imageColour,
    });
    const map = (id, name, label) => new NumberGrid($(id), {
      rows: 1, cols: 1, name, label, maxCellPx: 26, fitWidth: mapWidth,
    });
    this.conv = map("conv-grid", "c", "conv(x)");
    this.convShifted = map("conv-shifted-grid", "c′", "conv(shift(x))");
    this.shiftedConv = map("shifted-conv-grid", "s", "shift(conv(x))");
    this.difference = map("difference-grid", "d", "conv(shift(x)) − shift(conv(x))");
    this.poolBefore = map("pool-before-grid", "p", "pool(conv(x))");
    this.poolAfter = map("pool-after-grid", "p′", "pool(conv(shift(x)))");

    this.kernel = new GridEditor($("eq-kernel-editor"), {
      name: "K", label: "Kernel K", value: this.state.kernel, maxRows: 5, maxCols: 5, idPrefix: "eq-kernel", textBox: false,
    });
    this.kernel.addEventListener("change", (e) => {
      this.state.kernel = e.detail.matrix;
      this.#changed();
    });

    this.poolVsConv = new PoolVsConv($("q5a"));
    document.addEventListener("exercise:reveal", (e) => this.showExercise(e.detail));
    this.#wireImage();
    this.#wirePresets();
    this.#wireShift();
    this.#wirePool();
    this.image.setValues(this.state.image);
    this.#showShift();
    this.compute();
  }

  #wireImage() {
    const paint = (row, col) => {
      if (this.state.image[row][col] === this.painting) return;
      this.state.image[row][col] = this.painting;
      this.image.setValues(this.state.image);
      this.#changed();
    };
    this.image.addEventListener("cellpointerdown", (e) => {
      const { row, col } = e.detail;
      this.painting = this.state.image[row][col] >= 0.5 ? 0 : 1;
      paint(row, col);
    });
    this.image.addEventListener("cellenter", (e) => {
      if (this.painting !== null && e.detail.buttons && !e.detail.focus) paint(e.detail.row, e.detail.col);
    });
    window.addEventListener("pointerup", () => (this.painting = null));
    window.addEventListener("pointercancel", () => (this.painting = null));
    this.image.addEventListener("cellclick", (e) => {
      if (!e.detail.keyboard) return; // pointer clicks were handled on pointerdown
      const { row, col } = e.detail;
      this.painting = this.state.image[row][col] >= 0.5 ? 0 : 1;
      paint(row, col);
      this.painting = null;
      this.image.focusCell(row, col);
    });
  }

  #wirePresets() {
    const images = $("image-presets");
    for (const preset of IMAGE_PRESETS) {
      images.appendChild(this.#button(preset.name, preset.id, () => {
        this.state.image = imageOf(preset);
        this.state.stride = 1; // a preset leaves the exercise's stride
        this.image.setValues(this.state.image);
        this.#changed();
      }));
    }
    images.appendChild(this.#button("Clear", "clear", () => {
      this.state.image = Array.from({ length: SIZE }, () => Array(SIZE).fill(0));
      this.state.stride = 1; // a preset leaves the exercise's stride
      this.image.setValues(this.state.image);
      this.#changed();
    }));
    const kernels = $("edge-presets");
    for (const preset of EDGE_PRESETS) {
      const button = this.#button(preset.name, preset.id, () => {
        this.state.kernel = preset.kernel.map((r) => r.slice());
        this.state.stride = 1; // a preset leaves the exercise's stride
        this.kernel.setValue(this.state.kernel);
        this.#changed();
      });
      button.title = preset.description;
      kernels.appendChild(button);
    }
  }

  #button(text, id, onClick) {
    const button = el("button", { type: "button", textContent: text, "data-preset": id });
    button.addEventListener("click", onClick);
    return button;
  }

  #wireShift() {
    for (const button of document.querySelectorAll("#shift-pad button[data-dx]")) {
      button.addEventListener("click", () => this.shiftBy(Number(button.dataset.dx), Number(button.dataset.dy)));
    }
    $("shift-reset").addEventListener("click", () => {
      this.state.dx = 0;
      this.state.dy = 0;
      this.#showShift();
      this.#changed();
    });
    const keys = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    document.addEventListener("keydown", (e) => {
      const move = keys[e.key];
      if (!move || e.altKey || e.ctrlKey || e.metaKey) return;
      const target = /** @type {HTMLElement} */ (e.target);
      if (target.closest("input, select, textarea, .num-grid, [role='grid']")) return;
      e.preventDefault();
      this.shiftBy(move[0], move[1]);
    });
  }

  /** Shift the image by one more step (clamped so something stays visible). */
  shiftBy(ddx, ddy) {
    [ddx, ddy] = [ddx * this.state.stride, ddy * this.state.stride]; // the shift must be a multiple of it
    this.state.dx = Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, this.state.dx + ddx));
    this.state.dy = Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, this.state.dy + ddy));
    this.#showShift();
    this.#changed();
  }

  /**
   * After a Your-turn check of a shift or pooling exercise: load the exercise's X (and its
   * kernel, stride and shift) into this page's image, so the maps below show it; pooling
   * exercises use the kernel [1], so conv(x) = x and the pooled maps pool X itself. The asked
   * window, pooled cell or strongest responses are outlined once the maps are drawn.
   * @param {{id: string, inputs: any, shown?: object}} detail the "exercise:reveal" detail
   */
  showExercise(detail) {
    const { id, inputs } = detail;
    const loaded = equivarianceExercise(id, inputs, this.state);
    if (!loaded) return;
    Object.assign(this.state, loaded);
    this.image.setValues(this.state.image);
    this.kernel.setValue(this.state.kernel);
    this.#showShift();
    this.#showPoolMode();
    this.#changed();
    this.exercise = { id, inputs }; // after #changed, which forgets the last one
    const kernelWords = loaded.kernel === inputs.kernel ? "K = the exercise's feature" : "K = [1], so conv(x) = x";
    $("eq-exercise-note").textContent =
      `Showing the exercise: x is its ${loaded.image.length} × ${loaded.image[0].length} map, ${kernelWords}` +
      `${loaded.stride > 1 ? `, stride ${loaded.stride}` : ""}, shift dx = ${loaded.dx}, dy = ${loaded.dy}. ` +
      "Draw, pick a preset or shift to go on exploring.";
    detail.shown = {
      "feature-shift": { target: "evidence-title", text: "X, shifted, and the strongest response of conv(x) and of conv(shift(x)) outlined" },
      "pool-shift": { target: "pool-title", text: "X pooled before and after the shift, the changed values outlined" },
      "max-pool-value": { target: "evidence-title", text: "X with its 2 × 2 windows and the asked one outlined, then its pooled value" },
      "pooled-size": { target: "pool-title", text: "a map of this size and its pooled map, with the size formula" },
    }[id];
  }

  /** Outline what the revealed exercise asked about, on the maps just drawn. */
  #markExercise(r) {
    if (!this.exercise) return;
    const { id, inputs } = this.exercise;
    if (id === "feature-shift") {
      this.conv.mark([argmax(r.conv_output)], "is-current");
      this.convShifted.mark([argmax(r.conv_of_shifted)], "is-current");
    } else if (id === "max-pool-value") {
      this.poolBefore.mark([inputs.cell], "is-current");
      this.conv.mark(poolWindow(inputs.cell, inputs.kernel), "is-window");
    }
  }

  #showShift() {
    const { dx, dy } = this.state;
    const horizontal = dx === 0 ? "" : `${Math.abs(dx)} ${dx > 0 ? "right" : "left"}`;
    const vertical = dy === 0 ? "" : `${Math.abs(dy)} ${dy > 0 ? "down" : "up"}`;
    const words = [horizontal, vertical].filter(Boolean).join(", ") || "not shifted";
    const stride = this.state.stride > 1 ? `; stride ${this.state.stride}: the arrows move ${this.state.stride} pixels` : "";
    $("shift-readout").textContent = `dx = ${dx}, dy = ${dy} (${words})${stride}`;
    $("shifted-sub").textContent = `dx = ${dx}, dy = ${dy}`;
  }

  #wirePool() {
    for (const mode of ["max", "avg"]) {
      $(`pool-${mode}`).addEventListener("click", () => {
        this.state.pool = mode;
        this.#showPoolMode();
        this.#changed();
      });
    }
    this.#showPoolMode();
  }

  #showPoolMode() {
    for (const mode of ["max", "avg"]) {
      $(`pool-${mode}`).setAttribute("aria-pressed", String(this.state.pool === mode));
    }
    for (const el of document.querySelectorAll(".max-only")) el.hidden = this.state.pool !== "max";
    $("invariance-text").textContent = this.state.pool === "max"
      ? "a pooled value stays the same while the shift keeps its maximum inside the same 2 × 2 window; " +
        "it changes when a shift carries the maximum across a window border."
      : "a pooled value is the mean of its 2 × 2 window, so it stays the same only while the shift " +
        "leaves that window's sum unchanged; average pooling smooths small shifts but rarely ignores them.";
  }

  #changed() {
    this.exercise = null;
    $("eq-exercise-note").textContent = "";
    saveState(STATE_KEY, this.state);
    this.lab.later(() => this.compute());
  }

  /** Ask the API for the equivariance report (stale answers dropped) and draw it. */
  async compute() {
    const { image, kernel, dx, dy, pool, stride } = this.state;
    const body = { image, kernel, stride, dx, dy, pool: { mode: pool, kernel_size: 2 } };
    const answer = await this.lab.post("/api/equivariance", body, (e) => this.#showError(e));
    if (!answer) return;
    this.#clearError();
    this.#render(answer);
    this.poolVsConv.update(image, kernel); // Q5a: only asks again when x or K changed
  }

  #render(r) {
    this.shifted.setValues(r.shifted_image);
    // one colour scale for the three feature maps, so "the same numbers" look the same
    const m = Math.max(...[r.conv_output, r.conv_of_shifted, r.shifted_conv].map((g) => Math.max(...g.flat().map(Math.abs))));
    const domain = [-m, m];
    this.conv.setValues(r.conv_output, { domain });
    this.convShifted.setValues(r.conv_of_shifted, { domain });
    this.shiftedConv.setValues(r.shifted_conv, { domain });
    this.difference.setValues(r.difference, { domain });
    const outside = [];
    r.interior_mask.forEach((row, i) => row.forEach((inside, j) => {
      if (!inside) outside.push([i, j]);
    }));
    this.difference.mark(outside, "is-outside");
    this.shiftedConv.mark(outside, "is-outside");

    const interior = r.max_abs_diff_interior;
    const [sx, sy] = r.output_shift;
    $("equivariance-figures").textContent =
      `Output size ${r.formula.text}. The map moved by (${sx}, ${sy}) cells. ` +
      (interior === null
        ? "The shift is so large that no cell is free of border effects."
        : `Away from the borders (${formatCount(r.interior_cells)} cells; the dashed border cells excluded): ` +
          `max |difference| = ${formatNumber(interior)}. Over the whole map: ${formatNumber(r.max_abs_diff_total)}` +
          (r.max_abs_diff_total > 0
            ? " — the border cells differ because the shift pushed pixels out and pulled zeros in."
            : this.state.dx === 0 && this.state.dy === 0
              ? " — no shift yet: use the arrows to move the image."
              : touchesBorder(this.state.image) || touchesBorder(r.shifted_image)
                ? " — even the border cells agree here."
                : " — the shape stays clear of the edges, so even the border cells agree."));

    const p = r.pool;
    this.poolBefore.setValues(p.pooled_before, { domain });
    this.poolAfter.setValues(p.pooled_after, { domain });
    const kept = [];
    const changed = [];
    p.unchanged.forEach((row, i) => row.forEach((same, j) => (same ? kept : changed).push([i, j])));
    this.poolAfter.mark(kept, "is-kept");
    this.poolAfter.mark(changed, "is-changed");
    this.#markWindows(this.conv, r.conv_output);
    this.#markWindows(this.convShifted, r.conv_of_shifted);
    const winners = (argmax, pooled) => (argmax || []).flatMap((row, i) => row.filter((_, j) => pooled[i][j] !== 0));
    this.conv.mark(winners(p.argmax_before, p.pooled_before), "is-marked");
    this.convShifted.mark(winners(p.argmax_after, p.pooled_after), "is-marked");
    $("pool-formula").textContent = p.formula.text;
    const total = p.unchanged_count + p.changed_count;
    $("pool-figures").textContent =
      `${p.unchanged_count} of ${total} pooled values kept their value after the shift by (${this.state.dx}, ${this.state.dy}); ` +
      `${p.changed_count} changed.`;
    this.#markExercise(r);
  }

  #markWindows(grid, values) {
    const rows = values.length;
    const cols = values[0].length;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const cell = grid.cell(i, j);
        cell.classList.toggle("win-right", j % 2 === 1 && j < cols - 1);
        cell.classList.toggle("win-bottom", i % 2 === 1 && i < rows - 1);
      }
    }
  }

  #showError(error) {
    const message = error instanceof ApiError ? error.message : `could not reach the server (${error.message})`;
    // the kernel is the only thing a student can make invalid here
    if (error instanceof ApiError && (!error.field || error.field[0] === "kernel")) this.kernel.showError(message);
    else $("image-error").textContent = message;
    for (const id of ["conv-grid", "conv-shifted-grid", "shifted-conv-grid", "difference-grid", "pool-before-grid", "pool-after-grid"]) {
      $(id).classList.add("stale");
    }
  }

  #clearError() {
    this.kernel.showError("");
    $("image-error").textContent = "";
    for (const el of document.querySelectorAll(".eq-maps .stale")) el.classList.remove("stale");
  }
}

new EquivariancePage();
