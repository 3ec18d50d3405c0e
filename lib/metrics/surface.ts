// Surface-distance metrics between two binary masks on one anisotropic grid (non-zero = inside).
//
// Surface voxels: mask voxels with at least one of their 6 face neighbours outside the mask or
// outside the volume. Distances are between surface-voxel centres, in mm (x * sx, y * sy, z * sz).
// For every surface voxel of A, the distance to the nearest surface voxel of B (and vice versa)
// comes from an exact Euclidean distance transform (EDT): the Felzenszwalb–Huttenlocher lower
// envelope of parabolas, applied along x, then y, then z with each axis's own spacing. That
// separable min-of-sums is exact for anisotropic grids and O(voxels).
//
// The transform runs only inside the bounding box of A ∪ B. That is exact, not an approximation:
// every surface voxel of either mask lies in that box, so every source and every query does too,
// and the separable minimum over an axis-aligned box holding all sources equals the global one.
// Peak memory: 8 bytes (one Float64 distance buffer) + 2 bytes (two surface maps) per voxel of
// that box, reused for both directions.
//
// Empty masks: both empty → every distance 0 and surface Dice 1 (perfect agreement, as `dice`);
// exactly one empty → every distance Infinity (JSON.stringify writes null) and surface Dice 0.
import type { Box3 } from "../box";
import { checkDims, checkSpacing, MetricsError, type Dims3, type Spacing3 } from "./errors";

type Mask = ArrayLike<number>;

export interface SurfaceDistances {
  /**
   * Average symmetric surface distance (ASSD), mm: the mean of the two directed means
   * (meanAtoBMm + meanBtoAMm) / 2. (The pooled variant, all distances of both directions averaged
   * together, weights the mask with more surface voxels more; it is (nA·meanAtoB + nB·meanBtoA)/(nA+nB).)
   */
  averageMm: number;
  /** mean over A's surface voxels of the distance to B's surface, mm */
  meanAtoBMm: number;
  /** mean over B's surface voxels of the distance to A's surface, mm */
  meanBtoAMm: number;
  /**
   * 95th-percentile Hausdorff distance, mm: the larger of the two directed 95th percentiles
   * (percentile with linear interpolation between order statistics, numpy's default), as in
   * MONAI's compute_hausdorff_distance(percentile=95) and DeepMind's surface-distance (there
   * weighted by surfel area; here every surface voxel counts once).
   */
  hd95Mm: number;
  /** symmetric Hausdorff distance (the largest distance in either direction), mm */
  hausdorffMm: number;
  /** number of surface voxels of A and of B */
  surfaceVoxelsA: number;
  surfaceVoxelsB: number;
  /** surface Dice at a tolerance in mm: see `surfaceDice`. O(log n) per call. */
  surfaceDiceAt(toleranceMm: number): number;
}

/** Surface voxels of a mask (1 = a mask voxel with a 6-neighbour outside the mask or the volume). */
export function surfaceVoxels(mask: Mask, dims: Dims3): Uint8Array {
  const n = checkDims(dims, mask);
  const m = asBinary(mask);
  const out = new Uint8Array(n);
  const box = boundingBox(m, m, dims);
  if (!box) return out;
  const s = extractSurface(m, dims, box);
  const [nx, ny] = dims;
  for (let k = 0; k < s.count; k++) {
    const c = s.list[k];
    const x = c % box.w;
    const y = ((c - x) / box.w) % box.h;
    const z = (c - x - box.w * y) / (box.w * box.h);
    out[box.x0 + x + nx * (box.y0 + y + ny * (box.z0 + z))] = 1;
  }
  return out;
}

/**
 * Exact squared Euclidean distance (mm²) from every voxel to the nearest non-zero voxel of
 * `sources` (0 on a source, Infinity when there is none), by the separable
 * Felzenszwalb–Huttenlocher transform with per-axis spacing. Full grid; 8 bytes per voxel.
 */
