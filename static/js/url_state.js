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
