// Page state in the URL (after #), so a reload or a shared link restores it exactly.

/**
 * Read the state stored in the URL fragment, merged over defaults.
 * @template T
 * @param {T} defaults
 * @returns {T}
 */
export function readState(defaults) {
  const hash = window.location.hash.slice(1);
  if (!hash) return structuredClone(defaults);
  try {
    const parsed = JSON.parse(decodeURIComponent(hash));
    return { ...structuredClone(defaults), ...parsed };
  } catch {
    return structuredClone(defaults);
  }
}

/**
 * Write the state into the URL fragment without adding a history entry.
 * @param {object} state
 */
export function writeState(state) {
  const encoded = encodeURIComponent(JSON.stringify(state));
  history.replaceState(null, "", `${window.location.pathname}${window.location.search}#${encoded}`);
}

/**
 * Load a page's state: the URL fragment first (a shared link wins), then localStorage under
 * `key` (so another page, or the last visit, hands its state over), then the defaults.
 * `clean` receives the merged object and returns a valid state or null to reject it.
 * @template T
 * @param {string} key localStorage key, e.g. "convlab.conv"
 * @param {T} defaults
 * @param {(candidate: any) => T | null} [clean]
 * @returns {{state: T, source: "url" | "storage" | "defaults"}}
 */
export function loadState(key, defaults, clean = (s) => s) {
  const tryClean = (candidate) => {
    try {
      return candidate ? clean({ ...structuredClone(defaults), ...candidate }) : null;
    } catch {
      return null;
    }
  };
  const fromUrl = tryClean(parseHash());
  if (fromUrl) return { state: fromUrl, source: "url" };
  let stored = null;
  try {
    stored = JSON.parse(window.localStorage.getItem(key) || "null");
  } catch {
    stored = null;
  }
  const fromStorage = tryClean(stored);
  if (fromStorage) return { state: fromStorage, source: "storage" };
  return { state: structuredClone(defaults), source: "defaults" };
}

/**
 * Save a page's state in the URL fragment and in localStorage under `key`.
 * @param {string} key
 * @param {object} state
 */
export function saveState(key, state) {
  writeState(state);
  try {
    window.localStorage.setItem(key, JSON.stringify(state));
  } catch {
    // storage full or disabled (private mode): the URL still holds the state
  }
}

function parseHash() {
  const hash = window.location.hash.slice(1);
  if (!hash) return null;
  try {
    const parsed = JSON.parse(decodeURIComponent(hash));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
