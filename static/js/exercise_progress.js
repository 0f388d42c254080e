// Exercise progress, kept in the browser only: per kind of exercise, how each exercise was
// settled. An exercise (one kind, one seed) settles once: "first-try" (right at the first
// check), "after-hint" (right after a wrong check and its hint) or "shown" (the worked answer
// was shown: after a second wrong check or on "Show the answer"). Checks after that still get a
// verdict but change no outcome, so copying a shown answer never counts as solved.
// No DOM; the storage is passed in (window.localStorage in the pages, a Map-like in tests).

export const PROGRESS_KEY = "convlab.progress";

/** The outcomes, best first. */
export const OUTCOMES = ["first-try", "after-hint", "shown"];

/**
 * @typedef {object} ExerciseRecord
 * @property {number} tried checks made
 * @property {number} right checks that were right
 * @property {boolean} last whether the latest check was right
 * @property {{"first-try": number, "after-hint": number, shown: number}} outcomes exercises settled each way
 * @property {number | null} seed the exercise (seed) being worked on or last settled
 * @property {number} wrong wrong checks on that seed before it settled
 * @property {boolean} settled whether that seed has settled
 */

const emptyOutcomes = () => ({ "first-try": 0, "after-hint": 0, shown: 0 });

function cleanRecord(r) {
  if (!r || !Number.isInteger(r.tried) || !Number.isInteger(r.right) || typeof r.last !== "boolean") return null;
  const outcomes = emptyOutcomes();
  for (const name of OUTCOMES) {
    const n = r.outcomes?.[name];
    if (Number.isInteger(n) && n >= 0) outcomes[name] = n;
  }
  return {
    tried: r.tried,
    right: r.right,
    last: r.last,
    outcomes,
    seed: Number.isInteger(r.seed) ? r.seed : null,
    wrong: Number.isInteger(r.wrong) && r.wrong >= 0 ? r.wrong : 0,
    settled: r.settled === true,
  };
}

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
    const record = cleanRecord(r);
    if (record) clean[id] = record;
  }
  return clean;
}

function blank() {
  return { tried: 0, right: 0, last: false, outcomes: emptyOutcomes(), seed: null, wrong: 0, settled: false };
}

function save(storage, all) {
  try {
    storage.setItem(PROGRESS_KEY, JSON.stringify(all));
  } catch {
    // storage full or disabled: progress is not kept, the exercise still works
  }
}

/**
 * Where the exercise of this seed stands: wrong checks so far and whether it has settled
 * (so a reload does not turn a hint into a first try).
 * @param {{getItem(key: string): string | null}} storage
 * @returns {{wrong: number, settled: boolean}}
 */
export function seedState(storage, id, seed) {
  const record = readProgress(storage)[id];
  if (!record || record.seed !== seed) return { wrong: 0, settled: false };
  return { wrong: record.wrong, settled: record.settled };
}

/** Apply `settle` to the record of (id, seed), reset when the seed changed; save it. */
function update(storage, id, seed, settle) {
  const all = readProgress(storage);
  const record = all[id] ?? blank();
  if (record.seed !== seed) Object.assign(record, { seed, wrong: 0, settled: false });
  const outcome = settle(record);
  if (outcome) {
    record.outcomes[outcome] += 1;
    record.settled = true;
  }
  all[id] = record;
  save(storage, all);
  return { record, outcome };
}

/**
 * Record one check of the exercise (id, seed) and return what it settles.
 * A right check settles "first-try" or "after-hint"; a second wrong check settles "shown";
 * once settled, a check settles nothing more (outcome null).
 * @param {{getItem(key: string): string | null, setItem(key: string, value: string): void}} storage
 * @returns {{record: ExerciseRecord, outcome: string | null, wrong: number}}
 */
export function recordCheck(storage, id, seed, correct) {
  const { record, outcome } = update(storage, id, seed, (r) => {
    r.tried += 1;
    r.right += correct ? 1 : 0;
    r.last = correct;
    if (r.settled) return null;
    if (correct) return r.wrong === 0 ? "first-try" : "after-hint";
    r.wrong += 1;
    return r.wrong >= 2 ? "shown" : null;
  });
  return { record, outcome, wrong: record.wrong };
}

/**
 * Record that the student asked to see the answer of (id, seed): settles "shown" unless the
 * exercise has already settled.
 * @param {{getItem(key: string): string | null, setItem(key: string, value: string): void}} storage
 * @returns {{record: ExerciseRecord, outcome: string | null}}
 */
export function recordShown(storage, id, seed) {
  return update(storage, id, seed, (r) => (r.settled ? null : "shown"));
}

const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * One line about an exercise's record: how its exercises were settled.
 * @param {ExerciseRecord | undefined} record
 */
export function describeRecord(record) {
  if (!record || record.tried === 0) return "not tried yet";
  const o = record.outcomes;
  const parts = [];
  if (o["first-try"]) parts.push(`${count(o["first-try"], "exercise", "exercises")} right at the first try`);
  if (o["after-hint"]) parts.push(`${count(o["after-hint"], "exercise", "exercises")} right after a hint`);
  if (o.shown) parts.push(`${count(o.shown, "answer", "answers")} shown`);
  if (parts.length === 0) return record.wrong ? "tried, not solved yet" : "not tried yet";
  return parts.join(", ");
}

/**
 * A kind's best outcome so far ("first-try" beats "after-hint" beats "shown"), or null.
 * @param {ExerciseRecord | undefined} record
 * @returns {string | null}
 */
export function bestOutcome(record) {
  return OUTCOMES.find((name) => (record?.outcomes?.[name] ?? 0) > 0) ?? null;
}

/**
 * How the given kinds stand: how many have their best outcome at the first try, after a hint,
 * only shown, and how many are not settled yet.
 * @param {Record<string, ExerciseRecord>} progress
 * @returns {{"first-try": number, "after-hint": number, shown: number, open: number, total: number}}
 */
export function countSolved(progress, ids) {
  const counts = { ...emptyOutcomes(), open: 0, total: ids.length };
  for (const id of ids) {
    const best = bestOutcome(progress[id]);
    if (best) counts[best] += 1;
    else counts.open += 1;
  }
  return counts;
}
