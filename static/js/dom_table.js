// Table rows as DOM, for tables whose cells are text computed elsewhere.

/**
 * A table row of text cells. In a body row (tag "td") the first cell is a row header; with
 * tag "th" every cell is a column header.
 * @param {string[]} cells
 * @param {"td" | "th"} [tag]
 * @returns {HTMLTableRowElement}
 */
export function tableRow(cells, tag = "td") {
  const tr = document.createElement("tr");
  cells.forEach((text, i) => {
    const header = tag === "th" || i === 0;
    const cell = document.createElement(header ? "th" : "td");
    if (header) cell.scope = tag === "th" ? "col" : "row";
    cell.textContent = text;
    tr.append(cell);
  });
  return tr;
}
