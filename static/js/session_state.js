// Class sessions as data, no DOM: join codes and URLs, where a page keeps its tokens, the words
// of the live counts, the bars of an answer distribution, two rounds side by side and the
// progress board's rows. The server groups equivalent answers with the exercise's own checker;
// these functions only order and measure what it sent.

/** localStorage keys: the teacher's session and the student's (one of each per browser). */
export const TEACHER_KEY = "convlab.session.teacher";
export const PARTICIPANT_KEY = "convlab.session.participant";

/**
 * A join code as typed ("abc 123", "ABC-123") in the form the server issues ("ABC123"), or ""
 * when it holds nothing code-like.
 * @param {string | null | undefined} text
 */
export function normalizeCode(text) {
  return String(text ?? "").toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 16);
}

/** The join code a /join address carries: /join/ABC123 or /join?code=ABC123 ("" when none). */
export function codeFromLocation(pathname, search) {
  const fromPath = /^\/join\/([^/?#]+)/.exec(pathname);
  if (fromPath) return normalizeCode(decodeURIComponent(fromPath[1]));
  return normalizeCode(new URLSearchParams(search).get("code"));
}

/**
 * A stored {code, token, ...} record, or null when absent or not ours.
 * @param {{getItem(key: string): string | null}} storage
 * @param {string} key TEACHER_KEY or PARTICIPANT_KEY
 * @returns {{code: string, token: string, nickname?: string | null} | null}
 */
export function readStored(storage, key) {
  let parsed;
  try {
    parsed = JSON.parse(storage.getItem(key) ?? "null");
  } catch {
    return null;
  }
  if (!parsed || typeof parsed.code !== "string" || typeof parsed.token !== "string") return null;
  return parsed;
}

/**
 * Keep a session's record (or forget it with null); storage that refuses is ignored.
 * @param {{setItem(k: string, v: string): void, removeItem(k: string): void}} storage
 * @param {object | null} record
 */
export function writeStored(storage, key, record) {
  try {
    if (record === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(record));
  } catch {
    // storage disabled: the session lasts as long as the page
  }
}

/** "1 student", "12 students". */
export function studentsText(n) {
  return `${n} ${n === 1 ? "student" : "students"}`;
}

/** The projector's live line: "7 of 12 answered". */
export function answeredText(answered, present) {
  return `${answered} of ${present} answered`;
}

/**
 * @typedef {object} Bar
 * @property {string} key what groups the same answer across rounds
 * @property {string} label the answer as shown
 * @property {number} count
 * @property {number} fraction count / answered (0 when nobody answered)
 */

/**
 * The bars of one round, most frequent first (ties in the order the server gave). Nothing here
 * says which answer is right: the projector shows the spread before the reveal.
 * @param {{answered: number, distribution: Array<{answer: string, count: number, key?: string}>}} round
 * @returns {Bar[]}
 */
export function roundBars(round) {
  const total = round.answered || round.distribution.reduce((s, d) => s + d.count, 0);
  return round.distribution
    .map((d, i) => ({ d, i }))
    .sort((a, b) => b.d.count - a.d.count || a.i - b.i)
    .map(({ d }) => ({
      key: d.key ?? d.answer,
      label: d.answer,
      count: d.count,
      fraction: total > 0 ? d.count / total : 0,
    }));
}

/**
 * Two (or more) rounds on shared rows, so round 1 stands beside round 2 answer by answer:
 * the answers of every round (grouped by `key`), ordered by the last round's count, then the
 * earlier rounds'. A row's count is 0 in a round where nobody gave that answer.
 * @param {Array<{round: number, answered: number, distribution: Array<{answer: string, count: number, key?: string}>}>} rounds
 * @returns {{rounds: number[], answered: number[], rows: Array<{key: string, label: string, counts: number[], fractions: number[]}>}}
 */
export function alignRounds(rounds) {
  const barsPerRound = rounds.map(roundBars);
  const rows = new Map();
  barsPerRound.forEach((bars, r) => {
    for (const bar of bars) {
      if (!rows.has(bar.key)) {
        rows.set(bar.key, { key: bar.key, label: bar.label, counts: rounds.map(() => 0), fractions: rounds.map(() => 0) });
      }
      const row = rows.get(bar.key);
      row.counts[r] = bar.count;
      row.fractions[r] = bar.fraction;
    }
  });
  const ordered = [...rows.values()].sort((a, b) => {
    for (let r = rounds.length - 1; r >= 0; r--) if (b.counts[r] !== a.counts[r]) return b.counts[r] - a.counts[r];
    return 0;
  });
  return { rounds: rounds.map((r) => r.round), answered: rounds.map((r) => r.answered), rows: ordered };
}

/** "3 of 12 (25%)". */
export function shareText(count, total) {
  const percent = total > 0 ? Math.round((100 * count) / total) : 0;
  return `${count} of ${total} (${percent}%)`;
}

/**
 * The progress board's rows: per exercise kind the students right first try, right after a
 * hint, shown the answer, and not yet (no outcome for that kind), in the server's order.
 * @param {{participants: number, kinds: Array<{exercise: string, title?: string, first_try: number, after_hint: number, shown?: number, not_yet?: number}>}} progress
 * @returns {Array<{exercise: string, title: string, firstTry: number, afterHint: number, shown: number, notYet: number, total: number}>}
 */
export function progressRows(progress) {
  return progress.kinds.map((k) => {
    const shown = k.shown ?? 0;
    const notYet = k.not_yet ?? Math.max(0, progress.participants - k.first_try - k.after_hint - shown);
    return {
      exercise: k.exercise,
      title: k.title ?? k.exercise,
      firstTry: k.first_try,
      afterHint: k.after_hint,
      shown,
      notYet,
      total: k.first_try + k.after_hint + shown + notYet,
    };
  });
}

/** The outcomes a lesson page reports for an exercise check. */
export const OUTCOMES = Object.freeze(["first-try", "after-hint", "shown"]);

/**
 * The body POSTed to the session's progress route for a `convlab:exercise-outcome` event, or
 * null when the event's detail is not one (the listener then ignores it).
 * @param {any} detail {exercise, seed, outcome}
 * @returns {{exercise: string, seed: number, outcome: string} | null}
 */
export function outcomeBody(detail) {
  if (!detail || typeof detail.exercise !== "string" || !detail.exercise) return null;
  if (!Number.isInteger(detail.seed) || detail.seed < 0) return null;
  if (!OUTCOMES.includes(detail.outcome)) return null;
  return { exercise: detail.exercise, seed: detail.seed, outcome: detail.outcome };
}
