// Server-Sent Events read from a fetch() body. EventSource can only GET, and a training run is a
// POST with a JSON config, so the page reads the stream itself. The parser follows the WHATWG
// "event stream interpretation" (HTML Living Standard §9.2.6): lines end in CRLF, LF or CR;
// "field: value" with one optional space after the colon; a line starting with ":" is a
// comment; several data lines join with "\n"; a blank line dispatches the event. No DOM here.

/**
 * @typedef {object} SseEvent
 * @property {string} event the event name ("message" when the server gave none)
 * @property {string} data the data lines joined with "\n"
 * @property {string} id the last event id seen so far ("" if none)
 * @property {number | null} retry the reconnection time in ms the server asked for, if any
 */

/** Incremental parser: feed it text in chunks of any size, get whole events back. */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.started = false;
    this.pendingCR = false;
    this.resetEvent();
    this.lastId = "";
    /** @type {number | null} */
    this.retry = null;
  }

  resetEvent() {
    this.eventName = "";
    /** @type {string[] | null} */
    this.dataLines = null;
  }

  /**
   * Feed decoded text; returns the events completed by it (possibly none).
   * A chunk may end anywhere: inside a line, between "\r" and "\n", inside a field name.
   * @returns {SseEvent[]}
   */
  push(text) {
    if (text.length === 0) return [];
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a leading BOM is ignored
    }
    if (this.pendingCR && text.startsWith("\n")) text = text.slice(1); // the "\n" of a split CRLF
    this.pendingCR = false;
    this.buffer += text;
    const events = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      const line = this.buffer.slice(start, i);
      if (c === "\r") {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === "\n") i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * The stream ended. Per the standard an event not closed by a blank line is dropped.
   * @returns {SseEvent[]} always empty; kept so callers can treat end-of-stream like a chunk
   */
  finish() {
    this.buffer = "";
    this.resetEvent();
    return [];
  }

  /** @returns {SseEvent | null} */
  #line(line) {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return null; // a comment (servers send them as keep-alives)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventName = value;
    else if (field === "data") (this.dataLines ??= []).push(value);
    else if (field === "id") {
      if (!value.includes("\0")) this.lastId = value;
    } else if (field === "retry") {
      if (/^\d+$/.test(value)) this.retry = Number(value);
    }
    return null;
  }

  /** @returns {SseEvent | null} */
  #dispatch() {
    const lines = this.dataLines;
    const name = this.eventName || "message";
    this.resetEvent();
    if (lines === null) return null; // no data field: nothing to dispatch
    return { event: name, data: lines.join("\n"), id: this.lastId, retry: this.retry };
  }
}

/**
 * Read a byte stream (a fetch Response body) as Server-Sent Events, calling `onEvent` for each
 * in order. Resolves when the stream ends; rejects if reading fails (e.g. the fetch was aborted).
 * @param {ReadableStream<Uint8Array>} body
 * @param {(event: SseEvent) => void} onEvent
 */
export async function readEventStream(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) onEvent(event);
    }
    for (const event of parser.push(decoder.decode())) onEvent(event);
    parser.finish();
  } finally {
    reader.releaseLock();
  }
}
