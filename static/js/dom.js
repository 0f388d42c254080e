// Building DOM: the element of an id ($), an element with its properties and children (el), an SVG element with its
// attributes (svgElement), a table row of text cells (tableRow), and text with sub- and
// superscripts (withSubscripts): "R_L = 1 + L(k − 1)", "r_{l−1}", "X_(i+a−1, j+b−1)",
// "ℝ^784" and "L^0.63" become R<sub>L</sub>, r<sub>l−1</sub>, X<sub>i+a−1, j+b−1</sub>,
// ℝ<sup>784</sup> and L<sup>0.63</sup>, so formulas from the API and the page read like the
// tutorial's instead of showing raw underscores and carets.

const SVG = "http://www.w3.org/2000/svg";

/**
 * The page's element with this id.
 * @param {string} id
 * @returns {HTMLElement | null}
 */
export const $ = (id) => document.getElementById(id);

/**
 * An HTML element with properties (className, textContent, style as CSS text, …), attributes
 * ("role" and the names with a hyphen: "aria-label", "data-index") and children.
 * @param {...(Node | string)} children
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "role" || key.includes("-")) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

/**
 * An SVG element with attributes (class, viewBox, …) and optional text.
 * @param {Record<string, string | number>} [attrs]
 * @param {string | null} [text]
 * @returns {SVGElement}
 */
export function svgElement(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/**
 * A table row of text cells. In a body row (tag "td") the first cell is a row header; with
 * tag "th" every cell is a column header.
 * @param {"td" | "th"} [tag]
 * @returns {HTMLTableRowElement}
 */
export function tableRow(cells, tag = "td") {
  return el("tr", {}, ...cells.map((text, i) => {
    const header = tag === "th" || i === 0;
    return el(header ? "th" : "td", header ? { scope: tag === "th" ? "col" : "row", textContent: text } : { textContent: text });
  }));
}

/**
 * x_y, x_{...}, x_(...) (a subscript) and x^y, x^{...}, x^(...) (a superscript), where x is one
 * symbol: names such as output_padding (a letter before the underscore's letter) stay as they are.
 */
const SCRIPT = /(?<![A-Za-z])([A-Za-zθ∇Σℝ)])([_^])(\{[^}]*\}|\([^)]*\)|[0-9]+\.[0-9]+|[A-Za-z0-9]+)/g;

/**
 * An element holding the text, with x_y written as a subscript and x^y as a superscript.
 * @param {string} [tag] element to create (default "div")
 */
export function withSubscripts(text, tag = "div") {
  const node = document.createElement(tag);
  let last = 0;
  for (const match of text.matchAll(SCRIPT)) {
    node.append(text.slice(last, match.index + 1));
    const script = document.createElement(match[2] === "_" ? "sub" : "sup");
    script.textContent = match[3].replace(/^[{(]|[})]$/g, "");
    node.append(script);
    last = match.index + match[0].length;
  }
  node.append(text.slice(last));
  return node;
}
