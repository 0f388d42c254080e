// One run of an experiment, as it trains and once it is done: the progress bar and status,
// the loss and test-accuracy curves per epoch, the first-layer filters after each epoch, and
// the result (table, the API's summary sentence, accuracy against shift or ‖W‖ over the steps,
// the generated tasks' examples). Owns the markup under its root (ids as in experiments.html);
// the numbers come from the progress events and the result (experiment_views.js).

import { el, tableRow } from "../dom.js";
import { describeSeries, epochTicks, normSeries, percent, resultSeries, resultTable, shiftAxis, shiftSeries } from "../experiment_views.js";
import { formatCount } from "../format.js";
import { FilterGrid } from "./filter_grid.js";
import { Heatmap } from "./heatmap.js";
import { PlotView } from "./line_plot.js";

/**
 * @typedef {object} RunState what RunView draws
 * @property {string} id the experiment
 * @property {string} status one line of where the run is
 * @property {string} statusState "idle" | "queued" | "running" | "done" | "failed"
 * @property {string} error what went wrong ("" if nothing)
 * @property {import("../experiment_views.js").RunProgress | null} progress
 * @property {any} result the result JSON, or null
 */

/** The live view and the result of a run. */
export class RunView extends PlotView {
  /** @param {HTMLElement} root the element holding the run markup */
  constructor(root) {
    super(root);
    /** @type {string | null} what the filter strips show now (redrawn only when it changes) */
    this.filtersKey = null;
  }

  /**
   * Draw a run.
   * @param {RunState} run
   * @param {number} epochs the epoch axis length when nothing has arrived yet (the settings')
   */
  show(run, epochs) {
    this.el("run-status").textContent = run.status;
    this.el("run-status").dataset.state = run.statusState;
    this.el("run-error").textContent = run.error;
    this.el("run-progress").value = run.result ? 1 : run.progress ? run.progress.fraction : 0;

    const source = run.result ?? run.progress;
    const last = Math.max(1, run.result?.config.epochs ?? run.progress?.last?.epochs ?? epochs);
    const axis = { xDomain: [0, last], xTicks: epochTicks(last) };
    const pick = (what) => (run.result ? resultSeries(run.result, what) : run.progress ? run.progress.series(what) : []);
    const loss = pick("loss");
    const accuracy = pick("test");
    this.plot("live-loss", { label: "Training loss per epoch", xLabel: "epoch", yLabel: "loss" })
      .draw(loss, { ...axis, summary: source ? describeSeries(loss, "epoch") : "no run yet" });
    // before any epoch the accuracy axis is the percent scale it is labelled with, not 0 … 1
    this.plot("live-accuracy", { label: "Test accuracy after each epoch", xLabel: "epoch", yLabel: "test accuracy (%)" })
      .draw(accuracy, { ...axis, ...(accuracy.length ? {} : { yDomain: [0, 100] }), summary: source ? describeSeries(accuracy, "epoch") : "no run yet" });
    this.#filters(run);
    this.#result(run.result);
  }

  /** Say whether the settings on the page still are the shown result's. */
  markSettingsChanged(changed) {
    const meta = this.el("result-meta");
    meta.querySelector(".settings-changed")?.remove();
    if (!changed) return;
    meta.append(el("strong", { className: "settings-changed", textContent: " · the settings above have changed since: press Train to run them" }));
  }

