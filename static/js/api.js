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

/**
 * Turn a FastAPI error body into one readable sentence.
 * @param {number} status
 * @param {any} body parsed JSON (or null)
 * @returns {ApiError}
 */
export function toApiError(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (Array.isArray(detail) && detail.length > 0) {
    const first = detail[0];
    const loc = (first.loc || []).filter((p) => p !== "body");
    const where = loc.length ? `${loc.join(".")}: ` : "";
    const msg = String(first.msg || "invalid value").replace(/^Value error, /, "");
    return new ApiError(status, `${where}${msg}`, loc);
  }
  if (status === 413) return new ApiError(status, "the request is too large");
  if (status === 503) return new ApiError(status, "the server is busy; trying again shortly");
  return new ApiError(status, `the server answered ${status}`);
}

/**
 * POST JSON and return the parsed answer; throws ApiError on a non-2xx status.
 * @param {string} path e.g. "/api/conv2d"
 * @param {object} payload
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<any>}
 */
export async function postJSON(path, payload, options = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
    signal: options.signal,
  });
  return readAnswer(response);
}

/**
 * GET JSON; throws ApiError on a non-2xx status.
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function getJSON(path) {
  return readAnswer(await fetch(path));
}

async function readAnswer(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw toApiError(response.status, body);
  return body;
}

/**
 * Run async requests so that only the newest one's answer is delivered: a stale response
 * never overwrites a newer one.
 */
export class LatestOnly {
  constructor() {
    this.counter = 0;
  }

  /**
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<{stale: boolean, value?: T}>}
   */
  async run(task) {
    const ticket = ++this.counter;
    const value = await task();
    return ticket === this.counter ? { stale: false, value } : { stale: true };
  }
}
