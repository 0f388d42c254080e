// What every lesson lab repeats around its API calls: edits wait for a short pause before a
// request goes out (debounce), or, for a lab that answers while the learner draws, go out at a
// steady pace with one request in flight (paced); only the newest request's answer or error is
// shown (LatestOnly, api.js), explanations of one answer are asked once per cell, and the
// figures computed from an answer fade while the input is invalid or the request failed.

import { ApiError, LatestOnly, postJSON } from "./api.js";

/** How long a lab waits after the last edit before it asks the API. */
export const DEBOUNCE_MS = 120;

/** The request loop of one lab: a debounced or paced computation, its newest answer, its explanations. */
export class Lab {
  /** @param {{delayMs?: number, intervalMs?: number}} [options] intervalMs: the pace of paced() */
  constructor({ delayMs = DEBOUNCE_MS, intervalMs = 0 } = {}) {
    this.delayMs = delayMs;
    this.intervalMs = intervalMs;
    this.requests = new LatestOnly();
    this.explanations = new LatestOnly();
    this.explainCache = new Map();
    /** Counts the computations started; an explanation asked for an older one is dropped. */
    this.version = 0;
    this.timer = null;
    /** A paced computation waiting for its turn, and one to run once nothing is in flight. */
    this.waiting = null;
    this.idleTask = null;
    this.busy = false;
    this.runs = 0;
    this.lastStart = -Infinity;
  }

  /**
   * Run `task` once the edits pause for the lab's delay; a newer call replaces a pending one.
   * @param {() => unknown} task
   */
  later(task) {
    this.hold();
    this.timer = window.setTimeout(task, this.delayMs);
  }

  /** Drop the pending computation (an input became invalid, or the lab was hidden). */
  hold() {
    window.clearTimeout(this.timer);
    this.timer = null;
    this.waiting = null;
  }

  /**
   * Run `task` (the whole computation, awaited) at most once per intervalMs and never while
   * the previous one is in flight; a newer call replaces the one waiting.
   * @param {() => Promise<unknown>} task
   */
  paced(task) {
    this.waiting = task;
    this.#pump();
  }

  /**
   * Run `task` now, in place of any paced one waiting (the one in flight turns stale).
   * @param {() => Promise<unknown>} task
   */
  now(task) {
    this.hold();
    this.#start(task);
  }

  /**
   * Run `task` once no computation of now() or paced() is in flight (at once when none is).
   * @param {() => unknown} task
   */
  whenIdle(task) {
    this.idleTask = task;
    if (!this.busy) this.#idle();
  }

  #pump() {
    if (!this.waiting || this.busy || this.timer !== null) return;
    const wait = this.lastStart + this.intervalMs - performance.now();
    if (wait > 0) {
      this.timer = window.setTimeout(() => {
        this.timer = null;
        this.#pump();
      }, wait);
      return;
    }
    const task = this.waiting;
    this.waiting = null;
    this.#start(task);
  }

  async #start(task) {
    const run = ++this.runs;
    this.busy = true;
    this.lastStart = performance.now();
    try {
      await task();
    } finally {
      if (run === this.runs) {
        this.busy = false;
        if (this.waiting) this.#pump();
        else this.#idle();
      }
    }
  }

  #idle() {
    const task = this.idleTask;
    this.idleTask = null;
    task?.();
  }

  /** Make the request in flight stale: its answer and its error are dropped. */
  cancel() {
    this.version += 1;
    this.requests.cancel();
  }

  /**
   * Run the lab's computation as its newest request.
   * @template T
   * @param {(signal: AbortSignal) => Promise<T>} task pass the signal on to postJSON/getJSON
   * @param {(error: Error) => void} onError called with the error of the newest request only
   * @returns {Promise<T | null>} the answer, or null when it failed or a newer request started
   */
  async latest(task, onError) {
    const version = ++this.version;
    let answer;
    try {
      answer = await this.requests.run(task);
    } catch (error) {
      if (version === this.version) onError(error);
      return null;
    }
    if (answer.stale || version !== this.version) return null;
    this.explainCache.clear();
    return answer.value;
  }

  /** POST `body` to `url` as the lab's newest request: latest() for one JSON request. */
  post(url, body, onError) {
    return this.latest((signal) => postJSON(url, body, { signal }), onError);
  }

  /**
   * POST an explanation of the current answer; asked once per key until the next answer.
   * @param {string} key what is explained (the cell)
   * @param {(error: Error) => void} onError called when the newest explanation fails
   * @returns {Promise<any | null>} the explanation, or null when it failed or is out of date
   */
  async explain(key, url, body, onError) {
    const version = this.version;
    let promise = this.explainCache.get(key);
    if (!promise) {
      promise = postJSON(url, body);
      this.explainCache.set(key, promise);
      promise.catch(() => this.explainCache.delete(key));
    }
    let answer;
    try {
      answer = await this.explanations.run(() => promise);
    } catch (error) {
      if (version === this.version) onError(error);
      return null;
    }
    return answer.stale || version !== this.version ? null : answer.value;
  }
}

/** A lab inside a lesson page: the page owns the state and saves it when told. */
export class PanelLab {
  /** @param {{state: object, save: () => void}} options */
  constructor({ state, save }) {
    this.state = state;
    this.save = save;
    this.lab = new Lab();
    this.answer = null;
  }
}

/**
 * Fade (or show again) what was computed from the last answer.
 * @param {Iterable<Element | null>} elements
 */
export function fade(elements, stale) {
  for (const element of elements) element?.classList.toggle("stale", stale);
}

/** The message for a failed request: the API's own words, or that the server could not be reached. */
export function failure(error) {
  return error instanceof ApiError ? error.message : `Could not reach the server (${error.message})`;
}
