// The question a student answers in a class session: the prompt with its numbers, the given
// matrices and an answer field matching the answer_format (the same forms as a lesson's
// Your-turn block: static/js/exercise_answers.js), Send, and a line saying what was sent. The
// answer can be changed and sent again until the round closes; nothing here says right or wrong.

import { collectAnswer } from "../exercise_answers.js";
import { answerField, answerValue, QuestionView, questionOptions } from "./question_view.js";
import { el } from "../dom.js";

export class SessionAnswer {
  /**
   * @param {HTMLElement} root an empty element the widget fills
   * @param {(answer: string) => Promise<void>} send posts the answer; throws to show an error
   */
  constructor(root, send) {
    this.root = root;
    this.send = send;
    this.question = null;
    this.mine = null; // the answer sent in this round
    this.view = new QuestionView(el("div", { className: "question-view" }), { promptId: "question-prompt", showOptions: false });
    this.fields = el("div", { className: "answer-fields" });
    this.submitButton = el("button", { type: "submit", className: "primary", textContent: "Send my answer" });
    this.form = el("form", { className: "answer-form", noValidate: true }, this.fields, this.submitButton);
    this.error = el("p", { className: "error-message", id: "answer-error" });
    this.error.setAttribute("role", "alert");
    this.sent = el("p", { className: "sent-answer", id: "sent-answer" });
    this.sent.setAttribute("aria-live", "polite");
    root.replaceChildren(this.view.root, this.form, this.error, this.sent);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
  }

  /**
   * Show a question (a new one, or round 2 of the same one: the fields are cleared).
   * @param {{id: any, round: number, prompt: string, inputs?: object, options?: any, answer_format: object}} question
   * @param {string | null} [mine] the answer already sent in this round (after a reload)
   */
  show(question, mine = null) {
    this.question = question;
    this.view.show(question);
    this.#showFields(question.answer_format, questionOptions(question));
    this.error.textContent = "";
    this.mine = mine;
    if (mine) this.#fill(mine);
    this.setOpen(true);
  }

  /** Allow or stop answering (the round closed). @param {boolean} open */
  setOpen(open) {
    for (const input of this.form.querySelectorAll("input, button")) input.disabled = !open;
    this.form.classList.toggle("is-closed", !open);
    if (this.mine) {
      this.sent.textContent = open
        ? `Sent: ${this.mine}. You can change it until the round closes.`
        : `Your answer: ${this.mine}.`;
    } else if (!open) {
      this.sent.textContent = "You did not answer in this round.";
    } else {
      this.sent.textContent = "";
    }
  }

  async #submit() {
    if (!this.question) return;
    const collected = collectAnswer(this.question.answer_format, answerValue(this.fields));
    if ("error" in collected) {
      this.error.textContent = collected.error;
      return;
    }
    this.submitButton.disabled = true;
    try {
      await this.send(collected.answer);
      this.error.textContent = "";
      this.mine = collected.answer;
      this.sent.textContent = `Sent: ${collected.answer}. You can change it until the round closes.`;
      this.submitButton.textContent = "Change my answer";
    } catch (error) {
      this.error.textContent = error.message;
    } finally {
      if (!this.form.classList.contains("is-closed")) this.submitButton.disabled = false;
    }
  }

  #showFields(format, options) {
    this.submitButton.textContent = "Send my answer";
    // a text keyboard on purpose: phones' number pads lack "−", "x" and "," that answers use
    const ids = { prefix: "session", textId: "session-answer", helpId: "session-answer-help", promptId: this.view.prompt.id, errorId: this.error.id };
    this.fields.replaceChildren(answerField(format, options, ids));
  }

  #fill(answer) {
    const radio = this.fields.querySelector(`input[type=radio][value="${CSS.escape(answer)}"]`);
    if (radio) radio.checked = true;
    const text = this.fields.querySelector("input[type=text]");
    if (text) text.value = answer;
    this.submitButton.textContent = "Change my answer";
  }
}
