// The Convolution-as-a-matrix page (tutorial Q3, "structured linear operator"): the shared
// convolution state (same X, K and settings as the Convolution page) as the matrix M from
// POST /api/conv2d/matrix, with Y from POST /api/conv2d. Clicking a row shows its window in X
// and its output cell in Y; clicking a weight of K outlines every entry that reuses it.

import { ApiError, postJSON } from "../api.js";
import { categorical } from "../colors.js";
import { formatCount, formatNumber, formatPercent, sub } from "../format.js";
import { loadState, saveState } from "../url_state.js";
import { MatrixView } from "../widgets/matrix_view.js";
import { NumberGrid } from "../widgets/number_grid.js";
import { CONV_DEFAULTS, CONV_KEY, cleanConvState, convRequest } from "./conv_state.js";

/**
 * The shared convolution state plus the selected row of M.
 * @param {any} s
 * @returns {(import("./conv_state.js").ConvState & {row: number}) | null}
 */
function cleanMatrixState(s) {
  const conv = cleanConvState(s);
  if (!conv) return null;
  return { ...conv, row: Number.isInteger(s.row) && s.row >= 0 ? s.row : 0 };
}

/** Wires the page: one instance per page load. */
class MatrixPage {
  constructor() {
    const { state } = loadState(CONV_KEY, { ...CONV_DEFAULTS, row: 0 }, cleanMatrixState);
    this.state = state;
    const { x, k } = state;
    const kw = k[0].length;
    const weights = k.length * kw;
    this.colorOf = (index) => categorical(index, weights);
    this.weightName = (index) => `K${sub(Math.floor(index / kw) + 1, (index % kw) + 1)}`;

    this.xGrid = new NumberGrid(document.getElementById("matrix-input"), {
      rows: x.length, cols: x[0].length, name: "X", label: "Input X", maxCellPx: 30, fitWidth: 300,
    });
    this.kGrid = new NumberGrid(document.getElementById("matrix-kernel"), {
      rows: k.length, cols: kw, name: "K", label: "Kernel K: select a weight to outline its entries in M",
      maxCellPx: 34, colorOf: (r, c) => this.colorOf(r * kw + c),
    });
    this.yGrid = new NumberGrid(document.getElementById("matrix-output"), {
      rows: 1, cols: 1, name: "Y", label: "Output Y", maxCellPx: 30, fitWidth: 300,
    });
    this.view = new MatrixView(document.getElementById("matrix-view"), {
      label: "The matrix M: one row per output, one column per input",
    });
    this.view.addEventListener("rowselect", (e) => this.showRow(e.detail.row));
    this.selectedWeight = null;
    this.kGrid.addEventListener("cellclick", (e) => {
      const index = e.detail.row * kw + e.detail.col;
      this.selectedWeight = this.selectedWeight === index ? null : index;
      this.view.highlightWeight(this.selectedWeight);
      this.kGrid.mark(this.selectedWeight === null ? [] : [[e.detail.row, e.detail.col]], "is-current");
    });

    this.xGrid.setValues(x);
    this.kGrid.setValues(k);
    document.getElementById("matrix-input-shape").textContent = `${x.length} × ${x[0].length}`;
    document.getElementById("matrix-kernel-shape").textContent = `${k.length} × ${kw}`;
    const flip = state.flip ? ", K flipped (true convolution)" : "";
    document.getElementById("matrix-settings").textContent =
      `stride ${state.stride}, padding ${state.padding} (${state.mode}), dilation ${state.dilation}${flip}`;
    saveState(CONV_KEY, state);
    this.load();
  }

