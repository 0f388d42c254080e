// What the experiments page shows, computed from the API's JSON (docs/experiments-api.md):
// plot series for the shipped reference sweep, live curves from progress events, the rows of
// the result table, the prediction question and the measured answer it is compared with.
// Pure functions and one small accumulator class: no DOM, no fetch. Every number here comes
// from the API's answer; this module only selects, orders and labels.

import { formatCount, formatNumber } from "./format.js";

/**
 * The short name of a model, as the page says it everywhere (plots, table, prediction):
 * "FC + L2" when the dense net trained with an L2 penalty; "invariant CNN" in the limits
 * experiment, whose CNN ends in global pooling.
 * @param {string} name "cnn" | "lc" | "fc"
 * @param {number | null} [weightDecay] the λ the model trained with
 */
export function modelName(name, experiment, weightDecay = null) {
  if (name === "fc") return experiment === "generalization" && weightDecay > 0 ? "FC + L2" : "FC";
  if (name === "cnn") return experiment === "limits" ? "invariant CNN" : "CNN";
  if (name === "lc") return "LC";
  return name;
}

/**
 * How each model is drawn: colour class, dash pattern and marker shape, so that the curves are
 * told apart by more than colour (and by a label at the end of each line).
 */
const MODEL_STYLES = {
  cnn: { className: "model-cnn", dash: undefined, marker: "circle" },
  lc: { className: "model-lc", dash: "7 4", marker: "square" },
  fc: { className: "model-fc", dash: "2 3", marker: "triangle" },
};
/** Styles for series that are not models (the λ runs), in order. */
const RUN_STYLES = [
  { className: "run-style-0", dash: undefined, marker: "circle" },
  { className: "run-style-1", dash: "7 4", marker: "square" },
  { className: "run-style-2", dash: "2 3", marker: "triangle" },
  { className: "run-style-3", dash: "10 3 2 3", marker: "diamond" },
  { className: "run-style-4", dash: "4 2", marker: "circle" },
  { className: "run-style-5", dash: "1 2", marker: "square" },
];

/**
 * The drawing style of a model (by name) or of the i-th run.
 * @param {string | null} name "cnn" | "lc" | "fc" or null
 * @returns {{className: string, dash: string | undefined, marker: string}}
 */
export function seriesStyle(name, index = 0) {
  return MODEL_STYLES[name] ?? RUN_STYLES[index % RUN_STYLES.length];
}

/** A percentage with one decimal, typographic minus ("−0.3 %"). */
export function percent(fraction) {
  if (!Number.isFinite(fraction)) return "–";
  const text = (100 * fraction).toFixed(1);
  return `${text === "-0.0" ? "0.0" : text.replace("-", "−")} %`;
}

/** λ written for a label: "0", "0.001", "0.05". */
export function lambdaText(lam) {
  return formatNumber(lam, { digits: 6 });
}

/**
 * How one training run of an experiment is drawn: by model (colour, dash, marker); in the
 * limits experiment the task sets the dash and marker (colour stays the model's), so the four
 * curves differ twice; the λ runs of weight-decay take the run styles in order.
 * @param {{model?: string, name?: string, task?: string | null}} item
 * @param {number} index position of the run (λ runs)
 * @param {string[]} [tasks] the run's tasks in order (limits)
 * @returns {{className: string, dash: string | undefined, marker: string}}
 */
export function runStyle(item, experiment, index, tasks = []) {
  if (experiment === "weight-decay") return seriesStyle(null, index);
  const style = seriesStyle(item.model ?? item.name);
  if (experiment !== "limits") return style;
  const t = Math.max(0, tasks.indexOf(item.task));
  const byTask = RUN_STYLES[t % RUN_STYLES.length];
  return { className: style.className, dash: byTask.dash, marker: byTask.marker };
}

/**
 * The key of one training run inside an experiment run: its model, task and λ.
 * @param {{model?: string, name?: string, task?: string | null, weight_decay?: number | null}} item
 *   a progress event or a ModelResult
 */
export function runKey(item, experiment) {
  const model = item.model ?? item.name;
  if (experiment === "weight-decay") return `λ=${item.weight_decay}`;
  if (experiment === "limits") return `${item.task}/${model}`;
  return model;
}

