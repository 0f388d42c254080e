// The progress board of a class session: per exercise kind, how many students got it right
// first try, right after a hint, shown the answer, or not yet, as counts and one stacked bar
// per kind.

import { progressRows } from "../session_state.js";
import { el } from "../dom.js";

const PARTS = [
  ["firstTry", "First try", "part-first"],
  ["afterHint", "After a hint", "part-hint"],
  ["shown", "Shown", "part-shown"],
  ["notYet", "Not yet", "part-not-yet"],
];

export class ProgressBoard {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
  }

  /** @param {{participants: number, kinds: Array<object>}} progress the server's counts */
  draw(progress) {
    const rows = progressRows(progress);
    const table = el("table", { className: "progress-board" });
    table.append(el("thead", {}, el("tr", {},
      el("th", { scope: "col", textContent: "Exercise" }),
      ...PARTS.map(([, name]) => el("th", { scope: "col", className: "num", textContent: name })),
      el("th", { scope: "col", className: "bar-col", textContent: "Share" }))));
    const body = el("tbody");
    for (const row of rows) {
      const stack = el("span", { className: "stack-bar", "aria-hidden": "true" }, ...PARTS.map(([key, , cls]) =>
        el("span", { className: cls, style: `width: ${row.total > 0 ? ((100 * row[key]) / row.total).toFixed(1) : 0}%` })));
      body.append(el("tr", { "data-exercise": row.exercise }, el("th", { scope: "row", textContent: row.title }),
        ...PARTS.map(([key]) => el("td", { className: "num", textContent: String(row[key]) })),
        el("td", { className: "bar-col" }, stack)));
    }
    if (rows.length === 0) body.append(el("tr", {}, el("td", { colSpan: PARTS.length + 2, textContent: "No exercise kinds." })));
    table.append(body);
    this.root.replaceChildren(table);
  }
}
