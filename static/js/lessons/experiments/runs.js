// Running an experiment through POST /api/experiments/{id}/runs, streamed as Server-Sent Events
// (progress while it trains, then one `result` event). A 503 means the server is at its limit
// of runs at once: wait for its Retry-After and ask again, telling the page how long. The fetch
// carries the caller's AbortSignal, so Cancel (or leaving the page) stops the run on the server
// as well. No DOM here.

import { abortableSleep, ApiError, toApiError } from "../../api.js";
import { readEventStream } from "../../sse.js";

/**
 * Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * @param {string | null} header
 * @param {number} [fallback] when the header is missing or unreadable
 * @param {number} [now] ms since the epoch (for the date form)
 * @returns {number} whole seconds, at least 1, at most 120
 */
export function retryAfterSeconds(header, fallback = 2, now = Date.now()) {
  let seconds = fallback;
  const text = (header || "").trim();
  if (/^\d+$/.test(text)) seconds = Number(text);
  else if (text) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) seconds = Math.ceil((at - now) / 1000);
  }
  return Math.min(120, Math.max(1, Math.round(seconds)));
}

/**
 * @typedef {object} RunCallbacks
 * @property {AbortSignal} [signal] aborts the request (and the wait between retries)
 * @property {(name: string, data: any) => void} [onEvent] every event before the result
 *   (`progress`, and whatever else the server sends), its JSON data parsed
 * @property {(seconds: number, attempt: number) => void} [onQueued] the server said 503: the
 *   next attempt starts in `seconds`
 * @property {() => void} [onStart] the server accepted the run (the stream opened)
 * @property {number} [maxAttempts] give up after this many 503s (default 60)
 */

/**
 * Run an experiment and resolve with its result (the `result` event's JSON).
 * @param {string} id experiment id, e.g. "generalization"
 * @param {Record<string, any>} config the request body
 * @param {RunCallbacks} [callbacks]
 * @returns {Promise<any>}
 */
export async function runExperiment(id, config, callbacks = {}) {
  const { signal, onEvent = () => {}, onQueued = () => {}, onStart = () => {}, maxAttempts = 60 } = callbacks;
  const url = `/api/experiments/${encodeURIComponent(id)}/runs`;
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(config),
      signal,
    });
    // a 503 with Retry-After: every training slot is busy (a 503 without it is not a queue)
    if (response.status === 503 && response.headers.has("Retry-After") && attempt < maxAttempts) {
      await response.body?.cancel();
      const seconds = retryAfterSeconds(response.headers.get("Retry-After"));
      onQueued(seconds, attempt);
      await abortableSleep(seconds * 1000, signal);
      continue;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const error = toApiError(response.status, body);
      // a server limit names its field in ctx (its loc is the whole body): point at the control
      const name = body?.detail?.[0]?.ctx?.name;
      if (typeof name === "string" && !(error.field && error.field.length)) error.field = [name];
      throw error;
    }
    onStart();
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) return response.json(); // an answer from the cache
    return readResult(response.body, onEvent);
  }
}

/**
 * Read the event stream until its `result` event.
 * @param {ReadableStream<Uint8Array>} body
 * @param {(name: string, data: any) => void} onEvent
 * @returns {Promise<any>}
 */
async function readResult(body, onEvent) {
  let result;
  let failure = null;
  await readEventStream(body, (event) => {
    if (result !== undefined || failure) return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      failure = new ApiError(502, `the server sent an unreadable "${event.event}" event`);
      return;
    }
    if (event.event === "result") result = data;
    else if (event.event === "error") failure = toApiError(data?.status ?? 500, data);
    else onEvent(event.event, data);
  });
  if (failure) throw failure;
  if (result === undefined) throw new ApiError(502, "the run stopped before it sent a result");
  return result;
}
