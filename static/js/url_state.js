// Page state in the URL (after #), so a reload or a shared link restores it exactly, and in
// localStorage, so another page (or the last visit) hands its state over.

/** Parsed JSON, or null when it does not parse (or, from the URL, does not decode). */
function parse(text, decode = false) {
  try {
    return JSON.parse(decode ? decodeURIComponent(text) : text);
  } catch {
    return null;
  }
}

/**
 * Load a page's state: the URL fragment first (a shared link wins), then localStorage under
 * `key`, then the defaults. `clean` receives the candidate merged over the defaults and returns
 * a valid state or null to reject it.
 * @template T
 * @param {string} key localStorage key, e.g. "convlab.conv"
 * @param {T} defaults
 * @param {(candidate: any) => T | null} [clean]
 * @returns {{state: T, source: "url" | "storage" | "defaults"}}
 */
export function loadState(key, defaults, clean = (s) => s) {
  const hash = window.location.hash.slice(1);
  const candidates = [["url", hash ? parse(hash, true) : null]];
  try {
    candidates.push(["storage", parse(window.localStorage.getItem(key) || "null")]);
  } catch {
    // storage disabled (private mode): the URL and the defaults remain
  }
  for (const [source, candidate] of candidates) {
    if (!candidate || typeof candidate !== "object" || Array.isArray(candidate)) continue;
    try {
      const state = clean({ ...structuredClone(defaults), ...candidate });
      if (state) return { state, source };
    } catch {
      // a candidate that breaks `clean` is rejected like one it returns null for
    }
  }
  return { state: structuredClone(defaults), source: "defaults" };
}

/** Save a page's state in the URL fragment (no new history entry) and in localStorage. */
export function saveState(key, state) {
  const encoded = encodeURIComponent(JSON.stringify(state));
  history.replaceState(null, "", `${window.location.pathname}${window.location.search}#${encoded}`);
  try {
    window.localStorage.setItem(key, JSON.stringify(state));
  } catch {
    // storage full or disabled (private mode): the URL still holds the state
  }
}
