// The /teach page (the projector): start a session, show how to join, ask a question with one
// seed for everyone, follow the live counts, close → distribution without the right answer,
// re-vote → round 1 beside round 2, reveal, the progress board, participants, export, end.
// The teacher's token is kept in localStorage (and the API's HttpOnly cookie), so a reload comes
// back to the same session with its state read from the API.

import { ApiError } from "../api.js";
import { $, el } from "../dom.js";
import { MAX_SEED, drawSeed, parseSeed } from "../exercise_answers.js";
import { SessionClient, askableQuestions, createSession, reopenStored } from "../session_api.js";
import { TEACHER_KEY, answeredText, normalizeCode, readStored, studentsText, writeStored } from "../session_state.js";
import { ProgressBoard } from "../widgets/progress_board.js";
import { QrCode } from "../widgets/qr_code.js";
import { QuestionView } from "../widgets/question_view.js";
import { RevealView } from "../widgets/reveal_view.js";
import { RoundChart } from "../widgets/round_chart.js";


/** How often the progress board is read again (it has no event of its own). */
const PROGRESS_EVERY_MS = 5000;

class TeachPage {
  constructor() {
    this.client = null;
    this.question = null; // the current question object
    this.present = 0;
    this.answered = 0;
    this.stream = null; // AbortController of the event stream
    this.progressTimer = null;
    this.askable = [];
    this.qr = new QrCode($("join-qr"));
    this.view = new QuestionView($("question-view"), { promptId: "teach-prompt", showOptions: true });
    this.chart = new RoundChart($("results"));
    this.reveal = new RevealView($("reveal"));
    this.board = new ProgressBoard($("progress-board"));
    this.resultsTicket = 0;
    this.#wire();
  }

  #wire() {
    $("session-start").addEventListener("click", () => this.start());
    $("ask-random").addEventListener("click", () => {
      $("ask-seed").value = String(drawSeed(parseSeed($("ask-seed").value)));
    });
    $("ask-exercise").addEventListener("change", () => this.#seedFieldForChoice());
    $("ask-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    $("step-close").addEventListener("click", () => this.step("close"));
    $("step-revote").addEventListener("click", () => this.step("revote"));
    $("step-reveal").addEventListener("click", () => this.step("reveal"));
    $("export-csv").addEventListener("click", (event) => {
      event.preventDefault();
      this.exportCsv();
    });
    $("session-end").addEventListener("click", () => $("end-dialog").showModal());
    $("end-dialog").addEventListener("close", () => {
      if ($("end-dialog").returnValue === "end") this.end();
    });
  }

  /** Come back to the stored session, if the server still has it. */
  async resume() {
    this.#loadAskable();
    const stored = readStored(window.localStorage, TEACHER_KEY);
    if (!stored) return;
    const { client, state, error, over } = await reopenStored(window.localStorage, TEACHER_KEY, stored);
    if (client) this.#open(client, state);
    else if (over) $("start-status").textContent = `Session ${stored.code} is over (ended or expired): start a new one.`;
    else $("start-error").textContent = `Could not reach session ${stored.code}: ${error.message}`;
  }

  async start() {
    $("start-error").textContent = "";
    $("start-status").textContent = "";
    $("session-start").disabled = true;
    try {
      const created = await createSession();
      const client = new SessionClient(created.code, created.teacher_token);
      writeStored(window.localStorage, TEACHER_KEY, { code: created.code, token: created.teacher_token });
      this.#open(client, await client.state());
    } catch (error) {
      $("start-error").textContent = `Could not start a session: ${error.message}`;
    } finally {
      $("session-start").disabled = false;
    }
  }

  /** Show the session's board and follow its events. */
  #open(client, state) {
    this.client = client;
    $("teach-intro").hidden = true;
    $("teach-board").hidden = false;
    document.body.classList.add("is-teaching");
    const url = `${window.location.origin}${state.join_url ?? `/join?code=${encodeURIComponent(client.code)}`}`;
    $("join-url").href = url;
    $("join-url").textContent = url.replace(/^https?:\/\//, "");
    $("join-code").textContent = normalizeCode(state.code);
    this.qr.draw(url);
    $("export-csv").href = `/api/sessions/${encodeURIComponent(client.code)}/export.csv`;
    $("export-csv").download = `convlab-session-${client.code}.csv`;
    if (state.expires_at) {
      const when = new Date(state.expires_at);
      $("session-expiry").textContent = `Code ${client.code}. Deleted automatically at ${when.toLocaleString()} if not ended before.`;
    }
    this.#showPeople(state);
    if (state.current) this.#showQuestion(state.current);
    this.stream?.abort();
    this.stream = client.follow((event) => this.#onEvent(event), {
      onStatus: (status) => {
        $("stream-status").textContent = status === "live" ? "" : "Connection lost: reconnecting…";
      },
      onGone: () => this.#ended("This session has ended."),
    });
    this.#refreshProgress();
    this.progressTimer = setInterval(() => this.#refreshProgress(), PROGRESS_EVERY_MS);
  }

  #onEvent({ event, data }) {
    if (event === "participants") {
      this.present = data.count;
      this.#showCounts();
      this.#refreshPeople();
    } else if (event === "answers") {
      if (this.question && data.id === this.question.id && data.round === this.question.round) {
        this.answered = data.answered;
        this.#showCounts();
      }
    } else if (event === "question") {
      this.#showQuestion(data);
    } else if (event === "closed" || event === "reveal") {
      if (this.question && data.id === this.question.id) {
        this.#showQuestion({ ...this.question, round: data.round, state: data.state, reveal: data.reveal ?? this.question.reveal });
      }
    } else if (event === "ended") {
      this.#ended(data?.reason === "expired" ? "This session has expired." : "This session has ended.");
    }
  }

