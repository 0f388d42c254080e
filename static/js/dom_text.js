// Text with sub- and superscripts as DOM: "R_L = 1 + L(k − 1)", "r_{l−1}", "X_(i+a−1, j+b−1)",
// "ℝ^784" and "L^0.63" become R<sub>L</sub>, r<sub>l−1</sub>, X<sub>i+a−1, j+b−1</sub>,
// ℝ<sup>784</sup> and L<sup>0.63</sup>, so formulas from the API and the page read like the
// tutorial's instead of showing raw underscores and carets.

/**
 * x_y, x_{...}, x_(...) (a subscript) and x^y, x^{...}, x^(...) (a superscript), where x is one
 * symbol: names such as output_padding (a letter before the underscore's letter) stay as they are.
 */
const SCRIPT = /(?<![A-Za-z])([A-Za-zθ∇Σℝ)])([_^])(\{[^}]*\}|\([^)]*\)|[0-9]+\.[0-9]+|[A-Za-z0-9]+)/g;

/**
 * An element holding the text, with x_y written as a subscript and x^y as a superscript.
 * @param {string} text
 * @param {string} [tag] element to create (default "div")
 * @returns {HTMLElement}
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
