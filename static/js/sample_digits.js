// Ten sample digits for the drawing pad (one polyline each, in the 280×280 pad's pixels): the
// keyboard route to a drawing, and the drawings bench/classroom_load.py sends (it reads the
// JSON below). No DOM here.

/** @type {number[][][]} SAMPLE_PATHS[d]: the corners of a one-stroke digit d (valid JSON). */
export const SAMPLE_PATHS = [
  [[140,50],[95,80],[80,140],[95,210],[140,235],[185,210],[200,140],[185,80],[140,50]],
  [[120,80],[150,50],[150,140],[150,235]],
  [[85,90],[120,55],[175,60],[190,110],[150,160],[90,230],[200,230]],
  [[90,70],[170,60],[140,130],[190,170],[170,225],[90,225]],
  [[170,235],[170,50],[80,170],[205,170]],
  [[195,55],[100,55],[90,130],[170,130],[195,185],[160,235],[85,220]],
  [[180,55],[110,110],[85,190],[130,235],[185,200],[165,150],[95,170]],
  [[80,60],[200,60],[150,140],[120,235]],
  [[140,135],[90,90],[140,50],[190,90],[140,135],[85,185],[140,235],[195,185],[140,135]],
  [[185,110],[140,60],[95,100],[140,140],[185,110],[180,180],[150,235]]
];

/**
 * The strokes of sample digit `digit`, densified every few pixels the way a pen would send them.
 * @param {number} digit 0-9
 * @param {number} brush brush diameter in pad pixels
 * @returns {import("./strokes.js").Stroke[]}
 */
export function sampleStrokes(digit, brush) {
  const path = SAMPLE_PATHS[digit];
  if (!path) throw new Error(`no sample digit ${digit}: choose 0 to 9`);
  const points = [path[0]];
  for (let i = 1; i < path.length; i++) {
    const [x0, y0] = path[i - 1];
    const [x1, y1] = path[i];
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 4));
    for (let t = 1; t <= steps; t++) {
      points.push([Math.round(x0 + ((x1 - x0) * t) / steps), Math.round(y0 + ((y1 - y0) * t) / steps)]);
    }
  }
  return [{ brush, points }];
}
