// Experiments lesson (Q1, Q6c–d): the shipped reference sweep of each experiment
// (GET /api/experiments), then a run the student starts (POST /api/experiments/{id}/runs,
// streamed): predict, choose the settings, watch the curves and filters, read the table and
// the API's one-sentence summary. State in the URL: the tab, each experiment's settings, the
// prediction, and the config of the last run, which a reload asks for again (the server's
// cache answers at once). Every number comes from the API.

import { getJSON } from "../../api.js";
import { cleanConfig, configFields } from "../../config_schema.js";
import { runExperiment } from "./runs.js";
import { failureStatus, measuredAnswer, predictionQuestion, queueText, replayEvents, revealText, RunProgress } from "../../experiment_views.js";
import { loadState, saveState } from "../../url_state.js";
import { ConfigForm } from "../../widgets/config_form.js";
import { Prediction } from "../../widgets/prediction.js";
import { ReferenceView } from "../../widgets/reference_view.js";
import { RunView } from "../../widgets/run_view.js";
import { Tabs } from "../../widgets/tabs.js";
import { $ } from "../../dom.js";

const STORAGE_KEY = "convlab.experiments";
const IDS = ["generalization", "limits", "weight-decay"];
// exp: the tab; cfg: each experiment's settings; guess: the prediction being made; run and
// runGuess: the config of the last run and the prediction made before it (for the reveal);
// ref: experiments whose reference the student asked to see before predicting
const DEFAULTS = { exp: "generalization", cfg: {}, guess: {}, run: {}, runGuess: {}, ref: {} };
/** Milliseconds between two epochs of a replayed run (a watchable pace, ~4 s in all). */
const REPLAY_MS = { total: 4000, least: 150, most: 600 };
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
  label_noise: "wrong training labels (fraction)",
};
const OPTION_LABELS = { cnn: "CNN", lc: "LC", fc: "FC", corner: "dot in the corner", symmetry: "left-right symmetry" };
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Validate a state read from the URL or storage; null rejects it. */
function cleanState(s) {
  if (!IDS.includes(s.exp) || ![s.cfg, s.guess, s.run, s.runGuess].every(isObject)) return null;
  if (!isObject(s.ref)) s.ref = {};
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
    this.setStatus("Not started.", "idle");
    this.countdown = null;
    /** @type {{timer: number | null, result: any} | null} a stored result being replayed */
    this.replay = null;
    /** @type {number | null} the last queue position announced */
    this.lastPosition = null;
  }

  get running() {
    return this.controller !== null;
  }

  /** @param {string} status @param {"idle" | "running" | "queued" | "done" | "failed"} state */
  setStatus(status, state) {
    this.status = status;
    this.statusState = state;
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
    this.reference = new ReferenceView($("experiment-panel"), { taskLabels: OPTION_LABELS });
    this.view = new RunView($("experiment-panel"));
    this.drawPending = false;
    $("train-button").addEventListener("click", () => this.train());
    $("cancel-button").addEventListener("click", () => this.cancel(this.state.exp, "Cancelled."));
    $("skip-button").addEventListener("click", () => this.#endReplay(this.sessions[this.state.exp]));
    $("reference-show").addEventListener("click", () => {
      this.state.ref[this.state.exp] = true;
      this.#save();
      this.#renderReference();
    });
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
    this.reference.show(experiment);
    this.#renderReference();
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
      // nothing trained yet: the empty plots' epoch axis follows the epochs typed
      const session = this.sessions[experiment.id];
      if (!session.result && !session.progress) this.view.show(session, event.detail.config.epochs);
    });
    this.#askPrediction();
    this.#renderSession();
  }

  /**
   * The shipped sweep answers the prediction question: it stays hidden until the student has
   * predicted and trained (or asked to see it).
   */
  #renderReference() {
    const id = this.state.exp;
    const open = Boolean(this.state.ref[id] || this.state.runGuess[id]);
    $("reference-content").hidden = !open;
    $("reference-gate").hidden = open;
  }

  #askPrediction() {
    const id = this.state.exp;
    const { question, options } = predictionQuestion(id, this.state.cfg[id]);
    this.prediction.ask(question, options, this.state.guess[id] ?? null);
    this.prediction.lock(this.sessions[id].running);
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
    this.#renderReference();
    this.#run(id, config);
  }

  /** Stop a run (Cancel, or a new run replacing it). */
  cancel(id, message) {
    const session = this.sessions[id];
    if (session.replay) {
      this.#endReplay(session);
      return;
    }
    if (!session.running) return;
    session.controller.abort();
    delete this.state.run[id];
    this.#save();
    session.setStatus(message, "idle");
    this.#announce(id, message);
  }

  async #run(id, config) {
    const session = this.sessions[id];
    session.controller?.abort();
    this.#stopReplayTimer(session);
    session.replay = null;
    const controller = new AbortController();
    session.controller = controller;
    session.progress = new RunProgress(id);
    session.result = null;
    session.error = "";
    session.setStatus("Asking the server…", "running");
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
          session.setStatus("Training…", "running");
          this.#announce(id, "Training started.");
          this.#touch(id);
        },
        onEvent: (name, data) => {
          if (name === "started") session.progress.shared = Boolean(data.shared);
          if (name === "queued") {
            session.setStatus(queueText(data), "queued");
            if (data.position !== session.lastPosition) this.#announce(id, session.status);
            session.lastPosition = data.position;
            this.#touch(id);
            return;
          }
          if (name !== "progress") return;
          session.progress.add(data);
          session.status = session.progress.status();
          this.#touch(id);
        },
      });
      if (result.cached) {
        this.#startReplay(session, result);
      } else {
        session.result = result;
        session.setStatus("Done.", "done");
        this.#announce(id, `Done. ${result.summary}`);
      }
    } catch (error) {
      if (session.controller !== controller) return; // a newer run replaced this one
      if (controller.signal.aborted) {
        session.setStatus(session.status.startsWith("Cancelled") ? session.status : "Cancelled.", "idle");
      } else {
        session.error = error.message;
        session.setStatus(failureStatus(error.status), "failed");
        this.#announce(id, `${session.status} ${error.message}`);
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

  /**
   * A stored result plays back its per-epoch curves and filters at a watchable pace, labelled
   * as a replay; Skip (or Cancel) shows the result at once.
   */
  #startReplay(session, result) {
    const events = replayEvents(result);
    const pause = Math.min(REPLAY_MS.most, Math.max(REPLAY_MS.least, REPLAY_MS.total / Math.max(1, events.length)));
    session.progress = new RunProgress(session.id);
    session.replay = { timer: null, result };
    session.setStatus("Replaying a stored run…", "running");
    this.#announce(session.id, "This config was trained before: replaying its stored curves. Press Skip the replay to see the result at once.");
    let next = 0;
    const tick = () => {
      if (!session.replay) return;
      if (next >= events.length) {
        this.#endReplay(session);
        return;
      }
      session.progress.add(events[next]);
      next += 1;
      session.status = `Replaying a stored run: ${session.progress.status()}`;
      this.#touch(session.id);
      session.replay.timer = setTimeout(tick, pause);
    };
    tick();
  }

  #stopReplayTimer(session) {
    if (session.replay?.timer != null) clearTimeout(session.replay.timer);
  }

  #endReplay(session) {
    if (!session.replay) return;
    this.#stopReplayTimer(session);
    const { result } = session.replay;
    session.replay = null;
    session.result = result;
    session.setStatus("Done (replayed: this config was trained before, and the server kept its result).", "done");
    this.#announce(session.id, `Done. ${result.summary}`);
    if (session.id === this.state.exp) this.#renderSession();
  }

  /** Say something to screen readers once (the status line changes too often for a live region). */
  #announce(id, text) {
    if (id === this.state.exp) $("run-announce").textContent = text;
  }

  #queued(session, seconds) {
    this.#stopCountdown(session);
    let left = seconds;
    const tick = () => {
      session.setStatus(left > 0
        ? `Queued: the server is training other runs. Starting in ${left} s…`
        : "Queued: asking the server again…", "queued");
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
    const running = session.running || session.replay !== null;
    // the focused button is about to be disabled: hand the focus to the other one
    const focused = document.activeElement;
    $("train-button").disabled = running;
    $("cancel-button").disabled = !running;
    $("skip-button").hidden = session.replay === null;
    $("replay-label").hidden = session.replay === null;
    // where the student is (beside Train): the run's state, also on a phone
    const inline = $("run-inline");
    inline.hidden = !running;
    const done = session.statusState === "queued" ? "" : ` (${Math.round(100 * (session.progress?.fraction ?? 0))} % done)`;
    inline.textContent = running ? `${session.status}${done}` : "";
    inline.dataset.state = session.statusState;
    if (focused === $("train-button") && running) $("cancel-button").focus();
    if (focused === $("cancel-button") && !running) $("train-button").focus();
    this.form?.setDisabled(running);
    this.prediction.lock(running);
    this.view.show(session, this.state.cfg[id].epochs);
    if (session.result) {
      this.prediction.reveal(revealText(this.state.runGuess[id] ?? null, measuredAnswer(session.result)));
      this.#renderRunNote();
    } else {
      this.prediction.clearReveal();
    }
  }

  /** Say so when the settings no longer match the result shown. */
  #renderRunNote() {
    const { result } = this.sessions[this.state.exp];
    if (!result) return;
    const settings = { ...result.config, ...this.state.cfg[this.state.exp] };
    this.view.markSettingsChanged(JSON.stringify(settings) !== JSON.stringify(result.config));
  }
}

new ExperimentsPage().start();
