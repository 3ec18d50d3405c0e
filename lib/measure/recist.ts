// RECIST 1.1 diameters of one lesion cross-section (one axial slice).
//
// Definitions (pixel centres sit at integer coordinates; a pixel covers ±0.5 around its centre):
//
// - Boundary points: the midpoints of the pixel edges that separate a lesion pixel from a pixel
//   that is not lesion (4-neighbours; outside the image counts as not lesion). They are the
//   vertices of the marching-squares contour, the points pyradiomics' Maximum2DDiameterSlice uses,
//   and lie within half a pixel of the true border (which crosses the segment between the inside
//   and the outside pixel centre). A single pixel measures max(sx, sy) by min(sx, sy).
// - Long axis: the largest distance in mm (dx·sx, dy·sy: anisotropic in-plane spacing respected)
//   between two boundary points. It is found on the convex hull of the boundary points (Andrew's
//   monotone chain on exact integer half-pixel coordinates, then all hull pairs), never over all
//   pixel pairs: the hull of a cross-section has at most a few hundred vertices.
// - Short axis: the longest extent of the cross-section along a line perpendicular to the long
//   axis. Every boundary point is projected onto the long axis (u) and its perpendicular (v); the
//   points are binned along u in windows of width max(sx, sy) (stepped by half of that, so each
//   side of the contour contributes a point to every window it crosses), and the short axis is
//   the window with the largest v-extent, drawn at the window's centre, exactly perpendicular to
//   the long axis. It spans the cross-section from its first to its last border point on that
//   line, across any notch (how a reader places the calipers). For an ellipse it is the minor axis.
//
// The cross-section is every pixel of the lesion on the slice, even where they form several 2-D
// pieces joined through other slices.
import { MeasureError } from "./errors";

/** A rectangle of a label array holding one cross-section: pixel (x, y), 0 ≤ x < w, 0 ≤ y < h,
 * is `labels[offset + x + y * stride]` and is lesion iff it equals `value`. Pixels outside the
 * rectangle are not lesion (pass the lesion's in-plane bounding box). */
export interface SliceRect {
  labels: ArrayLike<number>;
  offset: number;
  stride: number;
  w: number;
  h: number;
  value: number;
}

/** A diameter in rectangle pixel coordinates (may be fractional: boundary points sit on pixel edges). */
export interface Diameter2d {
  mm: number;
  from: [number, number];
  to: [number, number];
}

export interface SliceDiameters {
  /** lesion pixels on the slice */
  pixels: number;
  long: Diameter2d;
  short: Diameter2d;
}

/** Reusable buffers for one rectangle height (the long axis runs on every slice of a lesion). */
export class RecistScratch {
  minX: Int32Array;
  maxX: Int32Array;
  px: Int32Array;
  py: Int32Array;
  hull: Int32Array;

  constructor(h: number) {
    const rows = 2 * h + 1;
    this.minX = new Int32Array(rows);
    this.maxX = new Int32Array(rows);
    this.px = new Int32Array(2 * rows);
    this.py = new Int32Array(2 * rows);
    this.hull = new Int32Array(2 * rows + 1);
  }
}

/** The long axis of a cross-section in doubled coordinates (2·x, 2·y), or null when it is empty. */
export interface LongAxis2 {
  mm: number;
  pixels: number;
  ax: number;
  ay: number;
  bx: number;
  by: number;
}

const BIG = 0x3fffffff;

