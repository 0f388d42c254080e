// The Convolution-as-a-matrix page (tutorial Q3, "structured linear operator"): the shared
// convolution state (same X, K and settings as the Convolution page, one channel or the channels
// layer) as the matrix M from POST /api/conv2d/matrix, with Y from POST /api/conv2d; or its
// transpose Mᵀ from POST /api/conv2d/matrix/transpose, which maps the upstream gradient G to
// ∂L/∂X. Clicking a row shows its window in X and its output cell in Y; clicking a weight of K
// outlines every entry that reuses it. With channels, M is a C_out × C_in grid of blocks, block
// (o, c) holding the slice K[o, c].

import { ApiError, postJSON } from "../../api.js";
import { planeName } from "../../channels.js";
import { css, gradientCss } from "../../colors.js";
import { $, el } from "../../dom.js";
import { convExercise, convSide } from "../../exercise_views.js";
import { formatCount, formatNumber, formatPercent, sub } from "../../format.js";
import { weightBound, weightColor, weightDomain } from "../../kernel_palette.js";
import { loadState, saveState } from "../../url_state.js";
import { MatrixView } from "../../widgets/matrix_view.js";
import { NumberGrid } from "../../widgets/number_grid.js";
import { CONV_DEFAULTS, CONV_KEY, cleanConvState, viewRequest } from "../../conv_state.js";


/**
 * The shared convolution state plus the selected row of M and whether Mᵀ is shown.
 * @returns {(import("../../conv_state.js").ConvState & {row: number, mt: boolean}) | null}
 */
function cleanMatrixState(s) {
  const conv = cleanConvState(s);
  if (!conv) return null;
  return { ...conv, row: Number.isInteger(s.row) && s.row >= 0 ? s.row : 0, mt: s.mt === true };
}

/**
 * The convolution shown, as lists of planes, slices and names, the same for one channel and
 * for a layer with channels.
 * @param {ReturnType<typeof cleanMatrixState>} state
 */
function shownLayer(state) {
  if (state.view !== "channels") {
    return { channels: false, x: [state.x], k: [[state.k]], xName: () => "X", kName: () => "K", yName: () => "Y" };
  }
  const cin = state.ch.x.length;
  return {
    channels: true,
    x: state.ch.x,
    k: state.ch.k,
    xName: (c) => `X[${planeName(c, cin)}]`,
    kName: (o, c) => `K[${o + 1},${planeName(c, cin)}]`,
    yName: (o) => `Y[${o + 1}]`,
  };
}

/** Wires the page: one instance per page load. */
class MatrixPage {
  constructor() {
    const { state } = loadState(CONV_KEY, { ...CONV_DEFAULTS, row: 0, mt: false }, cleanMatrixState);
    this.state = state;
    this.view = new MatrixView($("matrix-view"), { label: "The matrix M: one row per output, one column per input" });
    this.view.addEventListener("rowselect", (e) => this.showRow(e.detail.row));
    for (const button of document.querySelectorAll("[data-matrix-view]")) {
      button.addEventListener("click", () => {
        const mt = button.dataset.matrixView === "mt";
        if (mt === this.state.mt) return;
        this.state.mt = mt;
        this.state.row = 0;
        saveState(CONV_KEY, this.state);
        this.load();
      });
    }
    document.addEventListener("exercise:reveal", (e) => this.showExercise(e.detail));
    this.#build();
    saveState(CONV_KEY, state);
    this.load();
  }

  /** The grids of X, K and Y for the convolution in the state (again after an exercise). */
  #build() {
    const state = this.state;
    for (const id of ["matrix-input", "matrix-kernel", "matrix-output"]) $(id).replaceChildren();
    const layer = shownLayer(state);
    this.layer = layer;
    const cin = layer.x.length;
    const cout = layer.k.length;
    const [h, w] = [layer.x[0].length, layer.x[0][0].length];
    const [kh, kw] = [layer.k[0][0].length, layer.k[0][0][0].length];
    this.dims = { cin, cout, h, w, kh, kw };
    const taps = kh * kw;
    // colour = the weight's value on the kernel scale shared with the Convolution page, so an
    // entry of M has the colour of the weight of K it holds
    const bound = weightBound(layer.k);
    this.colorOf = (value) => weightColor(value, bound);
    this.#legend(bound);
    this.weightName = (index) => {
      const slice = Math.floor(index / taps);
      const [o, c] = [Math.floor(slice / cin), slice % cin];
      const t = index % taps;
      return `${layer.kName(o, c)}${sub(Math.floor(t / kw) + 1, (t % kw) + 1)}`;
    };

