// Experiments lesson (Q1, Q6c–d): the shipped reference sweep of each experiment
// (GET /api/experiments), then a run the student starts (POST /api/experiments/{id}/runs,
// streamed): predict, choose the settings, watch the curves and filters, read the table and
// the API's one-sentence summary. State in the URL: the tab, each experiment's settings, the
// prediction, and the config of the last run, which a reload asks for again (the server's
// cache answers at once). Every number comes from the API.

import { getJSON } from "../api.js";
import { cleanConfig, configFields } from "../config_schema.js";
import { runExperiment } from "../experiment_runs.js";
import {
  generalizationReference,
  lambdaText,
  limitsReference,
  measuredAnswer,
  modelName,
  normSeries,
  percent,
  predictionQuestion,
  resultSeries,
  resultTable,
  revealText,
  RunProgress,
  shiftSeries,
  weightDecayReference,
} from "../experiment_views.js";
import { formatCount, formatNumber } from "../format.js";
import { loadState, saveState } from "../url_state.js";
import { ConfigForm } from "../widgets/config_form.js";
import { FilterGrid } from "../widgets/filter_grid.js";
import { Heatmap } from "../widgets/heatmap.js";
import { LinePlot } from "../widgets/line_plot.js";
import { Prediction } from "../widgets/prediction.js";
import { Tabs } from "../widgets/tabs.js";

const STORAGE_KEY = "convlab.experiments";
const IDS = ["generalization", "limits", "weight-decay"];
// exp: the tab; cfg: each experiment's settings; guess: the prediction being made; run and
// runGuess: the config of the last run and the prediction made before it (for the reveal)
const DEFAULTS = { exp: "generalization", cfg: {}, guess: {}, run: {}, runGuess: {} };
const LABELS = {
  train_size: "N (training examples)",
  epochs: "epochs",
  test_size: "test digits",
  seed: "seed",
  batch_size: "batch size",
  learning_rate: "learning rate ε",
  weight_decay: "λ for FC (L2)",
  hidden: "H (FC hidden units)",
  models: "models",
  tasks: "tasks",
  lambdas: "λ values (comma separated)",
};
const OPTION_LABELS = { cnn: "CNN", lc: "LC", fc: "FC", corner: "dot in the corner", symmetry: "left-right symmetry" };
const $ = (id) => document.getElementById(id);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Validate a state read from the URL or storage; null rejects it. */
function cleanState(s) {
  if (!IDS.includes(s.exp) || ![s.cfg, s.guess, s.run, s.runGuess].every(isObject)) return null;
  return s;
}

/** One experiment's run on this page: what is training, and what came back. */
class Session {
  constructor(id) {
    this.id = id;
    this.controller = null;
    this.progress = null;
    this.result = null;
    this.error = "";
    this.status = "Not started.";
    this.statusState = "idle";
    this.countdown = null;
  }

  get running() {
    return this.controller !== null;
  }
}

class ExperimentsPage {
  constructor() {
    this.state = loadState(STORAGE_KEY, DEFAULTS, cleanState).state;
    /** @type {Record<string, any>} id → the experiment from GET /api/experiments */
    this.experiments = {};
    this.sessions = Object.fromEntries(IDS.map((id) => [id, new Session(id)]));
    this.tabs = new Tabs($("experiment-tabs"), $("experiment-panel"));
    this.tabs.select(this.state.exp);
    this.tabs.addEventListener("select", () => {
      this.state.exp = this.tabs.value;
      this.#save();
      this.render();
    });
    this.prediction = new Prediction($("prediction"), $("reveal"));
    this.prediction.addEventListener("change", () => {
      this.state.guess[this.state.exp] = this.prediction.value;
      $("prediction-error").textContent = "";
      this.#save();
    });
    this.plots = {};
    this.drawPending = false;
    /** @type {string | null} what the filter strips show now (they are redrawn only when it changes) */
    this.filtersKey = null;
    $("train-button").addEventListener("click", () => this.train());
    $("cancel-button").addEventListener("click", () => this.cancel(this.state.exp, "Cancelled."));
    window.addEventListener("pagehide", () => {
      for (const id of IDS) this.sessions[id].controller?.abort();
    });
  }

