// Level sets of a function sampled on a grid (marching squares), for drawing the contours of
// a loss that the API evaluated. No DOM here: returns line segments in data coordinates.

/**
 * Segments of the level set {f = level} of values sampled at (xs[ix], ys[iy]).
 * @param {number[]} xs ascending abscissae
 * @param {number[]} ys ascending ordinates
 * @param {number[][]} values values[iy][ix]
 * @returns {number[][][]} [[x1, y1], [x2, y2]] segments
 */
export function contourSegments(xs, ys, values, level) {
  if (values.length !== ys.length || values.some((row) => row.length !== xs.length)) {
    throw new Error(`contour grid is ${values.length}×${values[0]?.length}, expected ${ys.length}×${xs.length}`);
  }
  const segments = [];
  // point on the edge between corner p (value vp) and corner q (value vq)
  const cut = (p, q, vp, vq) => {
    const t = vq === vp ? 0.5 : (level - vp) / (vq - vp);
    return [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
  };
  for (let iy = 0; iy + 1 < ys.length; iy++) {
    for (let ix = 0; ix + 1 < xs.length; ix++) {
      // corners counter-clockwise from bottom-left: a (x0,y0), b (x1,y0), c (x1,y1), d (x0,y1)
      const P = [[xs[ix], ys[iy]], [xs[ix + 1], ys[iy]], [xs[ix + 1], ys[iy + 1]], [xs[ix], ys[iy + 1]]];
      const V = [values[iy][ix], values[iy][ix + 1], values[iy + 1][ix + 1], values[iy + 1][ix]];
      if (V.some((v) => !Number.isFinite(v))) continue;
      const above = V.map((v) => v >= level);
      // the crossing points on the four edges (a-b, b-c, c-d, d-a)
      const crossings = [];
      for (let e = 0; e < 4; e++) {
        const f = (e + 1) % 4;
        if (above[e] !== above[f]) crossings.push({ edge: e, point: cut(P[e], P[f], V[e], V[f]) });
      }
      if (crossings.length === 2) {
        segments.push([crossings[0].point, crossings[1].point]);
      } else if (crossings.length === 4) {
        // saddle: decide by the value at the centre which corners are joined
        const centre = (V[0] + V[1] + V[2] + V[3]) / 4;
        const pts = crossings.map((c) => c.point);
        if ((centre >= level) === above[0]) {
          segments.push([pts[0], pts[1]], [pts[2], pts[3]]);
        } else {
          segments.push([pts[3], pts[0]], [pts[1], pts[2]]);
        }
      }
    }
  }
  return segments;
}

/**
 * Contour levels between the smallest and largest value, spaced quadratically so that the
 * level sets of a quadratic loss come out evenly spaced.
 * @param {number} count number of levels
 */
export function quadraticLevels(values, count) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of values) {
    for (const v of row) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!(hi > lo)) return [];
  return Array.from({ length: count }, (_, i) => lo + (hi - lo) * ((i + 1) / (count + 1)) ** 2);
}
