// A session question as the room reads it: the prompt (x_y as subscripts), the given matrices
// and, for multiple choice, the options (read-only). The projector shows it as it is; the
// student's page puts an answer field under it (widgets/session_answer.js).

import { answerLabel, fieldKind, givenMatrices } from "../exercise_answers.js";
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

/**
 * The matrices an exercise gives, one captioned table each (in a scrolling box when `scroll`).
 * @param {object} inputs
 * @param {boolean} [scroll]
 * @returns {HTMLElement[]}
 */
export function givenFigures(inputs, scroll = false) {
  return givenMatrices(inputs).map(({ key, name, matrix }) => {
    const table = el("table", { className: "given-matrix", "data-input": key, "aria-label": `${name}, ${matrix.length} × ${matrix[0].length}` });
    for (const row of matrix) table.append(el("tr", {}, ...row.map((v) => el("td", { textContent: formatNumber(v) }))));
    return el("figure", {}, el("figcaption", { textContent: name }), scroll ? el("div", { className: "scroll-x" }, table) : table);
  });
}

/**
 * The answer field of an answer_format: the options as radio buttons (ids `<prefix>-opt-<key>`)
 * or a text input (`textId`) with the format's help line (`helpId`), described by the prompt.
 * @param {object} format
 * @param {Array<{key: string, text: string}>} options
 * @param {{prefix: string, textId: string, helpId: string, promptId: string, errorId: string, numeric?: boolean}} ids
 *   numeric: a number pad for integer and size answers
 * @returns {HTMLElement}
 */
export function answerField(format, options, { prefix, textId, helpId, promptId, errorId, numeric = false }) {
  if (fieldKind(format) === "choice") {
    const choices = options.map((option) => {
      const input = el("input", { type: "radio", name: `${prefix}-choice`, value: option.key, id: `${prefix}-opt-${option.key}` });
      return el("div", { className: "choice" }, input, el("label", { htmlFor: input.id }, el("strong", { textContent: `${option.key}) ` }), option.text));
    });
    return el("fieldset", { "aria-describedby": promptId }, el("legend", { textContent: answerLabel(format) }), ...choices);
  }
  const input = el("input", { type: "text", id: textId, autocomplete: "off", spellcheck: false, "aria-describedby": `${promptId} ${helpId} ${errorId}` });
  if (numeric) input.inputMode = format.type === "integer" || format.type === "size" ? "numeric" : "text";
  if (format.example) input.placeholder = `e.g. ${format.example}`;
  const help = el("p", { className: "answer-help", id: helpId, textContent: format.description ?? "" });
  return el("div", { className: "control" }, el("label", { htmlFor: input.id, textContent: answerLabel(format) }), input, help);
}

/** The answer in a field of answerField(): the chosen option or the typed text (null: none). */
export function answerValue(fields) {
  const chosen = fields.querySelector("input[type=radio]:checked");
  if (chosen) return chosen.value;
  const text = fields.querySelector("input[type=text]");
  return text ? text.value : null;
}

export class QuestionView {
  /**
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
    this.given.replaceChildren(...givenFigures(question.inputs ?? {}, true));
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