/**
 * The short label of one training run (for direct labels and the live plot).
 * @param {{model?: string, name?: string, task?: string | null, weight_decay?: number | null}} item
 */
export function runLabel(item, experiment) {
  const model = item.model ?? item.name;
  if (experiment === "weight-decay") return `λ = ${lambdaText(item.weight_decay)}`;
  const name = modelName(model, experiment, item.weight_decay);
  return experiment === "limits" ? `${name} · ${item.task}` : name;
}

// -- the shipped reference sweep -----------------------------------------------------------------

/**
 * Series of the generalization sweep: test accuracy, gap and shifted accuracy per model, in %,
 * mean ± std over the seeds.
 * @param {any} reference GET /api/experiments → generalization.reference
 * @returns {{sizes: number[], seeds: number[], shiftN: number | null, accuracy: object[], gap: object[], shift: object[]}}
 */
export function generalizationReference(reference) {
  const sizes = reference.train_sizes;
  const names = Object.keys(reference.models);
  const lam = reference.configs?.[0]?.weight_decay ?? null;
  const series = (pick, xs) =>
    names.map((name) => {
      const stat = pick(reference.models[name]);
      return {
        label: modelName(name, "generalization", lam),
        ...seriesStyle(name),
        points: stat.mean.map((v, i) => [xs(stat)[i], 100 * v]),
        spread: stat.std.map((v) => 100 * v),
        dots: true,
        directLabel: true,
      };
    });
  const shifts = names.map((n) => reference.models[n].shifted_accuracy).filter(Boolean);
  return {
    sizes,
    seeds: reference.seeds,
    shiftN: shifts.length ? shifts[0].train_size : null,
    accuracy: series((m) => m.test_accuracy, () => sizes),
    gap: series((m) => m.gap, () => sizes),
    shift: shifts.length ? series((m) => m.shifted_accuracy, (stat) => stat.shifts) : [],
  };
}

/**
 * Rows of the limits sweep: one per task, test accuracy (mean ± std) per model.
 * @returns {{models: string[], rows: {task: string, cells: {model: string, mean: number, std: number}[]}[]}}
 */
export function limitsReference(reference) {
  const tasks = Object.keys(reference.tasks);
  const models = [...new Set(tasks.flatMap((t) => Object.keys(reference.tasks[t])))];
  return {
    models,
    rows: tasks.map((task) => ({
      task,
      cells: models.map((model) => {
        const acc = reference.tasks[task][model]?.test_accuracy;
        return { model, mean: acc ? acc.mean : Number.NaN, std: acc ? acc.std : Number.NaN };
      }),
    })),
  };
}

/**
 * Series of the weight-decay sweep against λ (plotted at evenly spaced positions 0, 1, 2, …,
 * labelled with λ, because λ = 0 has no place on a log axis).
 * @returns {{lambdas: number[], norm: object[], accuracy: object[], shrink: {lambda: number, expected: number, measured: number}[]}}
 */
export function weightDecayReference(reference) {
  const { lambdas } = reference;
  const at = (stat) => stat.mean.map((v, i) => [i, v]);
  const pct = (stat) => stat.mean.map((v, i) => [i, 100 * v]);
  return {
    lambdas,
    norm: [{ label: "‖W‖", ...seriesStyle(null, 0), points: at(reference.final_norm), spread: reference.final_norm.std, dots: true }],
    accuracy: [
      { label: "train", ...seriesStyle(null, 1), points: pct(reference.train_accuracy), spread: reference.train_accuracy.std.map((v) => 100 * v), dots: true, directLabel: true },
      { label: "test", ...seriesStyle(null, 0), points: pct(reference.test_accuracy), spread: reference.test_accuracy.std.map((v) => 100 * v), dots: true, directLabel: true },
    ],
    shrink: lambdas.map((lambda, i) => ({
      lambda,
      expected: reference.shrink.expected[i],
      measured: reference.shrink.measured_mean[i],
    })),
  };
}

// -- a run in progress ----------------------------------------------------------------------------

/**
 * Gathers the progress events of one run into curves: the running training loss within each
 * epoch (x = epochs · step/steps, in epochs) and the accuracies at each epoch's end; the first-layer
 * filters after each epoch; the fraction of the whole run done.
 */