  #showPeople(state) {
    if (Number.isInteger(state.participants)) this.present = state.participants;
    this.#showCounts();
    const names = state.nicknames ?? [];
    const anonymous = this.present - names.length;
    const items = names.map((name) => el("li", { textContent: name }));
    if (anonymous > 0) items.push(el("li", { className: "anonymous", textContent: `${anonymous} without a nickname` }));
    if (items.length === 0) items.push(el("li", { className: "anonymous", textContent: "Nobody has joined yet." }));
    $("participants").replaceChildren(...items);
  }

  async #refreshPeople() {
    if (this.peopleBusy) return;
    this.peopleBusy = true;
    try {
      this.#showPeople(await this.client.state());
    } catch {
      // the next event asks again
    } finally {
      this.peopleBusy = false;
    }
  }

  #showCounts() {
    $("present-count").textContent = String(this.present);
    $("present-word").textContent = studentsText(this.present).replace(/^\d+ /, "");
    if (this.question) {
      $("answered").textContent = this.question.state === "open"
        ? `Round ${this.question.round}: ${answeredText(this.answered, this.present)}`
        : "";
    }
  }

  /** Show the current question in its state (new, round 2, closed, revealed). */
  #showQuestion(question) {
    const fresh = !this.question || this.question.id !== question.id;
    const newRound = fresh || this.question.round !== question.round;
    this.question = question;
    if (newRound) this.answered = 0;
    $("question-panel").hidden = false;
    $("question-heading").textContent = question.title ?? question.exercise;
    const states = {
      open: "open: students are answering",
      closed: "closed: discuss, re-vote or reveal",
      revealed: "revealed",
    };
    $("question-round").textContent = `Round ${question.round} · ${states[question.state] ?? question.state}`;
    if (fresh) this.view.show(question);
    $("step-close").disabled = question.state !== "open";
    $("step-revote").disabled = question.state !== "closed";
    $("step-reveal").disabled = question.state === "revealed";
    // the step a teacher usually takes next stands out
    $("step-close").classList.toggle("primary", question.state === "open");
    $("step-revote").classList.toggle("primary", question.state === "closed" && question.round === 1);
    $("step-reveal").classList.toggle("primary", question.state === "closed" && question.round > 1);
    $("step-error").textContent = "";
    this.#showCounts();
    if (question.state === "revealed" && question.reveal) this.reveal.show(question.reveal, question);
    else this.reveal.clear();
    this.#showResults();
  }

  /** Closed rounds as bars (an open round's answers stay hidden so they cannot sway the room). */
  async #showResults() {
    const question = this.question;
    const ticket = ++this.resultsTicket;
    const shownRounds = question.state === "open" ? question.round - 1 : question.round;
    if (shownRounds < 1) {
      this.chart.clear();
      return;
    }
    let results;
    try {
      results = await this.client.results(question.id);
    } catch (error) {
      if (ticket === this.resultsTicket) $("step-error").textContent = `Could not read the answers: ${error.message}`;
      return;
    }
    if (ticket !== this.resultsTicket) return;
    const rounds = results.rounds.filter((r) => r.round <= shownRounds);
    if (rounds.length === 0) {
      this.chart.clear();
      return;
    }
    this.chart.draw(rounds);
    if (question.state === "revealed") this.#markRight(rounds);
  }

  /** After the reveal only: the right answer's row is marked (in words, not colour alone). */
  #markRight(rounds) {
    const right = new Set(rounds.flatMap((r) => r.distribution.filter((d) => d.correct).map((d) => d.answer)));
    for (const row of $("results").querySelectorAll("tr[data-answer]")) {
      if (!right.has(row.dataset.answer)) continue;
      row.classList.add("is-right");
      const label = row.querySelector(".answer-label");
      label.append(el("span", { className: "right-mark", textContent: " ✓ right" }));
    }
  }

  async #loadAskable() {
    try {
      this.askable = await askableQuestions();
    } catch (error) {
      $("ask-error").textContent = `Could not load the questions: ${error.message}`;
      return;
    }
    const select = $("ask-exercise");
    const groups = [["exercise", "Exercises (numbers from the seed)"], ["experiment", "Experiment predictions"]];
    for (const [source, label] of groups) {
      const items = this.askable.filter((q) => (q.source ?? "exercise") === source);
      if (items.length === 0) continue;
      select.append(el("optgroup", { label }, ...items.map((q) => el("option", {
        value: q.exercise,
        textContent: q.question ? `${q.question} · ${q.title}` : q.title,
      }))));
    }
    if (!$("ask-seed").value) $("ask-seed").value = String(drawSeed(null));
    this.#seedFieldForChoice();
  }

  #chosen() {
    return this.askable.find((q) => q.exercise === $("ask-exercise").value);
  }

  /** An experiment's prediction has no numbers to draw: its seed field is off. */
  #seedFieldForChoice() {
    const experiment = this.#chosen()?.source === "experiment";
    $("ask-seed").disabled = experiment;
    $("ask-random").disabled = experiment;
  }

  async ask() {
    const chosen = this.#chosen();
    if (!chosen || !this.client) return;
    let seed = 0;
    if (chosen.source !== "experiment") {
      seed = parseSeed($("ask-seed").value.trim());
      if (seed === null) {
        $("ask-error").textContent = `The seed must be a whole number from 0 to ${MAX_SEED}.`;
        $("ask-seed").setAttribute("aria-invalid", "true");
        return;
      }
    }
    $("ask-seed").removeAttribute("aria-invalid");
    $("ask-error").textContent = "";
    $("ask-button").disabled = true;
    try {
      this.#showQuestion(await this.client.ask(chosen.exercise, seed));
      $("question-panel").scrollIntoView({ block: "start" });
    } catch (error) {
      $("ask-error").textContent = error.message;
    } finally {
      $("ask-button").disabled = false;
    }
  }

  /** @param {"close" | "revote" | "reveal"} step */
  async step(step) {
    if (!this.question) return;
    $("step-error").textContent = "";
    try {
      this.#showQuestion(await this.client.step(this.question.id, step));
      // the button pressed is now disabled: keep the keyboard on the next step (or the next question)
      (document.querySelector(".teacher-steps .primary:not(:disabled)") ?? $("ask-exercise")).focus();
    } catch (error) {
      $("step-error").textContent = error.message;
    }
  }

  async #refreshProgress() {
    if (!this.client || document.hidden) return;
    try {
      this.board.draw(await this.client.progress());
    } catch {
      // shown again at the next refresh
    }
  }

  async exportCsv() {
    $("session-error").textContent = "";
    try {
      const blob = await this.client.exportCsv();
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: $("export-csv").download });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      $("session-error").textContent = `Could not export: ${error.message}`;
    }
  }

  async end() {
    $("session-error").textContent = "";
    try {
      await this.client.end();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        $("session-error").textContent = `Could not end the session: ${error.message}`;
        return;
      }
    }
    this.#ended("Session ended: its answers, nicknames and progress are deleted.");
  }

  #ended(message) {
    this.stream?.abort();
    clearInterval(this.progressTimer);
    writeStored(window.localStorage, TEACHER_KEY, null);
    this.client = null;
    this.question = null;
    document.body.classList.remove("is-teaching");
    $("teach-board").hidden = true;
    $("teach-intro").hidden = false;
    $("start-status").textContent = message;
  }
}

new TeachPage().resume();
