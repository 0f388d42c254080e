// Predict first, on the lesson pages: a part of a page that states the answer to one of its
// Your-turn questions (`data-answers="<exercise id>"`) stays hidden until the student has
// checked an answer to that exercise (a wrong one counts: the prediction is made) or presses
// "Show it now". Loaded with the exercise blocks on every page (exercises_mount.js).

import { el } from "./dom.js";
import { readProgress } from "./exercise_progress.js";
import { exerciseList } from "./widgets/exercise.js";

/** Whether the student has already checked an answer of this kind (in an earlier visit too). */
function predicted(id) {
  try {
    return (readProgress(window.localStorage)[id]?.tried ?? 0) > 0;
  } catch {
    return false;
  }
}

/**
 * Hide every `[data-answers]` element under `root` behind a "predict first" note, until its
 * exercise is checked ("exercise:checked") or the student asks to see it.
 * @param {ParentNode} [root]
 */
export function mountGates(root = document) {
  for (const target of root.querySelectorAll("[data-answers]:not([data-gated])")) {
    const id = target.dataset.answers;
    target.dataset.gated = "true";
    if (predicted(id)) continue;
    const link = el("a", { href: `#yt-${id}`, textContent: "its Your-turn question" });
    // name the question once the list is in ("its Your-turn question Q5a, Pooling …")
    exerciseList().then((list) => {
      const entry = list.find((e) => e.id === id);
      if (entry) link.textContent = `its Your-turn question ${(entry.questions?.length ? entry.questions : [entry.question]).join(", ")}, “${entry.title}”`;
    }).catch(() => {});
    const show = el("button", { type: "button", textContent: "Show it now" });
    const note = el("p", { className: "spoiler-gate" }, "Predict first: this part states the answer to ", link,
      ". Answer that question (a wrong answer counts) and it appears here, or ", show, ".");
    const open = () => {
      target.hidden = false;
      target.dataset.gated = "open";
      note.remove();
      document.removeEventListener("exercise:checked", onCheck);
    };
    const onCheck = (event) => {
      if (event.detail?.id === id) open();
    };
    show.addEventListener("click", () => {
      open();
      target.focus?.({ preventScroll: true });
    });
    document.addEventListener("exercise:checked", onCheck);
    target.hidden = true;
    target.before(note);
  }
}
