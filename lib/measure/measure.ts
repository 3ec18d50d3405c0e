// Clinical measurements of a label map on its CT: liver and tumour volumes, tumour burden, and
// per lesion its volume, HU statistics, centroid, box and RECIST 1.1 diameters, plus the RECIST
// target lesions. Pure: typed arrays in, a plain object out.
//
// Labels: Uint8Array, 0 background, 1 liver, 2 tumour; tumour lies inside the liver, so the liver
// volume counts every label >= 1. Grid: x fastest, index = x + nx·(y + ny·z); volumes are stored
// canonical RAS, so z is the axial (slice) axis. `spacing` gives the voxel size for volumes and
// diameters (in-plane axes taken as orthogonal, as in a canonical volume); `affine` only maps the
// centroids to world mm.
//
// Cost: one pass over the label bytes (four at a time, empty words skipped) for the counts and
// the tumour's bounding box; components, HU and diameters only inside that box; diameters on the
// convex hull of each slice's boundary (see recist.ts).
import type { Box3 } from "../box";
import { MeasureError } from "./errors";
import { findLesions, type Lesion } from "./lesions";

export interface MeasureInput {
  labels: Uint8Array;
  /** CT values in HU on the same grid (Int16Array or any ArrayLike<number>) */
  hu: ArrayLike<number>;
  /** [nx, ny, nz] */
  dims: readonly [number, number, number];
  /** voxel size in mm [sx, sy, sz] */
  spacing: readonly [number, number, number];
  /** 4x4 row-major voxel -> world (RAS mm) */
  affine: readonly number[];
}

export interface MeasureOptions {
  /**
   * Components smaller than this (mL) are not lesions: left out of `lesions`, `lesionCount` and
   * target selection (their voxels still count in `tumourMl`). Default 0: every 6-connected
   * tumour component counts, down to a single voxel.
   */
  minLesionMl?: number;
  /**
   * The smallest long axis (mm) of a measurable (target) lesion. Default: RECIST 1.1's 10 mm on
   * CT, or twice the slice spacing when slices are thicker than 5 mm.
   */
  targetMinMm?: number;
  /** At most this many target lesions per organ (RECIST 1.1: 2). Every lesion here is in the liver. */
  maxTargetsPerOrgan?: number;
}

export interface Measurements {
  /** liver including tumour (label >= 1), mL */
  liverMl: number;
  tumourMl: number;
  /** tumourMl / liverMl; null when there is no liver */
  burden: number | null;
  lesionCount: number;
  lesions: Lesion[];
  /** indices into `lesions` of the RECIST 1.1 target lesions: long axis >= targetMinMm, largest long axis first, at most maxTargetsPerOrgan */
  targets: number[];
  /** the measurability threshold used for `targets` (mm) */
  targetMinMm: number;
  /** RECIST sum of diameters: the targets' long axes added up (mm; 0 without targets) */
  targetSumMm: number;
}

function checkInput(input: MeasureInput): number {
  const { labels, hu, dims, spacing, affine } = input;
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new MeasureError("BAD_DIMS", `dims must be three positive integers [nx, ny, nz], got ${JSON.stringify(dims)}.`);
  }
  const n = dims[0] * dims[1] * dims[2];
  if (!(labels instanceof Uint8Array)) {
    throw new MeasureError("BAD_LABELS", "labels must be a Uint8Array label map (0 background, 1 liver, 2 tumour).");
  }
  if (labels.length !== n) {
    throw new MeasureError("DIMS_MISMATCH", `the label map has ${labels.length} voxels but dims ${dims.join("x")} need ${n}; measure a label map on its own CT grid.`, { what: "labels", length: labels.length, expected: n });
  }
  if (hu == null || typeof hu.length !== "number" || hu.length !== n) {
    throw new MeasureError("DIMS_MISMATCH", `the CT has ${hu?.length} voxels but dims ${dims.join("x")} need ${n}; the label map and the CT must share one grid.`, { what: "hu", length: hu?.length, expected: n });
  }
  if (!Array.isArray(spacing) || spacing.length !== 3 || !spacing.every((v) => Number.isFinite(v) && v > 0)) {
    throw new MeasureError("BAD_SPACING", `spacing must be three positive voxel sizes in mm [sx, sy, sz], got ${JSON.stringify(spacing)}.`);
  }
  if (!Array.isArray(affine) || affine.length !== 16 || !affine.every((v) => Number.isFinite(v))) {
    throw new MeasureError("BAD_AFFINE", "affine must be 16 finite numbers: the 4x4 row-major voxel-to-world matrix.");
  }
  return n;
}