  #filters(run) {
    const block = this.el("filters-block");
    const models = run.result
      ? run.result.models.filter((m) => m.filters).map((m) => ({ key: m.name, label: m.label, what: m.filters.what, epochs: m.filters.epochs }))
      : run.progress
        ? [...run.progress.runs.values()].filter((r) => r.filters.length).map((r) => ({ key: r.model, label: r.label, what: "", epochs: r.filters }))
        : [];
    block.hidden = models.length === 0;
    if (block.hidden) {
      this.el("filters").replaceChildren();
      this.filtersKey = null;
      return;
    }
    // progress redraws often; the filters change only at the end of an epoch
    const key = `${run.id}|${run.result ? "result" : "live"}|${models.map((m) => `${m.key}:${m.epochs.length}`).join(",")}`;
    if (key === this.filtersKey) return;
    this.filtersKey = key;
    this.el("filters").replaceChildren(...models.map((m) => {
      const wrap = el("div", { className: "filters-model", "data-model": m.key }, el("h4", { textContent: m.what ? `${m.label}: ${m.what}` : m.label }));
      const grid = new FilterGrid(wrap, { label: `${m.label} first-layer filters`, maxFilters: 8 });
      m.epochs.forEach((filters, epoch) => {
        if (filters) grid.setEpoch(epoch, filters);
      });
      return wrap;
    }));
  }

  #result(result) {
    this.el("result-block").hidden = !result;
    if (!result) return;
    const cfg = result.config;
    this.el("result-meta").textContent = [
      `N = ${formatCount(cfg.train_size)}, ${cfg.epochs} ${cfg.epochs === 1 ? "epoch" : "epochs"}, seed ${cfg.seed}`,
      result.cached ? "from the server's cache (the same numbers as training it again)" : "trained just now",
      result.data?.description,
    ].filter(Boolean).join(" · ");
    const table = resultTable(result);
    const element = this.el("result-table");
    element.tHead.replaceChildren(tableRow(table.columns, "th"));
    element.tBodies[0].replaceChildren(...table.rows.map((r) => {
      const tr = tableRow(r.cells);
      tr.dataset.key = r.key;
      // a phone stacks each row into label: value lines (CSS), so no column hides off screen
      [...tr.cells].forEach((cell, i) => { cell.dataset.label = table.columns[i]; });
      return tr;
    }));
    for (const tr of element.rows) {
      [...tr.cells].slice(0, table.textColumns).forEach((cell) => cell.classList.add("left"));
    }
    const summary = this.el("result-summary");
    summary.textContent = result.summary;
    summary.dataset.claim = String(result.claim_holds);

    this.el("result-shift-figure").hidden = result.id !== "generalization";
    if (result.id === "generalization") {
      const shifts = shiftSeries(result);
      this.plot("result-shift", { label: "Accuracy against the horizontal shift of the test digits (this run)", xLabel: "shift dx (px)", yLabel: "accuracy (%)" })
        .draw(shifts, { ...shiftAxis(shifts), summary: describeSeries(shifts, "dx") });
    }
    this.el("result-norm-figure").hidden = result.id !== "weight-decay";
    if (result.id === "weight-decay") {
      const norms = normSeries(result);
      this.plot("result-norm", { label: "Weight norm over the SGD steps, per λ", xLabel: "SGD step", yLabel: "‖W‖" })
        .draw(norms, { summary: describeSeries(norms, "step") });
    }
    this.#tasks(result);
  }

  /** The limits tasks: what each asks, and a few of its generated examples. */
  #tasks(result) {
    const box = this.el("limits-tasks");
    box.hidden = !(result.id === "limits" && result.tasks?.length);
    if (box.hidden) return;
    box.replaceChildren(...result.tasks.map((task) => {
      const examples = el("div", { className: "task-examples" });
      for (const [i, example] of (task.examples || []).entries()) {
        const figure = el("figure");
        const label = `${task.title}, example ${i + 1}, label ${example.label}`;
        const map = new Heatmap(figure, { rows: example.image.length, cols: example.image[0].length, domain: [0, 1], label, displayWidth: 56 });
        map.draw(example.image);
        figure.append(el("figcaption", { textContent: `label ${example.label}` }));
        examples.append(figure);
      }
      return el("div", { className: "limits-task" }, el("h4", { textContent: task.title }), el("p", { textContent: `${task.description} Chance: ${percent(task.chance)}.` }), examples);
    }));
  }
}
