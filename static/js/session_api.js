// Talking to the class-session API (docs/sessions-api.md) with a teacher's or a student's
// token as `Authorization: Bearer`, and following the session's Server-Sent Events with
// reconnection. No DOM: the pages decide what to show.

import { ApiError, fetchRetrying, toApiError } from "./api.js";
import { writeStored } from "./session_state.js";
import { readEventStream } from "./sse.js";

const BASE = "/api/sessions";

/**
 * One request to the sessions API; the parsed JSON answer (null for 204), or an ApiError. A 503
 * with Retry-After (the worker's concurrency limit refused it before any work) is retried as
 * every other request of the pages is: an answer sent again replaces itself.
 * @param {{token?: string | null, body?: any, signal?: AbortSignal}} [options]
 * @returns {Promise<any>}
 */
export async function sessionRequest(method, path, options = {}) {
  const headers = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetchRetrying(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    credentials: "same-origin",
  });
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = toApiError(response.status, body);
    if (response.status === 429) {
      const wait = Number(response.headers.get("Retry-After"));
      if (Number.isFinite(wait) && wait > 0 && typeof body?.detail !== "string") {
        error.message = `too many tries: wait ${wait} s and try again`;
      }
    }
    throw error;
  }
  return body;
}

/**
 * Start a session: {code, teacher_token}.
 * @returns {Promise<{code: string, teacher_token: string}>}
 */
export function createSession() {
  return sessionRequest("POST", BASE, { body: {} });
}

/**
 * Join a session: {participant_token}.
 * @param {string} nickname "" for none
 * @returns {Promise<{participant_token: string}>}
 */
export function joinSession(code, nickname) {
  const body = nickname ? { nickname } : {};
  return sessionRequest("POST", `${BASE}/${encodeURIComponent(code)}/join`, { body });
}

/**
 * The questions a teacher can ask: exercise kinds and the experiments' prediction questions.
 * @returns {Promise<Array<{exercise: string, title: string, source?: string, question?: string, page?: string}>>}
 */
export function askableQuestions() {
  return sessionRequest("GET", `${BASE}/questions`);
}

/**
 * Reopen the session a page keeps in `storage` under `key`: {client, state}, or {error, over}
 * when its state cannot be read; a session that is over (401/403/404) is forgotten.
 * @param {Storage} storage
 * @param {string} key TEACHER_KEY or PARTICIPANT_KEY
 * @param {{code: string, token: string}} stored what readStored found there
 */
export async function reopenStored(storage, key, stored) {
  const client = new SessionClient(stored.code, stored.token);
  try {
    return { client, state: await client.state() };
  } catch (error) {
    const over = error instanceof ApiError && [401, 403, 404].includes(error.status);
    if (over) writeStored(storage, key, null);
    return { error, over };
  }
}

/** One session seen with one token (a teacher's or a student's). */
export class SessionClient {
  constructor(code, token) {
    this.code = code;
    this.token = token;
    this.base = `${BASE}/${encodeURIComponent(code)}`;
  }

  /** @param {string} method @param {string} path @param {any} [body] */
  #call(method, path, body) {
    return sessionRequest(method, `${this.base}${path}`, { token: this.token, body });
  }

  /** The session as it is now (the question asked, its round and state, counts). */
  state() {
    return this.#call("GET", "");
  }

  /** @param {string} exercise @param {number} seed */
  ask(exercise, seed) {
    return this.#call("POST", "/questions", { exercise, seed });
  }

  /** @param {string | number} id @param {string} answer the text as typed */
  answer(id, answer) {
    return this.#call("POST", `/questions/${id}/answers`, { answer });
  }

  /** @param {string | number} id @param {"close" | "revote" | "reveal"} step */
  step(id, step) {
    return this.#call("POST", `/questions/${id}/${step}`, {});
  }

  /** @param {string | number} id */
  results(id) {
    return this.#call("GET", `/questions/${id}/results`);
  }

  participants() {
    return this.#call("GET", "/participants");
  }

  progress() {
    return this.#call("GET", "/progress");
  }

  /** @param {{exercise: string, seed: number, outcome: string}} body */
  reportProgress(body) {
    return this.#call("POST", "/progress", body);
  }

  /** End the session: the server deletes everything it holds about it. */
  end() {
    return this.#call("DELETE", "");
  }

  /**
   * The results as CSV text (fetched with the token, so the page can offer it as a file).
   * @returns {Promise<Blob>}
   */
  async exportCsv() {
    const response = await fetch(`${this.base}/export.csv`, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw toApiError(response.status, await response.json().catch(() => null));
    return response.blob();
  }

  /**
   * Follow the session's events until the returned controller aborts: reconnects after a
   * dropped stream (sending Last-Event-ID so the server resumes), and ends for good on
   * 401/403/404 (the session is over or the token is not valid).
   * @param {(event: {event: string, data: any, id: string}) => void} onEvent
   * @param {{onStatus?: (status: "live" | "reconnecting") => void, onGone?: (error: ApiError) => void}} [options]
   * @returns {AbortController}
   */
  follow(onEvent, options = {}) {
    const controller = new AbortController();
    this.#follow(onEvent, options, controller.signal);
    return controller;
  }

  async #follow(onEvent, options, signal) {
    let lastId = "";
    let delay = 500;
    while (!signal?.aborted) {
      try {
        const headers = { Authorization: `Bearer ${this.token}`, Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await fetch(`${this.base}/events`, { headers, signal, cache: "no-store" });
        if (!response.ok || !response.body) {
          const error = toApiError(response.status, await response.json().catch(() => null));
          if ([401, 403, 404, 410].includes(response.status)) {
            options.onGone?.(error);
            return;
          }
          throw error;
        }
        options.onStatus?.("live");
        delay = 500;
        await readEventStream(response.body, (event) => {
          if (event.id) lastId = event.id;
          let data = null;
          try {
            data = event.data ? JSON.parse(event.data) : null;
          } catch {
            data = event.data;
          }
          onEvent({ event: event.event, data, id: event.id });
        });
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof ApiError && error.status < 500 && error.status !== 429) {
          options.onGone?.(error);
          return;
        }
      }
      if (signal?.aborted) return;
      options.onStatus?.("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay * (1 + 0.5 * Math.random())));
      delay = Math.min(5000, delay * 2);
    }
  }
}