function resolveOptions(opts: MeasureOptions, sz: number) {
  const minLesionMl = opts.minLesionMl ?? 0;
  const targetMinMm = opts.targetMinMm ?? Math.max(10, 2 * sz);
  const maxTargets = opts.maxTargetsPerOrgan ?? 2;
  if (!(Number.isFinite(minLesionMl) && minLesionMl >= 0)) {
    throw new MeasureError("BAD_OPTIONS", `minLesionMl must be a number >= 0 (mL), got ${minLesionMl}.`);
  }
  if (!(Number.isFinite(targetMinMm) && targetMinMm >= 0)) {
    throw new MeasureError("BAD_OPTIONS", `targetMinMm must be a number >= 0 (mm), got ${targetMinMm}.`);
  }
  if (!(Number.isInteger(maxTargets) && maxTargets >= 0)) {
    throw new MeasureError("BAD_OPTIONS", `maxTargetsPerOrgan must be an integer >= 0, got ${maxTargets}.`);
  }
  return { minLesionMl, targetMinMm, maxTargets };
}

interface Counts {
  liver: number;
  tumour: number;
  /** bounding box of the tumour voxels; null without tumour */
  box: Box3 | null;
}

/** Liver and tumour voxel counts and the tumour's box, in one pass; throws BAD_LABELS on values > 2. */
function countLabels(labels: Uint8Array, dims: readonly [number, number, number]): Counts {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const n = labels.length;
  let liver = 0;
  let tumour = 0;
  let xa = nx;
  let ya = ny;
  let za = nz;
  let xb = -1;
  let yb = -1;
  let zb = -1;
  const one = (i: number) => {
    const v = labels[i];
    if (v === 0) return;
    if (v > 2) throw new MeasureError("BAD_LABELS", `the label map has label ${v} at voxel ${i}; only 0 background, 1 liver, 2 tumour are allowed.`, { voxel: i, label: v });
    liver++;
    if (v === 2) {
      tumour++;
      const z = Math.floor(i / plane);
      const r = i - z * plane;
      const y = Math.floor(r / nx);
      const x = r - y * nx;
      if (x < xa) xa = x;
      if (x > xb) xb = x;
      if (y < ya) ya = y;
      if (y > yb) yb = y;
      if (z < za) za = z;
      if (z > zb) zb = z;
    }
  };
  // four labels at a time: almost every word of a CT's label map is background
  const head = Math.min(n, (4 - (labels.byteOffset % 4)) % 4);
  for (let i = 0; i < head; i++) one(i);
  const words = new Uint32Array(labels.buffer, labels.byteOffset + head, (n - head) >> 2);
  for (let k = 0; k < words.length; k++) {
    if (words[k] === 0) continue;
    const i = head + 4 * k;
    one(i);
    one(i + 1);
    one(i + 2);
    one(i + 3);
  }
  for (let i = head + 4 * words.length; i < n; i++) one(i);
  const box = tumour === 0 ? null : { x0: xa, y0: ya, z0: za, w: xb - xa + 1, h: yb - ya + 1, d: zb - za + 1 };
  return { liver, tumour, box };
}

/** Volumes, burden, lesions with RECIST diameters and the target lesions of a label map on its CT. */
export function measureLabels(input: MeasureInput, opts: MeasureOptions = {}): Measurements {
  checkInput(input);
  const { labels, hu, dims, spacing, affine } = input;
  const { minLesionMl, targetMinMm, maxTargets } = resolveOptions(opts, spacing[2]);
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const { liver, tumour, box } = countLabels(labels, dims);
  // the smallest voxel count whose volume reaches minLesionMl (a tiny slack for rounding)
  const minVoxels = Math.max(1, Math.ceil(minLesionMl / voxelMl - 1e-9));
  const lesions = box ? findLesions(labels, hu, { dims, spacing, affine }, box, minVoxels) : [];
  const targets = lesions
    .map((l, i) => i)
    .filter((i) => lesions[i].longAxisMm >= targetMinMm)
    .sort((a, b) => lesions[b].longAxisMm - lesions[a].longAxisMm || a - b)
    .slice(0, maxTargets);
  const liverMl = liver * voxelMl;
  const tumourMl = tumour * voxelMl;
  return {
    liverMl,
    tumourMl,
    burden: liver === 0 ? null : tumour / liver,
    lesionCount: lesions.length,
    lesions,
    targets,
    targetMinMm,
    targetSumMm: targets.reduce((s, i) => s + lesions[i].longAxisMm, 0),
  };
}