export function distanceTransformSq(sources: Mask, dims: Dims3, spacing: Spacing3): Float64Array {
  checkDims(dims, sources);
  checkSpacing(spacing);
  const src = asBinary(sources);
  const [nx, ny, nz] = dims;
  const buf = new Float64Array(nx * ny * nz);
  const planeHas = new Uint8Array(nz);
  for (let z = 0; z < nz; z++) {
    const o = z * nx * ny;
    for (let i = 0; i < nx * ny; i++) {
      if (src[o + i] !== 0) {
        planeHas[z] = 1;
        break;
      }
    }
  }
  edtSq(src, nx, ny, nz, spacing, planeHas, null, buf);
  return buf;
}

/**
 * Surface distances between A and B (see SurfaceDistances for the definitions; empty masks in the
 * header). Masks are any typed arrays on `dims`, non-zero = inside; `spacing` in mm.
 */
export function surfaceDistances(a: Mask, b: Mask, dims: Dims3, spacing: Spacing3): SurfaceDistances {
  checkDims(dims, a, b);
  checkSpacing(spacing);
  const ma = asBinary(a);
  const mb = asBinary(b);
  const box = boundingBox(ma, mb, dims);
  if (!box) return result(new Float64Array(0), new Float64Array(0));
  const sa = extractSurface(ma, dims, box);
  const sb = extractSurface(mb, dims, box);
  if (sa.count === 0 || sb.count === 0) return result(new Float64Array(sa.count).fill(Infinity), new Float64Array(sb.count).fill(Infinity));
  const { w, h, d } = box;
  const buf = new Float64Array(w * h * d);
  const cols = new Uint8Array(w * h);
  const dA = directed(sb, sa, box, spacing, buf, cols);
  const dB = directed(sa, sb, box, spacing, buf, cols);
  return result(dA, dB);
}

/**
 * Surface Dice (normalised surface distance) at `toleranceMm`, count-based on surface voxels:
 * (|∂A within tol of ∂B| + |∂B within tol of ∂A|) / (|∂A| + |∂B|), "within" meaning distance
 * ≤ tol (+1e-9 mm for float rounding). Every surface voxel counts once (no surfel-area weights).
 * Both empty → 1; exactly one empty → 0.
 */
export function surfaceDice(a: Mask, b: Mask, dims: Dims3, spacing: Spacing3, toleranceMm: number): number {
  checkTolerance(toleranceMm);
  return surfaceDistances(a, b, dims, spacing).surfaceDiceAt(toleranceMm);
}

// ---------------------------------------------------------------------------------------------

type Box = Box3;

interface Surface {
  /** 1 on a surface voxel, box-local (x fastest) */
  map: Uint8Array;
  /** box-local indices of the surface voxels, ascending; `count` of them are valid */
  list: Int32Array;
  count: number;
  /** planeHas[z] = 1 when box plane z holds a surface voxel */
  planeHas: Uint8Array;
}

function checkTolerance(t: number): void {
  if (typeof t !== "number" || !Number.isFinite(t) || t < 0) {
    throw new MetricsError("BAD_INPUT", `surface Dice tolerance must be a finite number of mm >= 0, got ${String(t)}.`);
  }
}

/** Uint8Array inputs are used as they are (one monomorphic hot path); others become 0/1 bytes. */
function asBinary(m: Mask): Uint8Array {
  if (m instanceof Uint8Array) return m;
  const out = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = m[i] !== 0 ? 1 : 0;
  return out;
}

/** Is any byte of a or b in [start, start + len) non-zero? Four bytes at a time when aligned. */
function rowAny(a: Uint8Array, b: Uint8Array, a32: Uint32Array | null, b32: Uint32Array | null, start: number, len: number): boolean {
  if (a32 !== null && b32 !== null && (start & 3) === 0 && (len & 3) === 0) {
    const w0 = start >> 2;
    const w1 = w0 + (len >> 2);
    for (let k = w0; k < w1; k++) if ((a32[k] | b32[k]) !== 0) return true;
    return false;
  }
  for (let i = start; i < start + len; i++) if ((a[i] | b[i]) !== 0) return true;
  return false;
}

function words(m: Uint8Array): Uint32Array | null {
  return m.byteOffset % 4 === 0 ? new Uint32Array(m.buffer, m.byteOffset, m.length >> 2) : null;
}

