// The reveal of a session question, on the projector and on every phone: the answer, how it is
// computed, each option's explanation for multiple choice, and a link to the lesson widget that
// shows the exercise with the same numbers (lesson pages refuse to be framed, so it is a link).

import { el } from "../dom.js";

/**
 * The lesson link, scrolled to the exercise's Your-turn block when the URL loads one
 * ("/parameters?ex-parameter-count=7" → "…#yt-parameter-count").
 * @param {string | undefined} exercise
 */
export function lessonHref(url, exercise) {
  if (!exercise || url.includes("#") || !url.includes(`ex-${exercise}=`)) return url;
  return `${url}#yt-${exercise}`;
}

export class RevealView {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
  }

  /**
   * @param {{expected: string, explanation: string, options?: Array<{key: string, text: string, correct: boolean, explanation: string}> | null, lesson_url?: string | null}} reveal
   * @param {{title?: string, exercise?: string}} [question]
   */
  show(reveal, question = {}) {
    const parts = [
      el("h3", { textContent: "The answer" }),
      el("p", { className: "reveal-answer" }, el("strong", { className: "expected", textContent: reveal.expected })),
      el("p", { className: "explanation", textContent: reveal.explanation }),
    ];
    if (Array.isArray(reveal.options)) {
      parts.push(el("ul", { className: "options" }, ...reveal.options.map((o) => el("li",
        { className: o.correct ? "is-right" : "" },
        el("strong", { textContent: `${o.key}) ${o.correct ? "right" : "wrong"}: ` }), o.explanation))));
    }
    if (reveal.lesson_url) {
      const link = el("a", { className: "lesson-link", href: lessonHref(reveal.lesson_url, question.exercise), target: "_blank", rel: "noopener" },
        `See it in the lesson${question.title ? `: ${question.title}` : ""}, with these numbers`);
      parts.push(el("p", {}, link, el("span", { className: "visually-hidden", textContent: " (opens in a new tab)" })));
    }
    this.root.replaceChildren(...parts);
  }

  clear() {
    this.root.replaceChildren();
  }
}
