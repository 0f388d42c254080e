// A drawing as a list of strokes, and its compact text form for the URL. No DOM here.
//
// A stroke is {brush, points}: the brush diameter and the pen positions in pad pixels
// (integers 0..size-1). The text form writes each coordinate as two base-36 digits, so a
// whole digit (a few hundred points) fits in a shareable link: "b18:0a0b0c0d;b12:...".

/** @typedef {{brush: number, points: number[][]}} Stroke */

const COORD_LIMIT = 36 * 36; // two base-36 digits per coordinate

/**
 * Append a point to a stroke unless it is closer than `minStep` pixels to the previous one.
 * @param {Stroke} stroke
 * @returns {boolean} whether the point was added
 */
export function addPoint(stroke, x, y, minStep = 1.5) {
  const px = Math.round(x);
  const py = Math.round(y);
  const last = stroke.points[stroke.points.length - 1];
  if (last && Math.hypot(last[0] - px, last[1] - py) < minStep) return false;
  stroke.points.push([px, py]);
  return true;
}

/**
 * The text form of a list of strokes.
 * @param {Stroke[]} strokes
 */
export function encodeStrokes(strokes) {
  return strokes
    .map((s) => {
      const coords = s.points
        .map(([x, y]) => pair(x) + pair(y))
        .join("");
      return `b${Math.round(s.brush)}:${coords}`;
    })
    .join(";");
}

/**
 * Parse the text form; throws an Error naming the problem for malformed text.
 * @returns {Stroke[]}
 */
export function decodeStrokes(text) {
  if (!text) return [];
  return text.split(";").map((part, index) => {
    const match = /^b(\d{1,3}):((?:[0-9a-z]{4})*)$/.exec(part);
    if (!match) throw new Error(`stroke ${index + 1} is not in the form b<brush>:<coordinates>`);
    const points = [];
    for (let i = 0; i < match[2].length; i += 4) {
      points.push([
        parseInt(match[2].slice(i, i + 2), 36),
        parseInt(match[2].slice(i + 2, i + 4), 36),
      ]);
    }
    return { brush: Number(match[1]), points };
  });
}

function pair(value) {
  const v = Math.min(COORD_LIMIT - 1, Math.max(0, Math.round(value)));
  return v.toString(36).padStart(2, "0");
}
