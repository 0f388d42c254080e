// A QR code as data, no DOM: the dark and light modules of a text, from the vendored
// qrcode-generator (MIT, static/vendor/qrcode-generator). Error correction M (15% of the code can
// be lost: a projector's glare or a phone held at an angle); the version (size) is the smallest
// that holds the text.

import qrcode from "../vendor/qrcode-generator/qrcode.js";

/**
 * The modules of the QR code of `text`: rows of booleans, true = dark, without the quiet zone.
 * @param {string} text ASCII (a URL)
 * @param {"L" | "M" | "Q" | "H"} [level]
 * @returns {boolean[][]}
 */
export function qrModules(text, level = "M") {
  if (typeof text !== "string" || text.length === 0) throw new Error("a QR code needs a non-empty text");
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error("the QR code here holds ASCII text only (a URL)");
  const code = qrcode(0, level);
  code.addData(text, "Byte");
  code.make();
  const n = code.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => code.isDark(r, c)));
}