  async start() {
    let list;
    try {
      list = await getJSON("/api/experiments");
    } catch (error) {
      $("load-error").textContent = `could not load the experiments: ${error.message}`;
      return;
    }
    for (const experiment of list) {
      experiment.fields = configFields(experiment.config_schema, LABELS);
      this.experiments[experiment.id] = experiment;
    }
    for (const id of IDS) {
      const experiment = this.experiments[id];
      if (!experiment) continue;
      this.state.cfg[id] = cleanConfig(experiment.fields, experiment.defaults, this.state.cfg[id]);
      if (this.state.run[id]) this.state.run[id] = cleanConfig(experiment.fields, experiment.defaults, this.state.run[id]);
    }
    this.#save();
    this.render();
    // a reload comes back with its results: ask again for the last run of every experiment
    for (const id of IDS) {
      if (this.state.run[id] && this.experiments[id]) this.#run(id, this.state.run[id]);
    }
  }

  #save() {
    saveState(STORAGE_KEY, this.state);
  }

  get experiment() {
    return this.experiments[this.state.exp];
  }

  // -- what the page shows for the selected experiment ---------------------------------------------

  render() {
    const experiment = this.experiment;
    if (!experiment) {
      $("load-error").textContent = `the server has no experiment called "${this.state.exp}"`;
      return;
    }
    $("load-error").textContent = "";
    $("experiment-title").textContent = `${experiment.title} (${experiment.question})`;
    $("experiment-description").textContent = experiment.description || "";
    this.#renderReference(experiment);
    this.form = new ConfigForm($("config"), experiment.fields, {
      idPrefix: "cfg",
      optionLabels: OPTION_LABELS,
    });
    this.form.setValue(this.state.cfg[experiment.id]);
    this.form.addEventListener("change", (event) => {
      this.state.cfg[experiment.id] = event.detail.config;
      this.#save();
      this.#askPrediction();
      this.#renderRunNote();
    });
    this.#askPrediction();
    this.#renderSession();
  }

  #askPrediction() {
    const id = this.state.exp;
    const { question, options } = predictionQuestion(id, this.state.cfg[id]);
    this.prediction.ask(question, options, this.state.guess[id] ?? null);
    this.prediction.lock(this.sessions[id].running);
  }

  /**
   * The plot in `container`, made on first use. Its viewBox is as wide as the container was
   * then (280–400 units), so on a phone the text is not scaled down to a few pixels.
   */
  #plot(key, container, options) {
    if (!this.plots[key]) {
      const width = Math.round(Math.min(400, Math.max(280, $(container).clientWidth || 400)));
      this.plots[key] = new LinePlot($(container), { width, height: Math.round(width * 0.64), legend: "none", ...options });
    }
    return this.plots[key];
  }

  #renderReference(experiment) {
    for (const id of IDS) $(`reference-${id}`).hidden = id !== experiment.id;
    const reference = experiment.reference;
    const summary = $("reference-summary");
    $(`reference-${experiment.id}`).hidden = !reference;
    if (!reference) {
      $("reference-note").textContent = "This server has no reference results for this experiment (they are computed by `convlab experiment reference`).";
      summary.textContent = "";
      return;
    }
    summary.textContent = reference.summary || "";
    const seeds = `mean ± std over seeds ${(reference.seeds || []).join(", ")}`;
    if (experiment.id === "generalization") {
      const ref = generalizationReference(reference);
      $("reference-note").textContent = `Each model trained on N = ${ref.sizes.map(formatCount).join(", ")} digits, ${seeds}.`;
      const logN = { xScale: "log", xLabel: "N (training digits, log scale)" };
      // the sweep's N are the ticks; a little room either side keeps the end markers inside
      const nAxis = { xTicks: ref.sizes, xDomain: [Math.min(...ref.sizes) / 1.25, Math.max(...ref.sizes) * 1.25] };
      this.#plot("refAccuracy", "ref-accuracy", { ...logN, label: "Test accuracy against the number of training digits", yLabel: "test accuracy (%)" })
        .draw(ref.accuracy, { ...nAxis, summary: describe(ref.accuracy, "N") });
      this.#plot("refGap", "ref-gap", { ...logN, label: "Generalization gap against the number of training digits", yLabel: "gap (points)" })
        .draw(ref.gap, { ...nAxis, summary: describe(ref.gap, "N") });
      $("ref-shift-caption").textContent = ref.shiftN ? `Accuracy on test digits shifted sideways (N = ${formatCount(ref.shiftN)})` : "Accuracy on shifted test digits";
      this.#plot("refShift", "ref-shift", { label: "Accuracy against the horizontal shift of the test digits", xLabel: "shift dx (px)", yLabel: "accuracy (%)" })
        .draw(ref.shift, { ...shiftAxis(ref.shift), summary: describe(ref.shift, "dx") });
    } else if (experiment.id === "limits") {
      const ref = limitsReference(reference);
      $("reference-note").textContent = `Test accuracy on each generated task, ${seeds}.`;
      const table = $("ref-limits-table");
      table.tHead.replaceChildren(row(["task", ...ref.models.map((m) => modelName(m, "limits"))], "th"));
      table.tBodies[0].replaceChildren(...ref.rows.map((r) => {
        const best = Math.max(...r.cells.map((c) => c.mean));
        const tr = row([OPTION_LABELS[r.task] ?? r.task]);
        for (const c of r.cells) tr.append(meanStdCell(c.mean, c.std, c.mean === best));
        return tr;
      }));
    } else {
      const ref = weightDecayReference(reference);
      const cfg = reference.config || {};
      $("reference-note").textContent = `Plain SGD (ε = ${formatNumber(cfg.learning_rate ?? Number.NaN)}) on N = ${formatCount(cfg.train_size ?? Number.NaN)} digits for each λ, ${seeds}.`;
      const ticks = { xTicks: ref.lambdas.map((_, i) => i), xTickFormat: (i) => lambdaText(ref.lambdas[i]), xDomain: [-0.3, ref.lambdas.length - 0.7] };
      this.#plot("refNorm", "ref-norm", { label: "Final weight norm against λ", xLabel: "λ", yLabel: "‖W‖ after training" })
        .draw(ref.norm, { ...ticks, summary: ref.lambdas.map((l, i) => `λ ${lambdaText(l)}: ${formatNumber(ref.norm[0].points[i][1], { digits: 2 })}`).join(", ") });
      this.#plot("refWdAccuracy", "ref-wd-accuracy", { label: "Train and test accuracy against λ", xLabel: "λ", yLabel: "accuracy (%)" })
        .draw(ref.accuracy, { ...ticks, summary: describe(ref.accuracy, "λ index") });
      $("ref-shrink-table").tBodies[0].replaceChildren(...ref.shrink.map((s) =>
        row([lambdaText(s.lambda), formatNumber(s.expected, { digits: 6 }), formatNumber(s.measured, { digits: 6 })])));
    }
  }

  // -- a run -----------------------------------------------------------------------------------

  train() {
    const id = this.state.exp;
    const session = this.sessions[id];
    if (session.running) return;
    const { config, errors } = this.form.read();
    const bad = Object.keys(errors);
    if (bad.length) {
      $("run-error").textContent = `Fix the settings first: ${errors[bad[0]]}.`;
      this.form.focus(bad[0]);
      return;
    }
    if (!this.prediction.value) {
      $("prediction-error").textContent = "Make your prediction first: pick one answer above, then press Train.";
      this.prediction.focus();
      return;
    }
    $("run-error").textContent = "";
    this.state.run[id] = config;
    this.state.runGuess[id] = this.prediction.value;
    this.#save();
    this.#run(id, config);
  }

  /**
   * Stop a run (Cancel, or a new run replacing it).
   * @param {string} id
   * @param {string} message
   */
  cancel(id, message) {
    const session = this.sessions[id];
    if (!session.running) return;
    session.controller.abort();
    delete this.state.run[id];
    this.#save();
    session.status = message;
    session.statusState = "idle";
    this.#announce(id, message);
  }

  async #run(id, config) {
    const session = this.sessions[id];
    session.controller?.abort();
    const controller = new AbortController();
    session.controller = controller;
    session.progress = new RunProgress(id);
    session.result = null;
    session.error = "";
    session.status = "Asking the server…";
    session.statusState = "running";
    this.#renderSession();
    try {
      const result = await runExperiment(id, config, {
        signal: controller.signal,
        onQueued: (seconds, attempt) => {
          if (attempt === 1) this.#announce(id, `Queued: the server is training other runs; starting in about ${seconds} s.`);
          this.#queued(session, seconds);
        },
        onStart: () => {
          this.#stopCountdown(session);
          session.status = "Training…";
          session.statusState = "running";
          this.#announce(id, "Training started.");
          this.#touch(id);
        },
        onEvent: (name, data) => {
          if (name === "started") session.progress.shared = Boolean(data.shared);
          if (name !== "progress") return;
          session.progress.add(data);
          session.status = session.progress.status();
          this.#touch(id);
        },
      });
      session.result = result;
      session.status = result.cached ? "Done (this config was computed before: the result came from the server's cache)." : "Done.";
      session.statusState = "done";
      this.#announce(id, `Done. ${result.summary}`);
    } catch (error) {
      if (session.controller !== controller) return; // a newer run replaced this one
      if (controller.signal.aborted) {
        session.status = session.status.startsWith("Cancelled") ? session.status : "Cancelled.";
        session.statusState = "idle";
      } else {
        session.error = error.message;
        session.status = "The run did not finish.";
        this.#announce(id, `The run did not finish: ${error.message}`);
        session.statusState = "failed";
        const field = Array.isArray(error.field) ? error.field.find((f) => typeof f === "string") : null;
        if (field && id === this.state.exp) this.form.markInvalid(field, error.message);
        delete this.state.run[id];
        this.#save();
      }
    } finally {
      if (session.controller === controller) {
        this.#stopCountdown(session);
        session.controller = null;
        if (id === this.state.exp) this.#renderSession();
      }
    }
  }

  /** Say something to screen readers once (the status line changes too often for a live region). */
  #announce(id, text) {
    if (id === this.state.exp) $("run-announce").textContent = text;
  }

  #queued(session, seconds) {
    this.#stopCountdown(session);
    let left = seconds;
    const tick = () => {
      session.status = left > 0
        ? `Queued: the server is training other runs. Starting in ${left} s…`
        : "Queued: asking the server again…";
      session.statusState = "queued";
      this.#touch(session.id);
      left -= 1;
    };
    tick();
    session.countdown = setInterval(tick, 1000);
  }

  #stopCountdown(session) {
    if (session.countdown !== null) clearInterval(session.countdown);
    session.countdown = null;
  }

  /** Redraw the live view of `id` at the next frame (progress events come in bursts). */
  #touch(id) {
    if (id !== this.state.exp || this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.#renderSession();
    });
  }

  #renderSession() {
    const id = this.state.exp;
    const session = this.sessions[id];
    const running = session.running;
    // the focused button is about to be disabled: hand the focus to the other one
    const focused = document.activeElement;
    $("train-button").disabled = running;
    $("cancel-button").disabled = !running;
    if (focused === $("train-button") && running) $("cancel-button").focus();
    if (focused === $("cancel-button") && !running) $("train-button").focus();
    this.form?.setDisabled(running);
    this.prediction.lock(running);
    $("run-status").textContent = session.status;
    $("run-status").dataset.state = session.statusState;
    $("run-error").textContent = session.error;
    const progress = $("run-progress");
    progress.value = session.result ? 1 : session.progress ? session.progress.fraction : 0;

    const source = session.result ?? session.progress;
    const epochs = session.result?.config.epochs ?? session.progress?.last?.epochs ?? this.state.cfg[id].epochs;
    const loss = this.#plot("liveLoss", "live-loss", { label: "Training loss per epoch", xLabel: "epoch", yLabel: "loss" });
    const acc = this.#plot("liveAccuracy", "live-accuracy", { label: "Test accuracy after each epoch", xLabel: "epoch", yLabel: "test accuracy (%)" });
    const pick = (what) => (session.result ? resultSeries(session.result, what) : session.progress ? session.progress.series(what) : []);
    const last = Math.max(1, epochs);
    const axis = { xDomain: [0, last], xTicks: integerTicks(last) };
    const lossSeries = pick("loss");
    const accSeries = pick("test");
    loss.draw(lossSeries, { ...axis, summary: source ? describe(lossSeries, "epoch") : "no run yet" });
    acc.draw(accSeries, { ...axis, summary: source ? describe(accSeries, "epoch") : "no run yet" });
    this.#renderFilters(session);
    this.#renderResult(session);
  }

  #renderFilters(session) {
    const block = $("filters-block");
    const models = session.result
      ? session.result.models.filter((m) => m.filters).map((m) => ({ key: m.name, label: m.label, what: m.filters.what, epochs: m.filters.epochs }))
      : session.progress
        ? [...session.progress.runs.values()].filter((r) => r.filters.length).map((r) => ({ key: r.model, label: r.label, what: "", epochs: r.filters }))
        : [];
    block.hidden = models.length === 0;
    // progress redraws often; the filters change only at the end of an epoch
    const key = `${session.id}|${session.result ? "result" : "live"}|${models.map((m) => `${m.key}:${m.epochs.length}`).join(",")}`;
    if (block.hidden) {
      $("filters").replaceChildren();
      this.filtersKey = null;
      return;
    }
    if (key === this.filtersKey) return;
    this.filtersKey = key;
    $("filters").replaceChildren(...models.map((m) => {
      const wrap = document.createElement("div");
      wrap.className = "filters-model";
      wrap.dataset.model = m.key;
      const title = document.createElement("h4");
      title.textContent = m.what ? `${m.label}: ${m.what}` : m.label;
      wrap.append(title);
      const grid = new FilterGrid(wrap, { label: `${m.label} first-layer filters`, maxFilters: 8 });
      m.epochs.forEach((filters, epoch) => {
        if (filters) grid.setEpoch(epoch, filters);
      });
      return wrap;
    }));
  }

  #renderResult(session) {
    const result = session.result;
    $("result-block").hidden = !result;
    if (!result) {
      this.prediction.clearReveal();
      return;
    }
    const cfg = result.config;
    $("result-meta").textContent = [
      `N = ${formatCount(cfg.train_size)}, ${cfg.epochs} epochs, seed ${cfg.seed}`,
      result.cached ? "from the server's cache (the same numbers as training it again)" : "trained just now",
      result.data?.description,
    ].filter(Boolean).join(" · ");
    const table = resultTable(result);
    const head = row(table.columns, "th");
    $("result-table").tHead.replaceChildren(head);
    $("result-table").tBodies[0].replaceChildren(...table.rows.map((r) => {
      const tr = row(r.cells);
      tr.dataset.key = r.key;
      return tr;
    }));
    for (const tr of $("result-table").rows) {
      [...tr.cells].slice(0, table.textColumns).forEach((cell) => cell.classList.add("left"));
    }
    const summary = $("result-summary");
    summary.textContent = result.summary;
    summary.dataset.claim = String(result.claim_holds);
    const guess = this.state.runGuess[result.id] ?? null;
    this.prediction.reveal(revealText(guess, measuredAnswer(result)));
    this.#renderRunNote();

    $("result-shift-figure").hidden = result.id !== "generalization";
    if (result.id === "generalization") {
      const shifts = shiftSeries(result);
      this.#plot("resultShift", "result-shift", { label: "Accuracy against the horizontal shift of the test digits (this run)", xLabel: "shift dx (px)", yLabel: "accuracy (%)" })
        .draw(shifts, { ...shiftAxis(shifts), summary: describe(shifts, "dx") });
    }
    $("result-norm-figure").hidden = result.id !== "weight-decay";
    if (result.id === "weight-decay") {
      const norms = normSeries(result);
      this.#plot("resultNorm", "result-norm", { label: "Weight norm over the SGD steps, per λ", xLabel: "SGD step", yLabel: "‖W‖" })
        .draw(norms, { summary: describe(norms, "step") });
    }
    this.#renderTasks(result);
  }

  /** The limits tasks: what each asks, and a few of its generated examples. */
  #renderTasks(result) {
    const box = $("limits-tasks");
    box.hidden = !(result.id === "limits" && result.tasks?.length);
    if (box.hidden) return;
    box.replaceChildren(...result.tasks.map((task) => {
      const wrap = document.createElement("div");
      wrap.className = "limits-task";
      const title = document.createElement("h4");
      title.textContent = task.title;
      const text = document.createElement("p");
      text.textContent = `${task.description} Chance: ${percent(task.chance)}.`;
      const examples = document.createElement("div");
      examples.className = "task-examples";
      for (const [i, example] of (task.examples || []).entries()) {
        const figure = document.createElement("figure");
        const map = new Heatmap(figure, { rows: example.image.length, cols: example.image[0].length, domain: [0, 1], label: `${task.title}, example ${i + 1}, label ${example.label}`, displayWidth: 56 });
        map.draw(example.image);
        const caption = document.createElement("figcaption");
        caption.textContent = `label ${example.label}`;
        figure.append(caption);
        examples.append(figure);
      }
      wrap.append(title, text, examples);
      return wrap;
    }));
  }

  /** Say so when the settings no longer match the result shown. */
  #renderRunNote() {
    const session = this.sessions[this.state.exp];
    if (!session.result) return;
    const same = JSON.stringify(session.result.config) === JSON.stringify({ ...session.result.config, ...this.state.cfg[this.state.exp] });
    const meta = $("result-meta");
    meta.querySelector(".settings-changed")?.remove();
    if (!same) {
      const note = document.createElement("strong");
      note.className = "settings-changed";
      note.textContent = " · the settings above have changed since: press Train to run them";
      meta.append(note);
    }
  }
}