/** Long axis of one cross-section (see the file header). */
export function longAxisOf(s: SliceRect, sx: number, sy: number, scratch = new RecistScratch(s.h)): LongAxis2 | null {
  const { labels, offset, stride, w, h, value } = s;
  const rows = 2 * h + 1;
  const { minX, maxX, px, py, hull } = scratch;
  minX.fill(BIG, 0, rows);
  maxX.fill(-BIG, 0, rows);
  // per half-row r = Y + 1 (Y = doubled y of the point), the leftmost and rightmost boundary
  // point: every other boundary point of that half-row lies between them, so inside the hull
  let pixels = 0;
  for (let y = 0; y < h; y++) {
    const row = offset + y * stride;
    const r = 2 * y + 1; // the pixel row's own half-row (left/right edges)
    for (let x = 0; x < w; x++) {
      if (labels[row + x] !== value) continue;
      pixels++;
      const X = 2 * x;
      if (x === 0 || labels[row + x - 1] !== value) {
        if (X - 1 < minX[r]) minX[r] = X - 1;
        if (X - 1 > maxX[r]) maxX[r] = X - 1;
      }
      if (x === w - 1 || labels[row + x + 1] !== value) {
        if (X + 1 < minX[r]) minX[r] = X + 1;
        if (X + 1 > maxX[r]) maxX[r] = X + 1;
      }
      if (y === 0 || labels[row - stride + x] !== value) {
        if (X < minX[r - 1]) minX[r - 1] = X;
        if (X > maxX[r - 1]) maxX[r - 1] = X;
      }
      if (y === h - 1 || labels[row + stride + x] !== value) {
        if (X < minX[r + 1]) minX[r + 1] = X;
        if (X > maxX[r + 1]) maxX[r + 1] = X;
      }
    }
  }
  if (pixels === 0) return null;
  // candidate points sorted by (Y, X): half-rows in order, min before max
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (minX[r] > maxX[r]) continue;
    px[n] = minX[r];
    py[n++] = r - 1;
    if (maxX[r] !== minX[r]) {
      px[n] = maxX[r];
      py[n++] = r - 1;
    }
  }
  const m = convexHull(px, py, n, hull);
  // diameter: the farthest pair of hull vertices (O(m²), m is small)
  const hx = sx / 2;
  const hy = sy / 2;
  let best = -1;
  let bi = hull[0];
  let bj = hull[0];
  for (let i = 0; i < m; i++) {
    const a = hull[i];
    for (let j = i + 1; j < m; j++) {
      const b = hull[j];
      const dx = (px[a] - px[b]) * hx;
      const dy = (py[a] - py[b]) * hy;
      const d2 = dx * dx + dy * dy;
      if (d2 > best) {
        best = d2;
        bi = a;
        bj = b;
      }
    }
  }
  // from the end with the smaller (y, x) to the other: a stable direction for drawing
  return { mm: Math.sqrt(Math.max(best, 0)), pixels, ax: px[bi], ay: py[bi], bx: px[bj], by: py[bj] };
}

/**
 * Andrew's monotone chain on points sorted by (y, x) ascending, exact on integer coordinates;
 * collinear points are dropped. Writes the indices of the hull vertices to `out`, returns how many.
 */
function convexHull(px: Int32Array, py: Int32Array, n: number, out: Int32Array): number {
  if (n <= 2) {
    for (let i = 0; i < n; i++) out[i] = i;
    return n;
  }
  const cross = (o: number, a: number, b: number) => (px[a] - px[o]) * (py[b] - py[o]) - (py[a] - py[o]) * (px[b] - px[o]);
  let k = 0;
  for (let i = 0; i < n; i++) {
    while (k >= 2 && cross(out[k - 2], out[k - 1], i) <= 0) k--;
    out[k++] = i;
  }
  const lower = k + 1;
  for (let i = n - 2; i >= 0; i--) {
    while (k >= lower && cross(out[k - 2], out[k - 1], i) <= 0) k--;
    out[k++] = i;
  }
  return k - 1; // the last point repeats the first
}

