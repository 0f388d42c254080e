// Loaded by base.html on every page: each <section class="your-turn" data-exercise="ID"> becomes
// a Your-turn exercise block (widgets/exercise.js). A page module listens for "exercise:reveal"
// on document to show the answer with its own widgets. Parts of a page that state the answer to
// one of its questions (data-answers="ID") wait for a prediction (spoiler_gate.js).

import { mountGates } from "./spoiler_gate.js";
import { ExerciseBlock } from "./widgets/exercise.js";

/**
 * Mount every Your-turn section under `root` that is not mounted yet.
 * @param {ParentNode} [root]
 * @returns {ExerciseBlock[]}
 */
export function mountExercises(root = document) {
  const blocks = [];
  for (const section of root.querySelectorAll("section.your-turn[data-exercise]:not([data-mounted])")) {
    section.dataset.mounted = "true";
    blocks.push(new ExerciseBlock(section));
  }
  return blocks;
}

mountExercises();
mountGates();
