// Exercise progress (issue 9), kept in the browser only: which exercises were answered right.
// No DOM; the storage is passed in (window.localStorage in the pages, a Map-like in tests).

export const PROGRESS_KEY = "convlab.progress";

/**
 * @typedef {object} ExerciseRecord
 * @property {number} tried checks made
 * @property {number} right checks that were right
 * @property {boolean} last whether the latest check was right
 */

/**
 * Everything recorded so far ({} when nothing, or when the stored text is not ours).
 * @param {{getItem(key: string): string | null}} storage
 * @returns {Record<string, ExerciseRecord>}
 */
export function readProgress(storage) {
  let parsed = null;
  try {
    parsed = JSON.parse(storage.getItem(PROGRESS_KEY) || "{}");
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  const clean = {};
  for (const [id, r] of Object.entries(parsed)) {
    if (r && Number.isInteger(r.tried) && Number.isInteger(r.right) && typeof r.last === "boolean") clean[id] = r;
  }
  return clean;
}

/**
 * Record one check and return the exercise's new record.
 * @param {{getItem(key: string): string | null, setItem(key: string, value: string): void}} storage
 * @param {string} id
 * @param {boolean} correct
 * @returns {ExerciseRecord}
 */
export function recordCheck(storage, id, correct) {
  const all = readProgress(storage);
  const before = all[id] ?? { tried: 0, right: 0, last: false };
  const after = { tried: before.tried + 1, right: before.right + (correct ? 1 : 0), last: correct };
  all[id] = after;
  try {
    storage.setItem(PROGRESS_KEY, JSON.stringify(all));
  } catch {
    // storage full or disabled: progress is not kept, the exercise still works
  }
  return after;
}

/**
 * One line about an exercise's record.
 * @param {ExerciseRecord | undefined} record
 * @returns {string}
 */
export function describeRecord(record) {
  if (!record || record.tried === 0) return "not tried yet";
  const times = (n) => (n === 1 ? "once" : n === 2 ? "twice" : `${n} times`);
  if (record.right === 0) return `tried ${times(record.tried)}, not right yet`;
  return `right ${times(record.right)} in ${record.tried} ${record.tried === 1 ? "try" : "tries"}`;
}

/**
 * How many of the given exercises were answered right at least once.
 * @param {Record<string, ExerciseRecord>} progress
 * @param {string[]} ids
 * @returns {{solved: number, total: number}}
 */
export function countSolved(progress, ids) {
  return { solved: ids.filter((id) => (progress[id]?.right ?? 0) > 0).length, total: ids.length };
}