export class RunProgress {
  /** @param {string} experiment */
  constructor(experiment) {
    this.experiment = experiment;
    /** @type {Map<string, {label: string, model: string, index: number, loss: number[][], train: number[][], test: number[][], filters: any[]}>} */
    this.runs = new Map();
    this.fraction = 0;
    this.last = null;
    /** @type {string[]} tasks in the order they started (limits) */
    this.tasks = [];
    this.shared = false;
  }

  /**
   * Take one progress event.
   * @param {any} event the parsed data of an `event: progress`
   */
  add(event) {
    const key = runKey(event, this.experiment);
    if (!this.runs.has(key)) {
      if (event.task && !this.tasks.includes(event.task)) this.tasks.push(event.task);
      this.runs.set(key, {
        label: runLabel(event, this.experiment),
        model: event.model,
        task: event.task,
        index: this.runs.size,
        loss: [],
        train: [],
        test: [],
        filters: [],
      });
    }
    const run = this.runs.get(key);
    // step counts this model's steps over all its epochs, so step/steps·epochs is the position
    // in epochs; clamped into the current epoch in case a server counts steps per epoch
    const x = Math.min(event.epoch, Math.max(event.epoch - 1, (event.epochs * event.step) / event.steps));
    const m = event.metrics || {};
    if (Number.isFinite(m.train_loss)) run.loss.push([x, m.train_loss]);
    if (event.epoch_end) {
      if (Number.isFinite(m.train_accuracy)) run.train.push([event.epoch, m.train_accuracy]);
      if (Number.isFinite(m.test_accuracy)) run.test.push([event.epoch, m.test_accuracy]);
      if (event.filters) run.filters[event.epoch] = event.filters;
      if (event.initialFilters) run.filters[0] = event.initialFilters;
    }
    this.fraction = (event.model_index + x / event.epochs) / event.models;
    this.last = event;
  }

  /**
   * Line-plot series of the live curves.
   * @param {"loss" | "test" | "train"} what
   * @returns {object[]}
   */
  series(what) {
    return [...this.runs.values()].map((run) => ({
      label: run.label,
      ...runStyle(run, this.experiment, run.index, this.tasks),
      points: what === "loss" ? run.loss : run[what].map(([e, a]) => [e, 100 * a]),
      dots: what !== "loss",
      endDot: what === "loss",
      directLabel: true,
    }));
  }

  /** One sentence of where the run is, e.g. "CNN: epoch 3 of 8, step 120 of 256". */
  status() {
    const e = this.last;
    if (!e) return "";
    const where = `${runLabel(e, this.experiment)} (${e.model_index + 1} of ${e.models}): epoch ${e.epoch} of ${e.epochs}, step ${e.step} of ${e.steps}`;
    const m = e.metrics || {};
    const loss = Number.isFinite(m.train_loss) ? `, training loss ${formatNumber(m.train_loss, { digits: 3 })}` : "";
    const test = Number.isFinite(m.test_accuracy) ? `, test accuracy ${percent(m.test_accuracy)}` : "";
    return `${where}${loss}${test}`;
  }
}

// -- a finished run -------------------------------------------------------------------------------

/**
 * The curves of a finished run (from the result, which has every epoch).
 * @param {"loss" | "test" | "train"} what
 * @returns {object[]}
 */
export function resultSeries(result, what) {
  const key = { loss: "train_loss", test: "test_accuracy", train: "train_accuracy" }[what];
  const tasks = [...new Set(result.models.map((m) => m.task).filter(Boolean))];
  return result.models.map((model, index) => ({
    label: runLabel(model, result.id),
    ...runStyle(model, result.id, index, tasks),
    points: model.curves.epoch.map((e, i) => [e, what === "loss" ? model.curves[key][i] : 100 * model.curves[key][i]]),
    dots: true,
    directLabel: true,
  }));
}

/**
 * ‖W‖ over the SGD steps, one series per λ (weight-decay results).
 * @returns {object[]}
 */
export function normSeries(result) {
  return result.models
    .filter((m) => m.norm)
    .map((model, index) => ({
      label: runLabel(model, result.id),
      ...seriesStyle(null, index),
      points: model.norm.step.map((s, i) => [s, model.norm.norm[i]]),
      directLabel: true,
    }));
}