/** Bounding box of the non-zero voxels of a ∪ b, or null when both are empty. */
function boundingBox(a: Uint8Array, b: Uint8Array, dims: Dims3): Box | null {
  const [nx, ny, nz] = dims;
  const a32 = words(a);
  const b32 = a === b ? a32 : words(b);
  let x0 = nx;
  let x1 = -1;
  let y0 = ny;
  let y1 = -1;
  let z0 = nz;
  let z1 = -1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const r = nx * (y + ny * z);
      if (!rowAny(a, b, a32, b32, r, nx)) continue;
      let lo = 0;
      while ((a[r + lo] | b[r + lo]) === 0) lo++;
      let hi = nx - 1;
      while ((a[r + hi] | b[r + hi]) === 0) hi--;
      if (lo < x0) x0 = lo;
      if (hi > x1) x1 = hi;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (z < z0) z0 = z;
      z1 = z;
    }
  }
  if (x1 < 0) return null;
  return { x0, y0, z0, w: x1 - x0 + 1, h: y1 - y0 + 1, d: z1 - z0 + 1 };
}

/**
 * Surface voxels of m inside `box` (which holds every voxel of m): a neighbour outside the box is
 * outside the mask (the box is a bounding box) and one outside the volume counts as outside too.
 */
function extractSurface(m: Uint8Array, dims: Dims3, box: Box): Surface {
  const [nx, ny] = dims;
  const plane = nx * ny;
  const { x0, y0, z0, w, h, d } = box;
  const map = new Uint8Array(w * h * d);
  const planeHas = new Uint8Array(d);
  let list = new Int32Array(1024);
  let count = 0;
  for (let z = 0; z < d; z++) {
    const zEdge = z === 0 || z === d - 1;
    for (let y = 0; y < h; y++) {
      const yzEdge = zEdge || y === 0 || y === h - 1;
      const r = x0 + nx * (y0 + y + ny * (z0 + z));
      const c = w * (y + h * z);
      for (let x = 0; x < w; x++) {
        const i = r + x;
        if (m[i] === 0) continue;
        if (
          yzEdge ||
          x === 0 ||
          x === w - 1 ||
          m[i - 1] === 0 ||
          m[i + 1] === 0 ||
          m[i - nx] === 0 ||
          m[i + nx] === 0 ||
          m[i - plane] === 0 ||
          m[i + plane] === 0
        ) {
          map[c + x] = 1;
          planeHas[z] = 1;
          if (count === list.length) {
            const grown = new Int32Array(list.length * 2);
            grown.set(list);
            list = grown;
          }
          list[count++] = c + x;
        }
      }
    }
  }
  return { map, list, count, planeHas };
}

/** Distances (mm) from each `query` surface voxel to the nearest `source` surface voxel, sorted. */
function directed(source: Surface, query: Surface, box: Box, spacing: Spacing3, buf: Float64Array, cols: Uint8Array): Float64Array {
  const { w, h, d } = box;
  const plane = w * h;
  cols.fill(0);
  for (let k = 0; k < query.count; k++) cols[query.list[k] % plane] = 1;
  edtSq(source.map, w, h, d, spacing, source.planeHas, cols, buf);
  const out = new Float64Array(query.count);
  for (let k = 0; k < query.count; k++) out[k] = Math.sqrt(buf[query.list[k]]);
  return out.sort();
}

// Scratch for the 1-D transform, grown on demand (module-level: no per-column allocation).
let envV = new Int32Array(0);
let envF = new Float64Array(0);
let envZ = new Float64Array(0);

function scratch(n: number): void {
  if (envV.length >= n) return;
  envV = new Int32Array(n);
  envF = new Float64Array(n);
  envZ = new Float64Array(n + 1);
}

/**
 * In place along one line of buf (start `o`, stride `st`, `n` samples, squared spacing `s2`):
 * g(q) = min_p f(p) + s2 (q − p)². Infinite samples add no parabola; an all-infinite line stays.
 */
