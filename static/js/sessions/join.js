// The /join page (a student's phone): type the code (prefilled from /join/CODE or ?code=) and
// an optional nickname, then follow the session: the question within a second of being asked,
// an answer that can be changed until the round closes, waiting, closed, the reveal, the end.
// The participant's token stays in localStorage so a reload (and the lesson pages' banner)
// keeps the student in the session; the page only ever shows this student's own answer.

import { ApiError } from "../api.js";
import { SessionClient, joinSession, reopenStored } from "../session_api.js";
import { PARTICIPANT_KEY, codeFromLocation, normalizeCode, readStored, writeStored } from "../session_state.js";
import { RevealView } from "../widgets/reveal_view.js";
import { SessionAnswer } from "../widgets/session_answer.js";
import { $ } from "../dom.js";


class JoinPage {
  constructor() {
    this.client = null;
    this.stream = null;
    this.reconnecting = false;
    this.statusWhenLive = null;
    this.shown = null; // {id, round, exercise, title} of the question on screen
    this.answer = new SessionAnswer($("student-question"), (text) => this.#send(text));
    this.reveal = new RevealView($("student-reveal"));
    $("join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.join();
    });
    $("join-code-input").addEventListener("input", (event) => {
      const input = event.target;
      const normal = normalizeCode(input.value);
      if (input.value !== normal) input.value = normal;
    });
    $("student-leave").addEventListener("click", () => this.leave());
  }

  async start() {
    const fromUrl = codeFromLocation(window.location.pathname, window.location.search);
    const stored = readStored(window.localStorage, PARTICIPANT_KEY);
    if (stored && (!fromUrl || fromUrl === stored.code)) {
      const { client, state, error, over } = await reopenStored(window.localStorage, PARTICIPANT_KEY, stored);
      if (client) return this.#enter(client, state);
      $("join-error").textContent = over ? `Session ${stored.code} is over.` : `Could not reach session ${stored.code}: ${error.message}`;
    }
    this.#showForm(fromUrl || "");
  }

  #showForm(code) {
    document.body.classList.remove("in-session");
    $("student").hidden = true;
    $("join-form").hidden = false;
    $("join-code-input").value = code;
    (code ? $("join-nickname") : $("join-code-input")).focus();
  }

  async join() {
    const code = normalizeCode($("join-code-input").value);
    const nickname = $("join-nickname").value.trim();
    if (!code) {
      $("join-error").textContent = "Type the code shown on the projector.";
      $("join-code-input").setAttribute("aria-invalid", "true");
      return;
    }
    $("join-code-input").removeAttribute("aria-invalid");
    $("join-error").textContent = "";
    $("join-button").disabled = true;
    try {
      const joined = await joinSession(code, nickname);
      const realCode = joined.code ?? code;
      writeStored(window.localStorage, PARTICIPANT_KEY, { code: realCode, token: joined.participant_token });
      const client = new SessionClient(realCode, joined.participant_token);
      this.#enter(client, await client.state());
    } catch (error) {
      $("join-error").textContent = error instanceof ApiError && error.status === 404
        ? `No session with the code ${code}: check the code on the projector.`
        : error.message;
    } finally {
      $("join-button").disabled = false;
    }
  }

  #enter(client, state) {
    this.client = client;
    $("join-form").hidden = true;
    $("student").hidden = false;
    document.body.classList.add("in-session");
    $("student-code").textContent = client.code;
    const url = new URL(window.location.href);
    if (url.pathname !== `/join/${client.code}`) history.replaceState(null, "", `/join/${client.code}`);
    const current = state.current;
    if (current) {
      const mine = state.my_answer && state.my_answer.round === current.round ? state.my_answer.answer : null;
      this.#showQuestion(current, mine);
      if (current.state === "closed") this.#closed();
      if (current.state === "revealed") this.#revealed(current.reveal);
    } else {
      this.#waiting();
    }
    this.stream?.abort();
    this.stream = client.follow((event) => this.#onEvent(event), {
      onStatus: (status) => {
        this.reconnecting = status === "reconnecting";
        $("student-status").textContent = this.reconnecting ? "Connection lost: reconnecting…" : this.statusWhenLive ?? "";
      },
      onGone: () => this.#ended(),
    });
  }

  #onEvent({ event, data }) {
    if (event === "question") {
      const same = this.shown && this.shown.id === data.id && this.shown.round === data.round;
      if (!same) this.#showQuestion(data, null);
      else if (data.state === "open") this.#open();
    } else if (event === "closed") {
      if (this.shown?.id === data.id) this.#closed();
    } else if (event === "reveal") {
      if (this.shown?.id !== data.id) return;
      this.#revealed(data.reveal);
    } else if (event === "ended") {
      this.#ended();
    }
  }

  /** The state in words; while the stream reconnects, that is shown instead, then this. */
  #status(text) {
    this.statusWhenLive = text;
    if (!this.reconnecting) $("student-status").textContent = text;
  }

  #waiting() {
    this.shown = null;
    $("student-question").hidden = true;
    this.reveal.clear();
    $("student-round").textContent = "";
    this.#status("Waiting for your teacher's question…");
  }

  #showQuestion(question, mine) {
    this.shown = { id: question.id, round: question.round, exercise: question.exercise, title: question.title };
    $("student-question").hidden = false;
    this.reveal.clear();
    $("student-round").textContent = question.round > 1 ? `· round ${question.round}` : "";
    this.answer.show(question, mine);
    this.#open();
    if (question.state === "closed") this.#closed();
    if (question.state === "revealed") this.#revealed(question.reveal);
  }

  #open() {
    this.answer.setOpen(true);
    this.#status(this.shown?.round > 1
      ? `Round ${this.shown.round}: discuss with your neighbour, then answer again.`
      : "Answer the question; you can change your answer until the round closes.");
  }

  #closed() {
    this.answer.setOpen(false);
    this.#status("The round is closed. Look at the projector and discuss with your neighbour.");
  }

  #revealed(reveal) {
    this.answer.setOpen(false);
    this.#status("The answer is revealed.");
    if (reveal) this.reveal.show(reveal, this.shown ?? {});
  }

  async #send(text) {
    if (!this.shown) throw new Error("there is no open question");
    try {
      await this.client.answer(this.shown.id, text);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        this.#closed();
        throw new Error("Too late: the round has closed.");
      }
      throw error;
    }
  }

  #ended() {
    this.stream?.abort();
    this.reconnecting = false;
    writeStored(window.localStorage, PARTICIPANT_KEY, null);
    this.answer.setOpen(false);
    $("student-question").hidden = true;
    this.reveal.clear();
    $("student-leave").hidden = true;
    this.#status("This session has ended. Thank you!");
  }

  leave() {
    this.stream?.abort();
    writeStored(window.localStorage, PARTICIPANT_KEY, null);
    this.client = null;
    this.shown = null;
    history.replaceState(null, "", "/join");
    $("join-error").textContent = "";
    this.#showForm("");
  }
}

new JoinPage().start();
