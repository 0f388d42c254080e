// Talking to the ConvLab JSON API. No DOM here: pages decide where messages go.

/** An API answer that was not 2xx, with a message a student can read. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} message readable text, e.g. "kernel 5×5 is larger than the padded input 4×4"
   * @param {Array<string|number>|null} field location of the bad field, when the API said
   */
  constructor(status, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
}

/** pydantic's validation messages, said in plain words after the field's name. */
const PLAIN_WORDS = [
  [/^Input should be greater than or equal to (\S+)$/, "must be at least $1"],
  [/^Input should be less than or equal to (\S+)$/, "must be at most $1"],
  [/^Input should be greater than (\S+)$/, "must be more than $1"],
  [/^Input should be less than (\S+)$/, "must be less than $1"],
  [/^Input should be a valid integer.*$/, "must be a whole number"],
  [/^Input should be a valid number.*$/, "must be a number"],
  [/^Input should be a finite number$/, "must be a finite number"],
  [/^Field required$/, "is missing"],
  [/^List should have at least (\d+) items?.*$/, "needs at least $1 values"],
  [/^List should have at most (\d+) items?.*$/, "takes at most $1 values"],
];

/** @param {string} msg @returns {string | null} */
function plainWords(msg) {
  for (const [pattern, words] of PLAIN_WORDS) if (pattern.test(msg)) return msg.replace(pattern, words);
  return null;
}

/** Readable names of request fields, by dotted location ("fc.in_features" → "n_in"). */
const FIELD_NAMES = new Map();

/**
 * Name request fields the way the page labels them, for error messages.
 * @param {Record<string, string>} names e.g. {"fc.in_features": "n_in"}
 */
export function nameFields(names) {
  for (const [loc, name] of Object.entries(names)) FIELD_NAMES.set(loc, name);
}

/** @param {Array<string|number>} loc */
function fieldName(loc) {
  if (!loc.length) return "";
  const dotted = loc.join(".");
  return FIELD_NAMES.get(dotted) ?? FIELD_NAMES.get(String(loc[loc.length - 1])) ?? dotted;
}

/**
 * Turn a FastAPI error body into one readable sentence.
 * @param {any} body parsed JSON (or null)
 * @returns {ApiError}
 */
export function toApiError(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (Array.isArray(detail) && detail.length > 0) {
    const first = detail[0];
    const loc = (first.loc || []).filter((p) => p !== "body");
    const msg = String(first.msg || "invalid value").replace(/^Value error, /, "");
    const plain = plainWords(msg);
    const where = fieldName(loc);
    // a message that already names its field ("answer is empty") is not prefixed again
    if (!where || msg.startsWith(`${where} `) || msg.startsWith(`${where}:`)) return new ApiError(status, plain ?? msg, loc);
    return new ApiError(status, plain ? `${where} ${plain}` : `${where}: ${msg}`, loc);
  }
  if (status === 413) return new ApiError(status, "the request is too large");
  if (status === 503) return new ApiError(status, "the server is busy: try again in a moment");
  return new ApiError(status, `the server answered ${status}`);
}

/** What a student reads when the server stayed busy through every retry. */
export const BUSY_MESSAGE = "the server is busy (many students at once) and did not answer after several tries; your next change will ask again";

/** How a 503 ("server busy") is retried: after its Retry-After, doubling, with jitter. */
export const RETRY = Object.freeze({ attempts: 5, firstDelayMs: 1000, maxDelayMs: 8000 });

/**
 * Announces when a request is waiting to retry after a 503 ("busy") and when the server
 * answered again ("recovered"). A page shows it quietly (static/js/busy_notice.js).
 */
export const apiStatus = new EventTarget();
let waiting = 0;

/**
 * The delay before retry number `attempt` (0-based): the server's Retry-After (seconds) for
 * the first, then doubling, capped, times a random factor in [1, 1.5) so a whole class does
 * not come back in the same millisecond.
 * @param {string | null} retryAfter the header's value
 * @param {() => number} [random]
 */
export function retryDelay(attempt, retryAfter, random = Math.random) {
  const seconds = Number(retryAfter);
  const first = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : RETRY.firstDelayMs;
  return Math.min(RETRY.maxDelayMs, first * 2 ** attempt) * (1 + 0.5 * random());
}

/**
 * Wait `ms`, or reject with the signal's reason as soon as it aborts.
 * @param {AbortSignal} [signal]
 */
export function abortableSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A 503 with Retry-After is the server's concurrency limit: worth retrying (a 503 without
 * it, such as a model that is not loaded, is not). */
function isBusy(response) {
  return response.status === 503 && response.headers.has("Retry-After");
}

/**
 * fetch, retrying a 503 after its Retry-After with backoff (at most RETRY.attempts times);
 * an abort stops the waiting too. Returns the last response.
 * @param {RequestInit} init
 * @returns {Promise<Response>}
 */
export async function fetchRetrying(path, init) {
  let response = await fetch(path, init);
  let attempt = 0;
  if (!isBusy(response)) return response;
  waiting += 1;
  apiStatus.dispatchEvent(new CustomEvent("busy", { detail: { path } }));
  try {
    while (isBusy(response) && attempt < RETRY.attempts) {
      await abortableSleep(retryDelay(attempt, response.headers.get("Retry-After")), init.signal);
      attempt += 1;
      response = await fetch(path, init);
    }
  } finally {
    waiting -= 1;
    if (waiting === 0) {
      // aborted: a newer request replaced this one, nothing to report about the server
      const type = init.signal?.aborted ? "idle" : isBusy(response) ? "gave-up" : "recovered";
      apiStatus.dispatchEvent(new CustomEvent(type, { detail: { path, retries: attempt } }));
    }
  }
  return response;
}

/**
 * POST JSON and return the parsed answer; throws ApiError on a non-2xx status. A 503 is
 * retried (see RETRY) before it becomes an error.
 * @param {string} path e.g. "/api/conv2d"
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<any>}
 */
export async function postJSON(path, payload, options = {}) {
  const response = await fetchRetrying(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
    signal: options.signal,
  });
  return readAnswer(response);
}

/**
 * GET JSON; throws ApiError on a non-2xx status (a 503 is retried first).
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<any>}
 */
export async function getJSON(path, options = {}) {
  return readAnswer(await fetchRetrying(path, { signal: options.signal }));
}

async function readAnswer(response) {
  const body = await response.json().catch(() => null);
  if (isBusy(response)) throw new ApiError(503, BUSY_MESSAGE);
  if (!response.ok) throw toApiError(response.status, body);
  return body;
}

/**
 * Run async requests so that only the newest one counts: starting a request aborts the one
 * before it (its task gets an AbortSignal), and a stale request's answer *or error* is
 * dropped, so it can never overwrite what a newer request showed.
 */
export class LatestOnly {
  constructor() {
    this.counter = 0;
    /** @type {AbortController | null} */
    this.controller = null;
  }

  /**
   * @template T
   * @param {(signal: AbortSignal) => Promise<T>} task pass the signal on to postJSON/getJSON
   * @returns {Promise<{stale: boolean, value?: T}>} throws only the newest request's error
   */
  async run(task) {
    const ticket = ++this.counter;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const value = await task(controller.signal);
      return ticket === this.counter ? { stale: false, value } : { stale: true };
    } catch (error) {
      if (ticket !== this.counter) return { stale: true };
      throw error;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Make the request in flight stale (and abort it): its answer and its error are dropped. */
  cancel() {
    this.counter += 1;
    this.controller?.abort();
    this.controller = null;
  }
}
