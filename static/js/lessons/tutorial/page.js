// The /tutorial page: under each of tutorial 3A's questions, the exercises that answer it (from
// GET /api/exercises, matched on their `questions`) with a link to their lesson page and the
// student's progress from localStorage: per kind, how its exercises were settled (right at the
// first try, right after a hint, or the answer shown).

import { $, el } from "../../dom.js";
import { exerciseList } from "../../widgets/exercise.js";
import { PROGRESS_KEY, bestOutcome, countSolved, describeRecord, readProgress } from "../../exercise_progress.js";

/**
 * The tutorial question numbers an exercise answers: ["Q2b", "Q6a"] → [2, 6].
 * @param {{question: string, questions?: string[]}} exercise
 */
export function questionNumbers(exercise) {
  const names = exercise.questions?.length ? exercise.questions : [exercise.question];
  return [...new Set(names.map((q) => Number((/^Q(\d+)/.exec(q) || [])[1])).filter(Boolean))];
}

/**
 * The progress line: each kind counted once, by its best outcome so far.
 * @param {{"first-try": number, "after-hint": number, shown: number, open: number, total: number}} c
 */
export function summary(c) {
  return `Your progress over ${c.total} kinds of exercise: ${c["first-try"]} right at the first try, `
    + `${c["after-hint"]} right after a hint, ${c.shown} only with the answer shown, ${c.open} not done yet.`;
}

function render(list) {
  const progress = readProgress(window.localStorage);
  for (const holder of document.querySelectorAll("[data-exercises-for]")) {
    const number = Number(holder.dataset.exercisesFor);
    const items = list.filter((e) => questionNumbers(e).includes(number)).map((e) => {
      const record = progress[e.id];
      const best = bestOutcome(record);
      const status = el("span", { className: best === "first-try" || best === "after-hint" ? "done" : record?.tried ? "tried" : "", textContent: describeRecord(record) });
      if (best) status.dataset.outcome = best;
      return el("li", { "data-exercise": e.id }, `${(e.questions?.length ? e.questions : [e.question]).join(", ")}: `,
        el("a", { href: `${e.page}#yt-${e.id}`, textContent: e.title }), " — ", status);
    });
    if (items.length === 0) items.push(el("li", { textContent: "No exercise for this question yet." }));
    holder.replaceChildren(...items);
  }
  $("tutorial-summary").textContent = summary(countSolved(progress, list.map((e) => e.id)));
}

async function start() {
  let list;
  try {
    list = await exerciseList();
  } catch (error) {
    $("tutorial-error").textContent = `Could not load the exercises: ${error.message}`;
    return;
  }
  render(list);
  $("progress-reset").addEventListener("click", () => {
    window.localStorage.removeItem(PROGRESS_KEY);
    render(list);
  });
  window.addEventListener("storage", () => render(list)); // another tab checked an answer
}

start();
