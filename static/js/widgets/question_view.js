// A session question as the room reads it: the prompt (x_y as subscripts), the given matrices
// and, for multiple choice, the options (read-only). The projector shows it as it is; the
// student's page puts an answer field under it (widgets/session_answer.js).

import { givenMatrices } from "../exercise_answers.js";
import { el, withSubscripts } from "../dom.js";
import { formatNumber } from "../format.js";

/**
 * The options of a multiple-choice question ([] for other kinds).
 * @param {{options?: Array<{key: string, text: string}> | null, inputs?: {options?: Array<{key: string, text: string}>}}} question
 * @returns {Array<{key: string, text: string}>}
 */
export function questionOptions(question) {
  return question.options ?? question.inputs?.options ?? [];
}

export class QuestionView {
  /**
   * @param {HTMLElement} root
   * @param {{promptId: string, showOptions: boolean}} options
   */
  constructor(root, { promptId, showOptions }) {
    this.root = root;
    this.showOptions = showOptions;
    this.prompt = el("p", { className: "prompt", id: promptId });
    this.given = el("div", { className: "given" });
    this.options = el("ol", { className: "choice-list" });
    root.replaceChildren(this.prompt, this.given, this.options);
  }

  /** @param {{prompt: string, inputs?: object, options?: any}} question */
  show(question) {
    this.prompt.replaceChildren(...withSubscripts(question.prompt, "span").childNodes);
    const figures = givenMatrices(question.inputs ?? {}).map(({ key, name, matrix }) => {
      const table = el("table", { className: "given-matrix" });
      table.dataset.input = key;
      table.setAttribute("aria-label", `${name}, ${matrix.length} × ${matrix[0].length}`);
      for (const row of matrix) table.append(el("tr", {}, ...row.map((v) => el("td", { textContent: formatNumber(v) }))));
      return el("figure", {}, el("figcaption", { textContent: name }), el("div", { className: "scroll-x" }, table));
    });
    this.given.replaceChildren(...figures);
    const options = this.showOptions ? questionOptions(question) : [];
    this.options.replaceChildren(...options.map((o) => {
      const li = el("li", {}, el("strong", { textContent: `${o.key}) ` }), o.text);
      li.dataset.key = o.key;
      return li;
    }));
    this.options.hidden = options.length === 0;
  }

  clear() {
    this.prompt.replaceChildren();
    this.given.replaceChildren();
    this.options.replaceChildren();
    this.options.hidden = true;
  }
}
