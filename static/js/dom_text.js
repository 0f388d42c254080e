// Text with subscripts as DOM: "R_L = 1 + L(k − 1)" and "r_{l−1}" become R<sub>L</sub> and
// r<sub>l−1</sub>, so formulas from the API and the page read like the tutorial's.

/**
 * An element holding the text, with x_y and x_{...} written as subscripts.
 * @param {string} text
 * @param {string} [tag] element to create (default "div")
 * @returns {HTMLElement}
 */
export function withSubscripts(text, tag = "div") {
  const node = document.createElement(tag);
  let last = 0;
  for (const match of text.matchAll(/([A-Za-zθ∇])_(\{[^}]*\}|[A-Za-z0-9]+)/g)) {
    node.append(text.slice(last, match.index + 1));
    const sub = document.createElement("sub");
    sub.textContent = match[2].replace(/^\{|\}$/g, "");
    node.append(sub);
    last = match.index + match[0].length;
  }
  node.append(text.slice(last));
  return node;
}
