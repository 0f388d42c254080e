// Predict, then measure: a question with one choice per option (radio buttons), saved before
// the run, and a reveal that compares the choice with what was measured. The question, the
// options and the reveal's text come from the page (computed from the config and the result).
// Events: "change" when the student picks an option (read `.value`).

import { el } from "../dom.js";

let instances = 0;

/** A multiple-choice prediction with a reveal. */
export class Prediction extends EventTarget {
  /**
   * @param {HTMLElement} container the fieldset is appended to it
   * @param {HTMLElement} [revealContainer] where the reveal goes (default: after the fieldset)
   */
  constructor(container, revealContainer = container) {
    super();
    this.name = `prediction-${++instances}`;
    this.legend = el("legend");
    this.choices = el("div", { className: "prediction-options" });
    this.fieldset = el("fieldset", { className: "prediction-choices" }, this.legend, this.choices);
    this.revealBox = el("p", { className: "prediction-reveal", "aria-live": "polite" });
    container.append(this.fieldset);
    revealContainer.append(this.revealBox);
    /** @type {string | null} */
    this.value = null;
  }

  /**
   * Ask a question.
   * @param {{value: string, label: string}[]} options
   * @param {string | null} chosen the saved choice (kept only if it is still an option)
   */
  ask(question, options, chosen) {
    this.legend.textContent = question;
    this.value = options.some((o) => o.value === chosen) ? chosen : null;
    this.choices.replaceChildren(...options.map((option, i) => {
      const radio = el("input", { type: "radio", name: this.name, value: option.value, id: `${this.name}-${i}`, checked: option.value === this.value });
      radio.addEventListener("change", () => {
        this.value = radio.value;
        this.dispatchEvent(new Event("change"));
      });
      return el("label", { className: "check" }, radio, ` ${option.label}`);
    }));
  }

  /** Move the keyboard focus to the chosen option, or the first. */
  focus() {
    const radios = [...this.choices.querySelectorAll("input")];
    (radios.find((r) => r.checked) ?? radios[0])?.focus();
  }

  /** @param {boolean} locked no changes while a run trains */
  lock(locked) {
    this.fieldset.disabled = locked;
  }

  /**
   * Show how the prediction compares with the measurement.
   * @param {{right: boolean | null, text: string}} outcome
   */
  reveal(outcome) {
    this.revealBox.textContent = outcome.text;
    this.revealBox.dataset.outcome = outcome.right === null ? "none" : outcome.right ? "right" : "wrong";
    if (outcome.right !== null) {
      this.revealBox.prepend(el("strong", { textContent: outcome.right ? "Right. " : "Not this time. " }));
    }
  }

  /** Hide the reveal (a new question or a new run). */
  clearReveal() {
    this.revealBox.textContent = "";
    delete this.revealBox.dataset.outcome;
  }
}