/**
 * Accuracy against the horizontal shift of the test digits, per model (generalization results).
 * @returns {object[]}
 */
export function shiftSeries(result) {
  return result.models
    .filter((m) => m.shifted_accuracy)
    .map((model) => ({
      label: runLabel(model, result.id),
      ...seriesStyle(model.name),
      points: model.shifted_accuracy.shifts.map((s, i) => [s, 100 * model.shifted_accuracy.accuracy[i]]),
      dots: true,
      directLabel: true,
    }));
}

/**
 * The result table: a header and one row per trained model, every cell text.
 * @returns {{columns: string[], rows: {key: string, cells: string[]}[], textColumns: number}}
 *   textColumns: how many leading columns hold text (left-aligned) rather than numbers
 */
export function resultTable(result) {
  const models = result.models;
  if (result.id === "weight-decay") {
    const lr = result.config.learning_rate;
    return {
      columns: ["λ", "parameters", "shrink 1 − 2ελ", "measured shrink (mean)", "largest |error|", "final ‖W‖", "train accuracy", "test accuracy", "gap"],
      rows: models.map((m) => ({
        key: runKey(m, result.id),
        cells: [
          lambdaText(m.weight_decay),
          formatCount(m.parameters),
          formatNumber(m.shrink.expected, { digits: 6 }),
          formatNumber(m.shrink.measured_mean, { digits: 6 }),
          m.shrink.max_abs_error.toExponential(1).replace("-", "−"),
          formatNumber(m.norm.norm[m.norm.norm.length - 1], { digits: 3 }),
          percent(m.train_accuracy),
          withInterval(m),
          percent(m.gap),
        ],
      })),
      note: `ε = ${formatNumber(lr)}`,
      textColumns: 1,
    };
  }
  if (result.id === "limits") {
    const chance = Object.fromEntries((result.tasks || []).map((t) => [t.id, t.chance]));
    return {
      columns: ["task", "model", "parameters", "train accuracy", "test accuracy", "chance", "gap"],
      rows: models.map((m) => ({
        key: runKey(m, result.id),
        cells: [m.task, m.label, formatCount(m.parameters), percent(m.train_accuracy), withInterval(m), percent(chance[m.task]), percent(m.gap)],
      })),
      textColumns: 2,
    };
  }
  const columns = ["model", "parameters", "train accuracy", "test accuracy", "gap"];
  const hasShift = models.some((m) => m.shifted_accuracy);
  const widest = hasShift ? Math.max(...models.flatMap((m) => (m.shifted_accuracy ? m.shifted_accuracy.shifts.map(Math.abs) : []))) : 0;
  if (hasShift) columns.push(`shifted ±${widest} px (mean)`);
  return {
    columns,
    rows: models.map((m) => {
      const cells = [m.label, formatCount(m.parameters), percent(m.train_accuracy), withInterval(m), percent(m.gap)];
      if (hasShift) cells.push(percent(shiftedAt(m, widest)));
      return { key: runKey(m, result.id), cells };
    }),
    textColumns: 1,
  };
}

/**
 * A test accuracy with its 95 % interval: "90.6 % (88.7–92.2)".
 * @param {{test_accuracy: number, test_accuracy_interval?: number[]}} model
 */
export function withInterval(model) {
  const interval = model.test_accuracy_interval;
  if (!Array.isArray(interval)) return percent(model.test_accuracy);
  const [low, high] = interval.map((v) => (100 * v).toFixed(1));
  return `${percent(model.test_accuracy)} (${low}–${high})`;
}

/**
 * Whether the test digits cannot tell two results apart: either accuracy lies inside the
 * other's 95 % interval (the rule of the API's summaries).
 * @param {{accuracy: number, interval?: number[] | null}} a
 * @param {{accuracy: number, interval?: number[] | null}} b
 */
export function isTie(a, b) {
  if (a.accuracy === b.accuracy) return true;
  const inside = (x, interval) => Array.isArray(interval) && interval[0] <= x && x <= interval[1];
  return inside(b.accuracy, a.interval) || inside(a.accuracy, b.interval);
}