/** A table row of text cells (the first a row header). */
function row(cells, tag = "td") {
  const tr = document.createElement("tr");
  cells.forEach((text, i) => {
    const cell = document.createElement(i === 0 || tag === "th" ? "th" : tag);
    cell.scope = tag === "th" ? "col" : i === 0 ? "row" : "";
    if (!cell.scope) cell.removeAttribute("scope");
    cell.textContent = text;
    tr.append(cell);
  });
  return tr;
}

/** The x axis of a shift plot: every whole shift a tick, half a pixel of room at the ends. */
function shiftAxis(series) {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  if (xs.length === 0) return {};
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const ticks = [];
  for (let t = Math.ceil(lo); t <= hi; t += hi - lo > 10 ? 2 : 1) ticks.push(t);
  return { xDomain: [lo - 0.5, hi + 0.5], xTicks: ticks };
}

/** Whole-number ticks 0 … last, at most about eight of them. */
function integerTicks(last) {
  const step = Math.max(1, Math.ceil(last / 8));
  const ticks = [];
  for (let t = 0; t <= last; t += step) ticks.push(t);
  return ticks;
}

/** A "91.2 % ± 0.4" cell. */
function meanStdCell(mean, std, best) {
  const td = document.createElement("td");
  td.textContent = percent(mean);
  const pm = document.createElement("span");
  pm.className = "pm";
  pm.textContent = ` ± ${formatNumber(100 * std, { digits: 1 })}`;
  td.append(pm);
  if (best) td.classList.add("best");
  return td;
}

/**
 * A text version of line-plot series for the plot's accessible name (on an epoch axis, only
 * the points at the ends of epochs; on a step axis, the first and the last point).
 */
function describe(series, xName) {
  const keep = (points) => {
    if (xName === "epoch") return points.filter(([x]) => Number.isInteger(x));
    if (xName === "step") return points.length > 1 ? [points[0], points[points.length - 1]] : points;
    return points;
  };
  return series
    .map((s) => `${s.label}: ${keep(s.points).map(([x, y]) => `${xName} ${formatNumber(x, { digits: 2 })} → ${formatNumber(y, { digits: 2 })}`).join(", ")}`)
    .join("; ");
}

new ExperimentsPage().start();