  /** Fetch M and Y (in parallel) and draw them. */
  async load() {
    const body = convRequest(this.state);
    let m;
    let conv;
    try {
      [m, conv] = await Promise.all([postJSON("/api/conv2d/matrix", body), postJSON("/api/conv2d", body)]);
    } catch (error) {
      const text = error instanceof ApiError ? error.message : `could not reach the server (${error.message})`;
      document.getElementById("matrix-error").textContent =
        `This convolution cannot be shown as a matrix: ${text}. Change it on the Convolution page.`;
      return;
    }
    this.m = m;
    this.y = conv.output;
    this.yGrid.setValues(conv.output);
    const [hOut, wOut] = m.row_shape;
    const [h, w] = m.col_shape;
    document.getElementById("matrix-output-shape").textContent = `${hOut} × ${wOut}`;
    document.getElementById("matrix-shape").textContent =
      `M is ${m.figures.rows} × ${m.figures.cols} = (H_out·W_out) × (H·W) = (${hOut}·${wOut}) × (${h}·${w})`;
    const rowNames = [];
    for (let i = 0; i < hOut; i++) for (let j = 0; j < wOut; j++) rowNames.push(`Y${sub(i + 1, j + 1)}`);
    const colNames = [];
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) colNames.push(`X${sub(i + 1, j + 1)}`);
    this.rowNames = rowNames;
    this.colNames = colNames;
    this.view.render({
      matrix: m.matrix,
      weightIndex: m.weight_index,
      rowNames,
      colNames,
      colValues: this.state.x.flat(),
      rowValues: conv.output.flat(),
      colorOf: this.colorOf,
      weightName: this.weightName,
    });
    this.#figures(m);
    const row = Math.min(this.state.row, m.figures.rows - 1);
    this.view.selectRow(row, { emit: false });
    this.showRow(row);
  }

  /**
   * Show one row of M: its window in X, its output in Y, its dot product written out.
   * @param {number} row
   */
  showRow(row) {
    const m = this.m;
    if (!m) return;
    const [, wOut] = m.row_shape;
    const [, w] = m.col_shape;
    const cols = [];
    m.weight_index[row].forEach((index, j) => {
      if (index !== null) cols.push(j);
    });
    this.xGrid.mark(cols.map((j) => [Math.floor(j / w), j % w]), "is-window");
    this.yGrid.mark([[Math.floor(row / wOut), row % wOut]], "is-current");
    const x = this.state.x.flat();
    const terms = cols.map((j) => `${formatNumber(m.matrix[row][j], { parens: true })}·${formatNumber(x[j], { parens: true })}`);
    const value = this.y.flat()[row];
    const name = this.rowNames[row];
    const products = terms.length ? terms.join(" + ") : "0";
    document.getElementById("row-text").textContent =
      `row ${name}: ${products} = ${formatNumber(value)}  —  ${cols.length} of ${m.figures.cols} entries are non-zero`;
    this.state.row = row;
    saveState(CONV_KEY, this.state);
  }

  #figures(m) {
    const f = m.figures;
    const perRow = new Set(f.nonzeros_per_row);
    const set = (id, text) => (document.getElementById(id).textContent = text);
    set("fig-shape", `${formatCount(f.rows)} × ${formatCount(f.cols)} = ${formatCount(f.entries)} entries`);
    set("fig-structure", m.structure);
    set("fig-per-row", perRow.size === 1 ? `${f.max_nonzeros_per_row} in every row` : `${Math.min(...perRow)} to ${f.max_nonzeros_per_row}`);
    set("fig-sparsity", `${formatPercent(f.sparsity)} zeros (${formatCount(f.nonzeros)} non-zeros)`);
    set("fig-distinct", formatCount(f.distinct_parameters));
    set("fig-dense", `${formatCount(f.dense_parameters)} parameters`);
    set("fig-sharing", `${formatNumber(f.sharing_factor, { digits: 2 })}× on average`);
    const check = document.getElementById("matrix-check");
    check.className = m.check.matches ? "check-pass" : "check-fail";
    check.textContent = m.check.matches
      ? `✓ Check passed: M · vec(X) equals the convolution's output (max |difference| = ${m.check.max_abs_diff}).`
      : `✗ Check failed: M · vec(X) differs from the convolution by up to ${m.check.max_abs_diff}.`;
    const notes = [
      `A dense layer from ${formatCount(f.cols)} inputs to ${formatCount(f.rows)} outputs learns ` +
        `${formatCount(f.dense_parameters)} weights; the convolution has ${formatCount(f.distinct_parameters)}, ` +
        `each used in ${formatNumber(f.sharing_factor, { digits: 2 })} entries on average.`,
    ];
    if (m.merged_entries.length) {
      notes.push(`${m.merged_entries.length} entries hold a sum of weights: ${this.state.mode} padding copies input cells into the border.`);
    }
    document.getElementById("matrix-note").textContent = notes.join(" ");
  }
}

new MatrixPage();
