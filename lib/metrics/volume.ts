// Jaccard overlap and volumes of binary masks (any typed array; non-zero = inside).
import { checkSameLength, checkSpacing, MetricsError, type Spacing3 } from "./errors";

type Mask = ArrayLike<number>;

/** Jaccard |A∩B| / |A∪B|; two empty masks agree perfectly (1), like `dice`. */
export function jaccard(a: Mask, b: Mask): number {
  const n = checkSameLength(a, b);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x || y) union++;
    if (x && y) inter++;
  }
  return union === 0 ? 1 : inter / union;
}

export interface VolumeDifference {
  /** volume of A (the reference) in mL */
  aMl: number;
  /** volume of B (the test) in mL */
  bMl: number;
  /** bMl − aMl (mL): positive when B is larger */
  diffMl: number;
  /** (b − a) / a; null when A is empty (undefined relative change) */
  relative: number | null;
}

/** Voxel volume in mL of a [sx, sy, sz] mm spacing. */
export function voxelMl(spacing: Spacing3): number {
  checkSpacing(spacing);
  return (spacing[0] * spacing[1] * spacing[2]) / 1000;
}

/** Volumes (mL) of two masks on the same grid and their difference B − A. */
export function volumeDifference(a: Mask, b: Mask, spacing: Spacing3): VolumeDifference {
  const n = checkSameLength(a, b);
  const ml = voxelMl(spacing);
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] !== 0) na++;
    if (b[i] !== 0) nb++;
  }
  return { aMl: na * ml, bMl: nb * ml, diffMl: (nb - na) * ml, relative: na === 0 ? null : (nb - na) / na };
}

/** Volume (mL) of one mask. */
export function volumeMl(mask: Mask, spacing: Spacing3): number {
  if (!mask || typeof mask.length !== "number") throw new MetricsError("BAD_INPUT", "mask must be an array of voxels.");
  const ml = voxelMl(spacing);
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n * ml;
}