function fh1d(buf: Float64Array, o: number, st: number, n: number, s2: number): void {
  const v = envV;
  const fv = envF;
  const zz = envZ;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = buf[o + q * st];
    if (fq === Infinity) continue;
    const hq = fq + s2 * q * q;
    let s = -Infinity;
    while (k >= 0) {
      const p = v[k];
      s = (hq - (fv[k] + s2 * p * p)) / (2 * s2 * (q - p));
      if (s <= zz[k]) k--;
      else break;
    }
    k++;
    v[k] = q;
    fv[k] = fq;
    zz[k] = k === 0 ? -Infinity : s;
  }
  if (k < 0) return;
  zz[k + 1] = Infinity;
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (zz[j + 1] < q) j++;
    const dq = q - v[j];
    buf[o + q * st] = s2 * dq * dq + fv[j];
  }
}

/**
 * Squared EDT (mm²) of the non-zero voxels of `src` (w × h × d, x fastest) into buf. planeHas[z]
 * marks planes holding a source (others are all Infinity after the x and y passes); when `cols` is
 * given, the z pass runs only on columns (x, y) with cols[x + w y] = 1 (the rest is left partial).
 */
function edtSq(src: Uint8Array, w: number, h: number, d: number, spacing: Spacing3, planeHas: Uint8Array, cols: Uint8Array | null, buf: Float64Array): void {
  const sx2 = spacing[0] * spacing[0];
  const sy2 = spacing[1] * spacing[1];
  const sz2 = spacing[2] * spacing[2];
  const plane = w * h;
  scratch(Math.max(w, h, d));
  // x: exact 1-D distance to the nearest source in the row, by two sweeps
  for (let z = 0; z < d; z++) {
    if (planeHas[z] === 0) {
      buf.fill(Infinity, z * plane, (z + 1) * plane);
      continue;
    }
    for (let y = 0; y < h; y++) {
      const r = w * (y + h * z);
      let last = -1;
      for (let x = 0; x < w; x++) {
        if (src[r + x] !== 0) {
          last = x;
          buf[r + x] = 0;
        } else buf[r + x] = last < 0 ? Infinity : x - last;
      }
      if (last < 0) continue;
      let next = -1;
      for (let x = w - 1; x >= 0; x--) {
        let dx = buf[r + x];
        if (dx === 0) next = x;
        else if (next >= 0 && next - x < dx) dx = next - x;
        buf[r + x] = sx2 * dx * dx;
      }
    }
  }
  // y: per plane holding a source (other planes are all Infinity and stay so)
  if (h > 1) {
    for (let z = 0; z < d; z++) {
      if (planeHas[z] === 0) continue;
      for (let x = 0; x < w; x++) fh1d(buf, z * plane + x, w, h, sy2);
    }
  }
  // z
  if (d > 1) {
    for (let c = 0; c < plane; c++) {
      if (cols !== null && cols[c] === 0) continue;
      fh1d(buf, c, plane, d, sz2);
    }
  }
}

/** Linear-interpolation percentile (numpy's default) of an ascending array; p in [0, 100]. */
function percentile(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Count of entries ≤ t in an ascending array. */
function countAtMost(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length ? s / x.length : 0;
}

/** Metrics from the sorted directed distances (both empty: both arrays empty). */
function result(dA: Float64Array, dB: Float64Array): SurfaceDistances {
  const nA = dA.length;
  const nB = dB.length;
  const both = nA + nB === 0;
  const one = !both && (nA === 0 || nB === 0);
  const inf = (x: number) => (one ? Infinity : x);
  const meanAtoBMm = inf(mean(dA));
  const meanBtoAMm = inf(mean(dB));
  return {
    averageMm: inf((meanAtoBMm + meanBtoAMm) / 2),
    meanAtoBMm,
    meanBtoAMm,
    hd95Mm: inf(Math.max(percentile(dA, 95), percentile(dB, 95))),
    hausdorffMm: inf(Math.max(nA ? dA[nA - 1] : 0, nB ? dB[nB - 1] : 0)),
    surfaceVoxelsA: nA,
    surfaceVoxelsB: nB,
    surfaceDiceAt(toleranceMm: number): number {
      checkTolerance(toleranceMm);
      if (both) return 1;
      if (one) return 0;
      const t = toleranceMm + 1e-9;
      return (countAtMost(dA, t) + countAtMost(dB, t)) / (nA + nB);
    },
  };
}