    this.xGrids = layer.x.map((plane, c) => this.#grid("matrix-input", {
      rows: h, cols: w, name: layer.xName(c), label: `Input ${layer.xName(c)}`, maxCellPx: 30, fitWidth: 300,
    }, layer.channels ? layer.xName(c) : null));
    this.kGrids = [];
    layer.k.forEach((filter, o) => filter.forEach((slice, c) => {
      const base = (o * cin + c) * taps;
      const grid = this.#grid("matrix-kernel", {
        rows: kh, cols: kw, name: layer.kName(o, c), label: `Kernel ${layer.kName(o, c)}: select a weight to outline its entries in M`,
        maxCellPx: layer.channels ? 28 : 34, domain: weightDomain(layer.k),
      }, layer.channels ? layer.kName(o, c) : null);
      grid.setValues(slice);
      grid.addEventListener("cellclick", (e) => this.#selectWeight(base + e.detail.row * kw + e.detail.col, grid, e.detail));
      this.kGrids.push(grid);
    }));
    this.yGrids = Array.from({ length: cout }, (_, o) => this.#grid("matrix-output", {
      rows: 1, cols: 1, name: layer.yName(o), label: `Output ${layer.yName(o)}`, maxCellPx: 30, fitWidth: 300,
    }, layer.channels ? layer.yName(o) : null));
    this.selectedWeight = null;
    this.view.highlightWeight(null);

    this.xGrids.forEach((g, c) => g.setValues(layer.x[c]));
    $("matrix-input-shape").textContent = layer.channels ? `${cin} × ${h} × ${w}` : `${h} × ${w}`;
    $("matrix-kernel-shape").textContent = layer.channels ? `${cout} × ${cin} × ${kh} × ${kw}` : `${kh} × ${kw}`;
    $("matrix-settings").textContent = layer.channels
      ? `channels layer: stride ${state.ch.stride}, zero padding ${state.ch.padding}, bias ${state.ch.b.map((b) => formatNumber(b)).join(", ")}`
      : `stride ${state.stride}, padding ${state.padding} (${state.mode}), dilation ${state.dilation}${state.flip ? ", K flipped (true convolution)" : ""}`;
  }

  /**
   * After a Your-turn check of weight-sharing: the exercise's sizes, channels, stride and padding
   * (X and K resized, the student's numbers kept where they fit), shown as M; then the asked
   * output's row (its window in X: the inputs it depends on), or the first weight of K with
   * every entry of M that reuses it and every output it makes.
   * @param {{id: string, inputs: any, shown?: object}} detail the "exercise:reveal" detail
   */
  async showExercise(detail) {
    const { id, inputs } = detail;
    const loaded = convExercise(id, inputs, this.state);
    if (!loaded) return;
    const side = convSide(inputs.size, inputs.kernel, inputs.stride, inputs.padding);
    const row = inputs.ask === "inputs_per_output" ? inputs.cell[0] * side + inputs.cell[1] : 0;
    Object.assign(this.state, loaded, { mt: false, row });
    detail.shown = inputs.ask === "inputs_per_output"
      ? { target: "mx-title", text: "M for these sizes, the asked output's row selected: its window in X is what it depends on" }
      : { target: "mx-title", text: "M for these sizes, the first weight of K marked wherever M reuses it, and the outputs it makes" };
    this.#build();
    saveState(CONV_KEY, this.state);
    await this.load();
    if (inputs.ask === "inputs_per_output") return; // load() selected the row and showed it
    const grid = this.kGrids[0];
    this.#selectWeight(0, grid, { row: 0, col: 0 });
    if (inputs.ask === "filter_weights") {
      this.kGrids.forEach((g) => g.mark(allCells(this.dims.kh, this.dims.kw), "is-window"));
    } else {
      this.yGrids.forEach((g) => g.mark(allCells(side, side), "is-influenced"));
    }
  }

  #grid(containerId, options, caption) {
    const container = $(containerId);
    let parent = container;
    if (caption) {
      parent = el("figure", { className: "matrix-plane" }, el("figcaption", { textContent: caption }));
      container.appendChild(parent);
    }
    return new NumberGrid(parent, options);
  }

  /**
   * The colour key of M and K: the weight scale, and the two kinds of zero.
   * @param {number} bound max |weight|
   */
  #legend(bound) {
    const bar = $("matrix-legend-bar");
    bar.style.background = gradientCss("diverging");
    $("matrix-legend-lo").textContent = formatNumber(-bound);
    $("matrix-legend-hi").textContent = formatNumber(bound);
    const zero = $("matrix-legend-zero");
    const rgb = weightColor(0, bound);
    zero.style.background = css(rgb);
  }

  #selectWeight(index, grid, cell) {
    this.selectedWeight = this.selectedWeight === index ? null : index;
    this.view.highlightWeight(this.selectedWeight);
    for (const g of this.kGrids) g.clearMark("is-current");
    if (this.selectedWeight !== null) grid.mark([[cell.row, cell.col]], "is-current");
  }

  /** Fetch M (or Mᵀ) and Y (in parallel) and draw them. */
  async load() {
    const mt = this.state.mt;
    for (const button of document.querySelectorAll("[data-matrix-view]")) {
      button.setAttribute("aria-pressed", String((button.dataset.matrixView === "mt") === mt));
    }
    const body = viewRequest(this.state);
    let m;
    let conv;
    try {
      [m, conv] = await Promise.all([
        postJSON(mt ? "/api/conv2d/matrix/transpose" : "/api/conv2d/matrix", body),
        postJSON("/api/conv2d", body),
      ]);
    } catch (error) {
      const text = error instanceof ApiError ? error.message : `could not reach the server (${error.message})`;
      $("matrix-error").textContent = `This convolution cannot be shown as a matrix: ${text}. Change it on the Convolution page.`;
      return;
    }
    if (mt !== this.state.mt) return;
    $("matrix-error").textContent = "";
    this.m = m;
    const { cin, cout, h, w } = this.dims;
    const maps = this.layer.channels ? conv.output : [conv.output];
    this.y = maps;
    this.yGrids.forEach((g, o) => g.setValues(maps[o]));
    const [hOut, wOut] = [maps[0].length, maps[0][0].length];
    $("matrix-output-shape").textContent = this.layer.channels ? `${cout} × ${hOut} × ${wOut}` : `${hOut} × ${wOut}`;
    const outNames = [];
    for (let o = 0; o < cout; o++) for (let i = 0; i < hOut; i++) for (let j = 0; j < wOut; j++) outNames.push(`${this.layer.yName(o)}${sub(i + 1, j + 1)}`);
    const inNames = [];
    for (let c = 0; c < cin; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) inNames.push(`${this.layer.xName(c)}${sub(i + 1, j + 1)}`);
    this.outSize = hOut * wOut;
    this.inSize = h * w;
    const outBlocks = Array.from({ length: cout }, (_, o) => this.layer.yName(o));
    const inBlocks = Array.from({ length: cin }, (_, c) => this.layer.xName(c));
    const blocks = this.layer.channels
      ? (mt ? { rows: this.inSize, cols: this.outSize, rowLabels: inBlocks, colLabels: outBlocks }
        : { rows: this.outSize, cols: this.inSize, rowLabels: outBlocks, colLabels: inBlocks })
      : null;
    if (mt) {
      this.rowNames = inNames.map((n) => `∂L/∂${n}`);
      this.view.render({
        matrix: m.matrix, weightIndex: m.weight_index, rowNames: this.rowNames, colNames: outNames,
        colValues: flat(m.grad_output), rowValues: flat(m.grad_input), colorOf: this.colorOf, weightName: this.weightName,
        colVectorLabel: "vec(G)", rowVectorLabel: "∂L/∂X", blocks,
      });
      $("matrix-shape").textContent =
        `Mᵀ is ${m.figures.rows} × ${m.figures.cols}: one row per input, one column per output; G = all ones (L = ΣY; other G on the Backward page)`;
      $("mx-title-text").textContent = "Mᵀ · vec(G) = vec(∂L/∂X)";
    } else {
      this.rowNames = outNames;
      this.view.render({
        matrix: m.matrix, weightIndex: m.weight_index, rowNames: outNames, colNames: inNames,
        colValues: this.layer.x.flat(2), rowValues: maps.flat(2), colorOf: this.colorOf, weightName: this.weightName,
        blocks,
      });
      $("matrix-shape").textContent = this.layer.channels
        ? `M is ${m.figures.rows} × ${m.figures.cols} = (C_out·H_out·W_out) × (C_in·H·W) = (${cout}·${hOut}·${wOut}) × (${cin}·${h}·${w})`
        : `M is ${m.figures.rows} × ${m.figures.cols} = (H_out·W_out) × (H·W) = (${hOut}·${wOut}) × (${h}·${w})`;
      $("mx-title-text").textContent = "M · vec(X) = vec(Y)";
    }
    this.#blocks(mt, hOut, wOut);
    this.#figures(m, mt);
    const row = Math.min(this.state.row, m.figures.rows - 1);
    this.view.selectRow(row, { emit: false });
    this.showRow(row);
  }

  #blocks(mt, hOut, wOut) {
    const box = $("matrix-blocks");
    box.hidden = !this.layer.channels;
    if (!this.layer.channels) return;
    const { cin, cout } = this.dims;
    const [outer, inner] = mt ? [cin, cout] : [cout, cin];
    const table = el("table", { className: "block-map", "aria-label": `The ${outer} × ${inner} blocks of ${mt ? "Mᵀ" : "M"}` });
    const head = table.createTHead().insertRow();
    head.appendChild(th(""));
    for (let b = 0; b < inner; b++) head.appendChild(th(mt ? this.layer.yName(b) : this.layer.xName(b), "col"));
    const body = table.createTBody();
    for (let a = 0; a < outer; a++) {
      const tr = body.insertRow();
      tr.appendChild(th(mt ? `∂L/∂${this.layer.xName(a)}` : this.layer.yName(a), "row"));
      for (let b = 0; b < inner; b++) {
        const [o, c] = mt ? [b, a] : [a, b];
        const td = tr.insertCell();
        td.textContent = mt ? `${this.layer.kName(o, c)}ᵀ` : this.layer.kName(o, c);
      }
    }
    const [rows, cols] = mt ? [this.inSize, this.outSize] : [this.outSize, this.inSize];
    const note = el("p", { className: "panel-note" });
    note.textContent = mt
      ? `Mᵀ is a ${cin} × ${cout} grid of blocks, each ${rows} × ${cols}: block (${this.layer.xName(0)}, ${this.layer.yName(0)}) is the transpose of ` +
        `the block of ${this.layer.kName(0, 0)}, so ∂L/∂X[c] sums, over every filter o, G[o] sent back through K[o, c].`
      : `M is a ${cout} × ${cin} grid of blocks, each ${rows} × ${cols} = (H_out·W_out) × (H·W) = (${hOut}·${wOut}) × (${this.dims.h}·${this.dims.w}): ` +
        `block (o, c) is the single-channel matrix of the slice K[o, c], and row block o adds its ${cin} blocks, as Y[o] adds its ${cin} parts.`;
    box.replaceChildren(table, note);
  }

  /**
   * Show one row: of M, its window in X and its output in Y, its dot product written out; of Mᵀ,
   * the outputs that read the input cell and the gradient it collects from them.
   */
  showRow(row) {
    const m = this.m;
    if (!m) return;
    const cols = [];
    m.weight_index[row].forEach((index, j) => {
      if (index !== null) cols.push(j);
    });
    for (const g of [...this.xGrids, ...this.yGrids]) for (const cls of ["is-window", "is-current", "is-influenced"]) g.clearMark(cls);
    const { w } = this.dims;
    const [, wOut] = [this.y[0].length, this.y[0][0].length];
    const inCell = (j) => [Math.floor(j / this.inSize), Math.floor((j % this.inSize) / w), (j % this.inSize) % w];
    const outCell = (j) => [Math.floor(j / this.outSize), Math.floor((j % this.outSize) / wOut), (j % this.outSize) % wOut];
    const markAll = (grids, cells, cls) => grids.forEach((g, p) => g.mark(cells.filter((c) => c[0] === p).map((c) => [c[1], c[2]]), cls));
    let text;
    if (this.state.mt) {
      const [c, r, q] = inCell(row);
      this.xGrids[c].mark([[r, q]], "is-current");
      markAll(this.yGrids, cols.map(outCell), "is-influenced");
      const g = flat(m.grad_output);
      const terms = cols.map((j) => `${formatNumber(m.matrix[row][j], { parens: true })}·${formatNumber(g[j], { parens: true })}`);
      const value = flat(m.grad_input)[row];
      text = `row ${this.rowNames[row]}: ${terms.length ? terms.join(" + ") : "0"} = ${formatNumber(value)}  —  ` +
        `${cols.length} output${cols.length === 1 ? " reads" : "s read"} this input (the entries of column ${this.colNamesOfM(row)} of M that hold a weight)`;
    } else {
      const [o, i, j] = outCell(row);
      this.yGrids[o].mark([[i, j]], "is-current");
      markAll(this.xGrids, cols.map(inCell), "is-window");
      const x = this.layer.x.flat(2);
      const terms = cols.map((jj) => `${formatNumber(m.matrix[row][jj], { parens: true })}·${formatNumber(x[jj], { parens: true })}`);
      const value = this.y.flat(2)[row];
      const bias = this.layer.channels ? ` + ${formatNumber(this.state.ch.b[o], { parens: true })} (bias)` : "";
      text = `row ${this.rowNames[row]}: ${terms.length ? terms.join(" + ") : "0"}${bias} = ${formatNumber(value)}  —  ` +
        `${cols.length} of ${m.figures.cols} entries hold a weight`;
    }
    $("row-text").textContent = text;
    this.state.row = row;
    saveState(CONV_KEY, this.state);
  }

  colNamesOfM(row) {
    return this.rowNames[row].replace(/^∂L\/∂/, "");
  }

  #figures(m, mt) {
    const f = m.figures;
    const perRow = new Set(f.nonzeros_per_row);
    const set = (id, text) => ($(id).textContent = text);
    set("fig-shape", `${formatCount(f.rows)} × ${formatCount(f.cols)} = ${formatCount(f.entries)} entries`);
    set("fig-structure", m.structure);
    set("fig-per-row", perRow.size === 1 ? `${f.max_nonzeros_per_row} in every row` : `${Math.min(...perRow)} to ${f.max_nonzeros_per_row}`);
    set("fig-sparsity", `${formatPercent(f.sparsity)} structural zeros (${formatCount(f.nonzeros)} entries hold a weight)`);
    set("fig-distinct", formatCount(f.distinct_parameters));
    set("fig-dense", `${formatCount(f.dense_parameters)} parameters`);
    set("fig-sharing", `${formatNumber(f.sharing_factor, { digits: 2 })}× on average`);
    const check = $("matrix-check");
    const checks = [];
    if (mt) {
      const g = m.gradient_check;
      checks.push(g.matches
        ? `✓ Check passed: Mᵀ · vec(G) equals ∂L/∂X from the backward pass (max |difference| = ${g.max_abs_diff}).`
        : `✗ Check failed: Mᵀ · vec(G) differs from ∂L/∂X by up to ${g.max_abs_diff}.`);
      const t = m.transpose_check;
      checks.push(!t.applicable ? t.note : t.matches
        ? `✓ Mᵀ · vec(Y) equals the transposed convolution of Y (output_padding ${t.output_padding.join(" × ")}; max |difference| = ${t.max_abs_diff}).`
        : `✗ Mᵀ · vec(Y) differs from the transposed convolution by up to ${t.max_abs_diff}.`);
      check.className = g.matches && (!t.applicable || t.matches) ? "check-pass" : "check-fail";
    } else {
      checks.push(m.check.matches
        ? `✓ Check passed: M · vec(X) equals the convolution's output (max |difference| = ${m.check.max_abs_diff}).`
        : `✗ Check failed: M · vec(X) differs from the convolution by up to ${m.check.max_abs_diff}.`);
      check.className = m.check.matches ? "check-pass" : "check-fail";
    }
    check.textContent = checks.join(" ");
    const notes = [
      mt
        ? `Mᵀ sends the ${formatCount(f.cols)} upstream gradients back to the ${formatCount(f.rows)} inputs with the same ` +
          `${formatCount(f.distinct_parameters)} weights: row r lists the outputs that read input r and the weight each used.`
        : `A dense layer from ${formatCount(f.cols)} inputs to ${formatCount(f.rows)} outputs learns ` +
          `${formatCount(f.dense_parameters)} weights; the convolution has ${formatCount(f.distinct_parameters)}, ` +
          `each used in ${formatNumber(f.sharing_factor, { digits: 2 })} entries on average.`,
    ];
    if (m.merged_entries.length) {
      notes.push(`${m.merged_entries.length} entries hold a sum of weights: ${this.state.mode} padding copies input cells into the border.`);
    }
    $("matrix-note").textContent = notes.join(" ");
  }
}

/** Every cell of a rows×cols grid. */
function allCells(rows, cols) {
  return Array.from({ length: rows * cols }, (_, n) => [Math.floor(n / cols), n % cols]);
}

function flat(a) {
  return Array.isArray(a) ? a.flat(Infinity) : [a];
}

function th(text, scope) {
  return el("th", scope ? { scope, textContent: text } : { textContent: text });
}

new MatrixPage();
