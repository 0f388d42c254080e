// The answers of a question's rounds as horizontal bars, one row per answer (equivalent
// answers already grouped by the server's checker), round 1 beside round 2 when there are two.
// A table, so a screen reader reads it row by row; the bars are drawn by CSS widths. It marks
// no answer as right: the projector shows the spread before the reveal.

import { alignRounds, shareText } from "../session_state.js";
import { el } from "../dom.js";

export class RoundChart {
  /** @param {HTMLElement} root an empty element the chart fills */
  constructor(root) {
    this.root = root;
  }

  /**
   * Draw the rounds (one or two).
   * @param {Array<{round: number, answered: number, distribution: Array<{answer: string, count: number, key?: string}>}>} rounds
   */
  draw(rounds) {
    if (!Array.isArray(rounds) || rounds.length === 0) throw new Error("RoundChart needs at least one round");
    const aligned = alignRounds(rounds);
    const table = el("table", { className: `round-chart rounds-${rounds.length}` });
    table.append(el("caption", {
      className: "visually-hidden",
      textContent: `Answers per round: ${aligned.rounds.map((r, i) => `round ${r}, ${aligned.answered[i]} answered`).join("; ")}`,
    }));
    const head = el("tr", {}, el("th", { scope: "col", textContent: "Answer" }),
      ...aligned.rounds.map((r, i) => el("th", { scope: "col", textContent: `Round ${r} · ${aligned.answered[i]} answered` })));
    table.append(el("thead", {}, head));
    const body = el("tbody");
    if (aligned.rows.length === 0) {
      body.append(el("tr", {}, el("td", { colSpan: rounds.length + 1, className: "empty", textContent: "No answers." })));
    }
    for (const row of aligned.rows) {
      const cells = row.counts.map((count, r) => {
        const bar = el("span", { className: `bar bar-round-${r + 1}`, style: `width: ${(100 * row.fractions[r]).toFixed(1)}%` });
        return el("td", { className: "bar-cell" },
          el("span", { className: "bar-track" }, bar),
          el("span", { className: "bar-value", textContent: shareText(count, aligned.answered[r]) }));
      });
      body.append(el("tr", { "data-answer": row.key }, el("th", { scope: "row", className: "answer-label", textContent: row.label }), ...cells));
    }
    table.append(body);
    this.root.replaceChildren(table);
  }

  clear() {
    this.root.replaceChildren();
  }
}
