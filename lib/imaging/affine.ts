// Small 4x4 row-major matrix helpers for voxel <-> world affines. Kept here (not gl-matrix) because
// gl-matrix is column-major float32 and affines must stay float64 to round-trip exactly.
import { ImagingError, type Vec3 } from "./types";

export function identity4(): number[] {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

export function multiply4(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k] * b[k * 4 + c];
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Inverse of an affine (last row 0 0 0 1); throws BAD_AFFINE when the 3x3 part is singular. */
export function invertAffine(m: readonly number[]): number[] {
  const [a, b, c, tx, d, e, f, ty, g, h, i, tz] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new ImagingError("BAD_AFFINE", "The voxel-to-world matrix is singular (zero voxel size or collapsed axes); the file's geometry cannot be used.");
  }
  const inv = [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det, 0,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det, 0,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det, 0,
    0, 0, 0, 1,
  ];
  inv[3] = -(inv[0] * tx + inv[1] * ty + inv[2] * tz);
  inv[7] = -(inv[4] * tx + inv[5] * ty + inv[6] * tz);
  inv[11] = -(inv[8] * tx + inv[9] * ty + inv[10] * tz);
  return inv;
}

export function applyAffine(m: readonly number[], p: readonly number[]): Vec3 {
  return [
    m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3],
    m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7],
    m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11],
  ];
}

/** Lengths of the first three columns: the voxel size in mm along i, j, k. */
export function columnNorms(m: readonly number[]): Vec3 {
  const n = (c: number) => Math.hypot(m[c], m[4 + c], m[8 + c]);
  return [n(0), n(1), n(2)];
}

export function affinesClose(a: readonly number[], b: readonly number[], tolMm = 1e-3): boolean {
  for (let i = 0; i < 16; i++) if (!(Math.abs(a[i] - b[i]) <= tolMm)) return false;
  return true;
}
