// A "Your turn" exercise block: the prompt with its numbers, an answer field fitting the
// answer_format, Check and New exercise. Predict first: a right check shows "Right" and the
// worked answer; a first wrong check shows only that it is wrong and the hint for the likely
// mistake, with another try and a "Show the answer" button; the worked answer (expected value,
// explanation, every option's why) appears after a second wrong check or on that button. The
// API returns the expected value with every check; it stays in memory, out of the DOM, until
// then. Exercises come from GET /api/exercises/{id}?seed=S, checked by POST .../check.
//
// Events:
//  - "exercise:load"   (section, bubbling) detail {id, seed, inputs}: a (new) exercise is shown
//  - "exercise:checked" (section, bubbling) detail {id, seed, correct}: after every check (the
//    student has committed to a prediction; spoiler_gate.js opens what answers it)
//  - "exercise:reveal" (section, bubbling) detail {id, seed, inputs, answer, correct, expected,
//    expected_value, mistake}: the answer may now be shown; a page that shows the exercise on its
//    own widgets sets detail.shown = {target, text} (the widget's element id and a few words),
//    and the reveal links there
//  - "convlab:exercise-outcome" (document) detail {exercise, seed, outcome}: the exercise has
//    settled, outcome "first-try" | "after-hint" | "shown" (once per exercise and seed)

import { getJSON, postJSON } from "../api.js";
import { chooseSeed, collectAnswer, drawSeed, seedParam } from "../exercise_answers.js";
import { $, el, withSubscripts } from "../dom.js";
import { describeRecord, readProgress, recordCheck, recordShown, seedState } from "../exercise_progress.js";
import { answerField, answerValue, givenFigures } from "./question_view.js";

let listPromise = null;

// The fragment the page was opened with (#yt-ID from /tutorial), read before a page module
// puts its own state into the fragment.
const landingHash = window.location.hash;

/** A number written for reading: the typographic minus (U+2212), not a hyphen. */
const withMinus = (text) => String(text).replace(/-(?=[\d.])/g, "\u2212");

/**
 * GET /api/exercises once per page: [{id, question, questions, page, title}].
 * @returns {Promise<Array<{id: string, question: string, questions: string[], page: string, title: string}>>}
 */
export function exerciseList() {
  listPromise ??= getJSON("/api/exercises").catch((error) => {
    listPromise = null;
    throw error;
  });
  return listPromise;
}

/** One Your-turn block, mounted on a `<section class="your-turn" data-exercise="ID">`. */
export class ExerciseBlock {
  /** @param {HTMLElement} section */
  constructor(section) {
    this.section = section;
    this.id = section.dataset.exercise;
    if (!this.id) throw new Error("a Your-turn section needs data-exercise");
    this.exercise = null;
    this.storageKey = `convlab.exercise.${this.id}`;
    const base = `yt-${this.id}`;
    this.base = base;
    section.id ||= base;
    section.setAttribute("aria-labelledby", `${base}-title`);

    this.tag = el("span", { className: "question-tag" });
    this.subtitle = el("span", { className: "sub" });
    this.heading = el("h2", { id: `${base}-title` }, "Your turn ", this.tag, this.subtitle);
    this.prompt = el("p", { className: "prompt", id: `${base}-prompt` });
    this.given = el("div", { className: "given" });
    this.fields = el("div", { className: "answer-fields" });
    this.check = el("button", { type: "submit", className: "primary check-button", textContent: "Check" });
    this.fresh = el("button", { type: "button", className: "new-button", textContent: "New exercise" });
    this.form = el("form", { className: "answer-form", noValidate: true }, this.fields, this.check, this.fresh);
    this.error = el("p", { className: "error-message", id: `${base}-error` });
    this.error.setAttribute("role", "alert");
    this.reveal = el("div", { className: "reveal", id: `${base}-reveal` });
    this.reveal.setAttribute("aria-live", "polite");
    this.reveal.setAttribute("aria-atomic", "true");
    this.progress = el("p", { className: "exercise-progress" });
    this.wrong = 0; // wrong checks of this seed so far
    this.lastCheck = null; // {answer, result} of the latest check, kept out of the DOM
    section.replaceChildren(this.heading, this.prompt, this.given, this.form, this.error, this.reveal, this.progress);

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.fresh.addEventListener("click", () => this.load(drawSeed(this.seed), { focus: true }));
    this.#start();
    this.#showProgress();
  }