/** Mean accuracy at the shifts of magnitude `d` (−d and +d). */
function shiftedAt(model, d) {
  const s = model.shifted_accuracy;
  if (!s) return Number.NaN;
  const values = s.shifts.map((x, i) => (Math.abs(x) === d ? s.accuracy[i] : null)).filter((v) => v !== null);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

// -- predict, then measure -----------------------------------------------------------------------

/**
 * The question a student answers before training, and its choices, for an experiment and config.
 * @param {Record<string, any>} config
 * @returns {{question: string, options: {value: string, label: string}[]}}
 */
export function predictionQuestion(experiment, config) {
  if (experiment === "weight-decay") {
    const lambdas = config.lambdas || [];
    return {
      question: `Which λ will give the highest test accuracy after ${config.epochs} ${config.epochs === 1 ? "epoch" : "epochs"} on N = ${formatCount(config.train_size)} digits?`,
      options: lambdas.map((l) => ({ value: String(l), label: `λ = ${lambdaText(l)}` })),
    };
  }
  const models = config.models || [];
  if (experiment === "limits") {
    return {
      question: "Which network will reach the higher test accuracy on these tasks (averaged over the tasks)?",
      options: models.map((m) => ({ value: m, label: m === "cnn" ? "invariant CNN (global pooling)" : "FC" })),
    };
  }
  return {
    question: `Which model will reach the highest test accuracy when trained on N = ${formatCount(config.train_size)} digits?`,
    options: models.map((m) => {
      const name = modelName(m, experiment, config.weight_decay);
      return { value: m, label: m === "lc" ? `${name} (locally connected)` : name };
    }),
  };
}

/**
 * The measured answer to the prediction question: the choice with the highest test accuracy.
 * @returns {{value: string, label: string, ranking: {value: string, label: string, accuracy: number, interval: number[] | null}[]}}
 */
export function measuredAnswer(result) {
  const groups = new Map();
  for (const m of result.models) {
    const value = result.id === "weight-decay" ? String(m.weight_decay) : m.name;
    const label = result.id === "weight-decay" ? `λ = ${lambdaText(m.weight_decay)}` : modelName(m.name, result.id, m.weight_decay);
    if (!groups.has(value)) groups.set(value, { value, label, sum: 0, n: 0, intervals: [] });
    const g = groups.get(value);
    g.sum += m.test_accuracy;
    g.n += 1;
    g.intervals.push(m.test_accuracy_interval ?? null);
  }
  const ranking = [...groups.values()]
    // one model per choice has its own interval; an average over tasks has none
    .map((g) => ({ value: g.value, label: g.label, accuracy: g.sum / g.n, interval: g.n === 1 ? g.intervals[0] : null }))
    .sort((a, b) => b.accuracy - a.accuracy);
  return { value: ranking[0].value, label: ranking[0].label, ranking };
}

/**
 * The reveal: the student's prediction against the measured answer, in one or two sentences.
 * A choice whose accuracy the test digits cannot tell apart from the best (inside the 95 %
 * intervals) is a tie, and the reveal says so instead of calling it right or wrong.
 * @param {string | null} prediction the value the student chose (null: none)
 * @param {{value: string, label: string, ranking: {value: string, label: string, accuracy: number, interval?: number[] | null}[]}} measured
 * @returns {{right: boolean | null, tie: boolean, text: string}}
 */
export function revealText(prediction, measured) {
  const order = measured.ranking.map((r) => `${r.label}: ${percent(r.accuracy)}`).join(", ");
  const top = measured.ranking[0];
  const tied = measured.ranking.filter((r) => isTie(r, top));
  const best = tied.length > 1 ? `${tied.map((r) => r.label).join(" and ")} (a tie: the difference is inside the 95 % intervals of the test digits, which cannot tell them apart)` : top.label;
  if (prediction === null || prediction === undefined || prediction === "") {
    return { right: null, tie: tied.length > 1, text: `You did not predict this run. Highest test accuracy: ${best} (${order}).` };
  }
  const chosen = measured.ranking.find((r) => r.value === prediction);
  const said = chosen ? chosen.label : prediction;
  if (chosen && tied.length > 1 && tied.includes(chosen)) {
    return {
      right: null,
      tie: true,
      text: `You predicted ${said}: a tie. ${tied.map((r) => r.label).join(" and ")} are inside each other's 95 % intervals (${order}), so these test digits cannot say which is better; more test digits or another seed would tell.`,
    };
  }
  const right = chosen !== undefined && chosen === top;
  return {
    right,
    tie: false,
    text: right
      ? `You predicted ${said}, and it measured highest: ${order}.`
      : `You predicted ${said}; the highest test accuracy was ${best}: ${order}.`,
  };
}

/**
 * Where a queued run stands, from the server's `queued` event.
 * @param {{position: number, waiting: number, running: number, slots: number, seconds: number}} q
 */
export function queueText(q) {
  const ahead = q.position - 1;
  const before = ahead === 0 ? "you are next" : `${ahead} ${ahead === 1 ? "run is" : "runs are"} ahead of you`;
  return `Queued: number ${q.position} in the line (${before}; ${q.running} training now on ${q.slots} ${q.slots === 1 ? "slot" : "slots"}). Starting in about ${q.seconds} s.`;
}

/**
 * The progress events a stored result replays: the end of every epoch of every model, with
 * the metrics and filters the result kept (nothing is invented between them).
 * @returns {any[]} events in the order a live run sends them
 */
export function replayEvents(result) {
  const events = [];
  const models = result.models.length;
  result.models.forEach((m, index) => {
    const epochs = m.curves.epoch.length;
    m.curves.epoch.forEach((epoch, i) => {
      const event = {
        model: m.name,
        task: m.task ?? null,
        weight_decay: m.weight_decay ?? null,
        model_index: index,
        models,
        epoch,
        epochs,
        step: epoch,
        steps: epochs,
        epoch_end: true,
        metrics: { train_loss: m.curves.train_loss[i], train_accuracy: m.curves.train_accuracy[i], test_accuracy: m.curves.test_accuracy[i] },
      };
      if (m.filters) event.filters = m.filters.epochs[epoch];
      if (i === 0 && m.filters) event.initialFilters = m.filters.epochs[0];
      events.push(event);
    });
  });
  return events;
}

/**
 * The status line of a run that ended in an error, by the HTTP status the API gave it (the
 * `status` of an `error` event, or of the response); the API's detail says the rest.
 */
export function failureStatus(status) {
  if (status === 504) return "Stopped: the run reached the server's time limit for one run.";
  if (status === 422) return "The server refused these settings.";
  if (status >= 500) return "The run failed on the server.";
  return "The run did not finish.";
}

// -- axes and text for the plots --------------------------------------------------------------------

/**
 * The x axis of a shift plot: every whole shift a tick, half a pixel of room at the ends.
 * @param {{points: number[][]}[]} series
 * @returns {{xDomain?: [number, number], xTicks?: number[]}}
 */
export function shiftAxis(series) {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  if (xs.length === 0) return {};
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const ticks = [];
  for (let t = Math.ceil(lo); t <= hi; t += hi - lo > 10 ? 2 : 1) ticks.push(t);
  return { xDomain: [lo - 0.5, hi + 0.5], xTicks: ticks };
}

/** Whole-number ticks 0 … last for an epoch axis, at most about eight of them. */
export function epochTicks(last) {
  const step = Math.max(1, Math.ceil(last / 8));
  const ticks = [];
  for (let t = 0; t <= last; t += step) ticks.push(t);
  return ticks;
}

/**
 * A text version of line-plot series for the plot's accessible name (on an epoch axis, only
 * the points at the ends of epochs; on a step axis, the first and the last point).
 * @param {{label: string, points: number[][]}[]} series
 * @param {string} xName "epoch", "step", "N", "dx", …
 */
export function describeSeries(series, xName) {
  const keep = (points) => {
    if (xName === "epoch") return points.filter(([x]) => Number.isInteger(x));
    if (xName === "step") return points.length > 1 ? [points[0], points[points.length - 1]] : points;
    return points;
  };
  return series
    .map((s) => `${s.label}: ${keep(s.points).map(([x, y]) => `${xName} ${formatNumber(x, { digits: 2 })} → ${formatNumber(y, { digits: 2 })}`).join(", ")}`)
    .join("; ");
}