/** Short axis of a cross-section given its long axis (see the file header). */
export function shortAxisOf(s: SliceRect, sx: number, sy: number, long: LongAxis2): Diameter2d {
  const { labels, offset, stride, w, h, value } = s;
  const hx = sx / 2;
  const hy = sy / 2;
  const ax = long.ax * hx;
  const ay = long.ay * hy;
  const L = long.mm;
  const ux = L > 0 ? (long.bx * hx - ax) / L : 1;
  const uy = L > 0 ? (long.by * hy - ay) / L : 0;
  const vx = -uy;
  const vy = ux;
  const q = Math.max(sx, sy) / 2; // fine bin; a window is two of them
  const nb = Math.floor(L / q) + 1;
  const lo = new Float64Array(nb).fill(Infinity);
  const hi = new Float64Array(nb).fill(-Infinity);
  const add = (X: number, Y: number) => {
    const dx = X * hx - ax;
    const dy = Y * hy - ay;
    const pu = dx * ux + dy * uy;
    const pv = dx * vx + dy * vy;
    const k = Math.min(nb - 1, Math.max(0, Math.floor(pu / q)));
    if (pv < lo[k]) lo[k] = pv;
    if (pv > hi[k]) hi[k] = pv;
  };
  for (let y = 0; y < h; y++) {
    const row = offset + y * stride;
    for (let x = 0; x < w; x++) {
      if (labels[row + x] !== value) continue;
      const X = 2 * x;
      const Y = 2 * y;
      if (x === 0 || labels[row + x - 1] !== value) add(X - 1, Y);
      if (x === w - 1 || labels[row + x + 1] !== value) add(X + 1, Y);
      if (y === 0 || labels[row - stride + x] !== value) add(X, Y - 1);
      if (y === h - 1 || labels[row + stride + x] !== value) add(X, Y + 1);
    }
  }
  let best = -1;
  let bt = 0;
  let blo = 0;
  let bhi = 0;
  const windows = Math.max(1, nb - 1);
  for (let k = 0; k < windows; k++) {
    const l = k + 1 < nb ? Math.min(lo[k], lo[k + 1]) : lo[k];
    const u = k + 1 < nb ? Math.max(hi[k], hi[k + 1]) : hi[k];
    if (!(u >= l)) continue;
    if (u - l > best) {
      best = u - l;
      bt = Math.min(L, k + 1 < nb ? (k + 1) * q : L / 2);
      blo = l;
      bhi = u;
    }
  }
  if (best < 0) return { mm: 0, from: [ax / sx, ay / sy], to: [ax / sx, ay / sy] };
  const cx = ax + ux * bt;
  const cy = ay + uy * bt;
  return {
    mm: best,
    from: [(cx + vx * blo) / sx, (cy + vy * blo) / sy],
    to: [(cx + vx * bhi) / sx, (cy + vy * bhi) / sy],
  };
}

/** Both diameters of one cross-section, in rectangle pixel coordinates; null when it is empty. */
export function diametersOf(s: SliceRect, sx: number, sy: number, scratch?: RecistScratch): SliceDiameters | null {
  const long = longAxisOf(s, sx, sy, scratch);
  if (!long) return null;
  return {
    pixels: long.pixels,
    long: { mm: long.mm, from: [long.ax / 2, long.ay / 2], to: [long.bx / 2, long.by / 2] },
    short: shortAxisOf(s, sx, sy, long),
  };
}

/**
 * RECIST diameters of a 2-D mask (non-zero = lesion; width × height, x fastest) with pixel size
 * `spacing` = [sx, sy] mm; null when the mask is empty. Coordinates are pixel coordinates.
 */
export function sliceDiameters(mask: ArrayLike<number>, width: number, height: number, spacing: readonly [number, number]): SliceDiameters | null {
  if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1)) {
    throw new MeasureError("BAD_DIMS", `sliceDiameters: width and height must be positive integers, got ${width} x ${height}.`);
  }
  if (mask.length !== width * height) {
    throw new MeasureError("DIMS_MISMATCH", `sliceDiameters: the mask has ${mask.length} pixels but ${width}x${height} needs ${width * height}.`);
  }
  if (!Array.isArray(spacing) || spacing.length !== 2 || !spacing.every((v) => Number.isFinite(v) && v > 0)) {
    throw new MeasureError("BAD_SPACING", `sliceDiameters: spacing must be two positive pixel sizes in mm [sx, sy], got ${JSON.stringify(spacing)}.`);
  }
  const bin = new Uint8Array(width * height);
  for (let i = 0; i < bin.length; i++) bin[i] = mask[i] !== 0 ? 1 : 0;
  return diametersOf({ labels: bin, offset: 0, stride: width, w: width, h: height, value: 1 }, spacing[0], spacing[1]);
}