  /** Show the exercise the URL or the last visit named, once the server says it offers it. */
  async #start() {
    let entry;
    try {
      entry = (await exerciseList()).find((e) => e.id === this.id);
    } catch (error) {
      this.error.textContent = `Could not load the exercises: ${error.message}`;
      return;
    }
    if (!entry) {
      // a page newer than its server: the block stays out of the way until the server has it
      this.section.hidden = true;
      this.section.dataset.unavailable = "true";
      return;
    }
    this.#showTitle(entry);
    const params = new URLSearchParams(window.location.search);
    let stored = null;
    try {
      stored = window.localStorage.getItem(this.storageKey);
    } catch {
      stored = null;
    }
    await this.load(chooseSeed(params.get(seedParam(this.id)), stored).seed);
    if (landingHash === `#${this.section.id}`) this.#land();
  }

  /**
   * A link to this block (#yt-ID, as /tutorial writes them) lands on it: scrolled into view and
   * focused. The page's other widgets may still be drawing above it, so the block is kept in
   * view while the page settles (at most 3 s), until the student scrolls, taps or types.
   */
  #land() {
    const section = this.section;
    section.tabIndex = -1;
    const place = () => section.scrollIntoView({ block: "start" });
    place();
    section.focus({ preventScroll: true });
    const stop = () => {
      observer.disconnect();
      clearTimeout(timer);
      for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) window.removeEventListener(type, stop);
    };
    const observer = new ResizeObserver(place);
    observer.observe(document.body);
    const timer = setTimeout(stop, 3000);
    for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) window.addEventListener(type, stop, { passive: true });
  }

  /**
   * Show the exercise of this seed (and remember the seed in the URL and localStorage).
   * @param {{focus?: boolean}} [options] move the focus to the answer field once shown
   */
  async load(seed, options = {}) {
    this.seed = seed;
    this.#rememberSeed(seed);
    this.reveal.replaceChildren();
    this.error.textContent = "";
    this.lastCheck = null;
    this.wrong = this.#storedState(seed).wrong;
    this.section.classList.add("stale");
    let exercise;
    try {
      exercise = await getJSON(`/api/exercises/${encodeURIComponent(this.id)}?seed=${seed}`);
    } catch (error) {
      if (seed !== this.seed) return;
      this.section.classList.remove("stale"); // the message reads at full contrast
      this.error.textContent = `Could not load this exercise: ${error.message}`;
      return;
    }
    if (seed !== this.seed) return; // a newer one was asked for meanwhile
    this.exercise = exercise;
    this.section.classList.remove("stale");
    this.section.dataset.seed = String(seed);
    // ℝ^784, Y_ij, X_(i+a−1, j+b−1) written as super- and subscripts, as in the tutorial
    this.prompt.replaceChildren(...withSubscripts(exercise.prompt, "span").childNodes);
    this.#showGiven(exercise.inputs);
    try {
      this.#showFields(exercise.answer_format, exercise.inputs);
    } catch (error) {
      this.error.textContent = `This page cannot show this exercise's answer field: ${error.message}`;
      return;
    }
    this.section.dispatchEvent(new CustomEvent("exercise:load", {
      bubbles: true, detail: { id: this.id, seed, inputs: exercise.inputs },
    }));
    if (options.focus) this.#firstField()?.focus();
  }

  /** Check the answer with the API and reveal the result. */
  async submit() {
    if (!this.exercise) return;
    const format = this.exercise.answer_format;
    const collected = collectAnswer(format, answerValue(this.fields));
    if ("error" in collected) {
      this.error.textContent = collected.error;
      this.#firstField()?.setAttribute("aria-invalid", "true");
      return;
    }
    const seed = this.seed;
    let result;
    try {
      result = await postJSON(`/api/exercises/${encodeURIComponent(this.id)}/check`, { seed, answer: collected.answer });
    } catch (error) {
      this.error.textContent = error.message;
      this.#firstField()?.setAttribute("aria-invalid", "true");
      return;
    }
    if (seed !== this.seed) return;
    this.error.textContent = "";
    this.#firstField()?.removeAttribute("aria-invalid");
    this.lastCheck = { answer: collected.answer, result };
    this.section.dispatchEvent(new CustomEvent("exercise:checked", {
      bubbles: true, detail: { id: this.id, seed, correct: result.correct },
    }));
    const { outcome, wrong, settled } = this.#record(seed, result.correct);
    this.wrong = wrong;
    if (!result.correct && !settled) {
      this.#showTryAgain(result);
    } else {
      this.#showAnswer(collected.answer, result);
    }
    this.#showProgress();
    if (outcome) this.#announce(seed, outcome);
  }

  /** Show the worked answer of the latest check (the "Show the answer" button). */
  showAnswer() {
    if (!this.lastCheck) return;
    const seed = this.seed;
    let outcome = null;
    try {
      outcome = recordShown(window.localStorage, this.id, seed).outcome;
    } catch {
      outcome = "shown";
    }
    this.#showAnswer(this.lastCheck.answer, { ...this.lastCheck.result, shownOnRequest: true });
    this.#showProgress();
    if (outcome) this.#announce(seed, outcome);
    this.reveal.querySelector(".answer-line")?.focus();
  }

  /** Record a check; storage may be unavailable, then the block counts in memory. */
  #record(seed, correct) {
    try {
      const { outcome, wrong, record } = recordCheck(window.localStorage, this.id, seed, correct);
      return { outcome, wrong, settled: record.settled };
    } catch {
      const settled = this.settledInMemory === seed;
      let outcome = null;
      if (!settled && (correct || this.wrong >= 1)) {
        outcome = correct ? (this.wrong === 0 ? "first-try" : "after-hint") : "shown";
        this.settledInMemory = seed;
      }
      return { outcome, wrong: this.wrong + (correct || settled ? 0 : 1), settled: settled || outcome !== null };
    }
  }

  #storedState(seed) {
    try {
      return seedState(window.localStorage, this.id, seed);
    } catch {
      return { wrong: 0, settled: false };
    }
  }

  /** The exercise has settled: tell the page (class sessions count these). */
  #announce(seed, outcome) {
    document.dispatchEvent(new CustomEvent("convlab:exercise-outcome", {
      detail: { exercise: this.id, seed, outcome },
    }));
  }

  /**
   * A link from the reveal to the widget where the page now shows the exercise (the page's
   * listener sets detail.shown = {target: element id, text}).
   * @param {{target: string, text: string} | undefined} shown
   */
  #showWhere(shown) {
    if (!shown || !$(shown.target)) return;
    const link = el("a", { href: `#${shown.target}`, textContent: shown.text });
    this.reveal.append(el("p", { className: "shown-in" }, "On this page: ", link, "."));
  }

  #showTitle(entry) {
    if (!entry) return;
    this.tag.textContent = entry.questions?.length ? entry.questions.join(", ") : entry.question;
    this.subtitle.textContent = entry.title;
  }

  #showGiven(inputs) {
    this.given.replaceChildren(...givenFigures(inputs));
  }

  #showFields(format, inputs) {
    const ids = { prefix: this.base, textId: `${this.base}-answer`, helpId: `${this.base}-help`, promptId: this.prompt.id, errorId: this.error.id, numeric: true };
    this.fields.replaceChildren(answerField(format, inputs.options ?? [], ids));
  }

  #firstField() {
    return this.fields.querySelector("input:checked") ?? this.fields.querySelector("input");
  }

  /** A first wrong check: wrong, the hint, another try; the answer stays hidden. */
  #showTryAgain(result) {
    const verdict = el("p", { className: "verdict check-fail" }, "✗ Not quite. Try again.");
    const parts = [verdict];
    if (result.hint) parts.push(el("p", { className: "hint" }, el("strong", { textContent: "Hint: " }), result.hint));
    const show = el("button", { type: "button", className: "show-answer", textContent: "Show the answer" });
    show.addEventListener("click", () => this.showAnswer());
    parts.push(el("p", { className: "try-again" },
      "Change your answer and press Check again. A second wrong check shows the worked answer. ", show));
    this.reveal.replaceChildren(...parts);
  }

  /** The worked answer: after a right check, a second wrong one, or "Show the answer". */
  #showAnswer(answer, result) {
    const text = result.correct ? "✓ Right." : result.shownOnRequest ? "The answer, as you asked." : "✗ Not quite.";
    const verdict = el("p", { className: `verdict ${result.correct ? "check-pass" : "check-fail"}` }, text);
    const expected = el("p", { className: "answer-line", tabIndex: -1 }, `Your answer: `,
      el("span", { className: "expected", textContent: answer }),
      ". The answer: ", el("strong", { className: "expected", textContent: withMinus(result.expected) }), ".");
    const parts = [verdict, expected, el("p", { className: "explanation", textContent: result.explanation })];
    if (!result.correct && result.hint) {
      parts.push(el("p", { className: "hint" }, el("strong", { textContent: "Hint: " }), result.hint));
    }
    if (Array.isArray(result.options)) {
      parts.push(el("ul", { className: "options" }, ...result.options.map((o) => el("li",
        { className: o.correct ? "is-right" : "" },
        `${o.key}) ${o.correct ? "right" : "wrong"}: ${o.explanation}`))));
    }
    this.reveal.replaceChildren(...parts);
    const detail = {
      id: this.id, seed: this.seed, inputs: this.exercise.inputs, answer, correct: result.correct,
      expected: result.expected, expected_value: result.expected_value, mistake: result.mistake,
    };
    this.section.dispatchEvent(new CustomEvent("exercise:reveal", { bubbles: true, detail }));
    this.#showWhere(detail.shown);
  }

  #showProgress() {
    let record;
    try {
      record = readProgress(window.localStorage)[this.id];
    } catch {
      record = undefined;
    }
    this.progress.textContent = `Your progress on this kind: ${describeRecord(record)}.`;
  }

  #rememberSeed(seed) {
    try {
      window.localStorage.setItem(this.storageKey, String(seed));
    } catch {
      // storage disabled: the URL still holds the seed
    }
    const url = new URL(window.location.href);
    url.searchParams.set(seedParam(this.id), String(seed));
    history.replaceState(history.state, "", url);
  }
}
