// Per-structure metrics and per-lesion detection between a reference and a test segmentation.
//
// Lesions are 6-connected components of the selected structure (binary masks, or label maps with
// the `label` option). Matching rule (deterministic, no one-to-one assignment):
//   - a reference lesion and a test lesion are a pair when they share at least one voxel;
//   - a reference lesion is detected when it is in at least one pair, missed otherwise;
//   - a test lesion is a false positive only when it is in no pair;
//   - one test lesion overlapping several reference lesions is a merge (all of them count as
//     detected), one reference lesion overlapped by several test lesions is a split (no test
//     lesion of it is a false positive).
// Components smaller than `minVoxels` are dropped on both sides before matching (they neither
// detect nor count as false positives). Lesion ids are 1.. in scan order of each lesion's first
// voxel (index order, x fastest). Centroids are in mm in voxel-index space: mean (x, y, z) index
// times spacing, no origin or orientation (add the image origin/affine to place them in a scanner frame).
import { connectedComponents3d } from "../uair/masks";
import { checkDims, checkSpacing, MetricsError, type Dims3, type Spacing3 } from "./errors";
import { dice } from "./overlap";
import { surfaceDistances, type SurfaceDistances } from "./surface";
import { jaccard, volumeDifference, voxelMl, type VolumeDifference } from "./volume";

export interface StructureOptions {
  /** voxel value(s) that make up the structure, e.g. 2 (tumour) or [1, 2] (liver with its tumours); default any non-zero */
  label?: number | readonly number[];
}

export interface LesionOptions extends StructureOptions {
  /** components with fewer voxels are ignored on both sides (default 1: keep all) */
  minVoxels?: number;
}

export interface Lesion {
  /** 1.. in scan order of the lesion's first voxel */
  id: number;
  voxels: number;
  volumeMl: number;
  /** mean voxel index × spacing, mm (voxel-index space: no origin/orientation) */
  centroidMm: [number, number, number];
  /** ids of the lesions on the other side that overlap this one, ascending */
  matches: number[];
  /** Dice of this lesion against the union of the lesions it overlaps (0 when none) */
  dice: number;
}

export interface LesionPair {
  reference: number;
  test: number;
  overlapVoxels: number;
  overlapMl: number;
  /** Dice of the two lesions alone: 2 overlap / (reference voxels + test voxels) */
  dice: number;
  referenceMl: number;
  testMl: number;
}

export interface LesionMatching {
  reference: Lesion[];
  test: Lesion[];
  /** every overlapping (reference, test) pair, ordered by reference id then test id */
  pairs: LesionPair[];
  /** reference lesion ids overlapped by at least one test lesion */
  detected: number[];
  /** reference lesion ids overlapped by no test lesion */
  missed: number[];
  /** test lesion ids overlapping at least one reference lesion */
  truePositives: number[];
  /** test lesion ids overlapping no reference lesion */
  falsePositives: number[];
  /** test lesions overlapping two or more reference lesions */
  merges: { test: number; references: number[] }[];
  /** reference lesions overlapped by two or more test lesions */
  splits: { reference: number; tests: number[] }[];
  /** detected / reference lesions; null when there are none */
  sensitivity: number | null;
  /** true-positive test lesions / test lesions; null when there are none */
  precision: number | null;
}

export interface StructureMetrics {
  dice: number;
  jaccard: number;
  volume: VolumeDifference;
  /** surface distances of reference (A) vs test (B); see SurfaceDistances */
  surface: Omit<SurfaceDistances, "surfaceDiceAt">;
  /** surface Dice at `toleranceMm` */
  surfaceDice: number;
  toleranceMm: number;
}

/** 0/1 mask of the structure: voxels equal to `label` (or one of the labels), or any non-zero voxel. */
export function selectStructure(labels: ArrayLike<number>, label?: number | readonly number[]): Uint8Array {
  if (!labels || typeof labels.length !== "number") throw new MetricsError("BAD_INPUT", "labels must be an array of voxels.");
  const out = new Uint8Array(labels.length);
  if (label === undefined) {
    for (let i = 0; i < labels.length; i++) out[i] = labels[i] !== 0 ? 1 : 0;
    return out;
  }
  const set = typeof label === "number" ? [label] : Array.isArray(label) ? label : null;
  if (!set || set.length === 0 || !set.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new MetricsError("BAD_INPUT", `label must be a number or a non-empty list of numbers, got ${JSON.stringify(label)}.`);
  }
  const lut = new Set(set);
  for (let i = 0; i < labels.length; i++) out[i] = lut.has(labels[i]) ? 1 : 0;
  return out;
}

/** Dice, Jaccard, volumes and surface distances of one structure, reference vs test. */
export function structureMetrics(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  dims: Dims3,
  spacing: Spacing3,
  options: StructureOptions & { toleranceMm?: number } = {},
): StructureMetrics {
  checkDims(dims, reference, test);
  checkSpacing(spacing);
  const toleranceMm = options.toleranceMm ?? 2;
  const a = selectStructure(reference, options.label);
  const b = selectStructure(test, options.label);
  const { surfaceDiceAt, ...surface } = surfaceDistances(a, b, dims, spacing);
  return {
    dice: dice(a, b),
    jaccard: jaccard(a, b),
    volume: volumeDifference(a, b, spacing),
    surface,
    surfaceDice: surfaceDiceAt(toleranceMm),
    toleranceMm,
  };
}

interface Parts {
  /** voxel → lesion id (0 = none), after dropping small components */
  ids: Int32Array;
  lesions: Lesion[];
}

/** Lesions of one side: components, small ones dropped, renumbered, with volumes and centroids. */
function lesionsOf(labels: ArrayLike<number>, dims: Dims3, spacing: Spacing3, options: LesionOptions): Parts {
  const mask = selectStructure(labels, options.label);
  const { labels: comp, sizes } = connectedComponents3d(mask, dims);
  const minVoxels = options.minVoxels ?? 1;
  const remap = new Int32Array(sizes.length + 1);
  let n = 0;
  for (let c = 1; c <= sizes.length; c++) if (sizes[c - 1] >= minVoxels) remap[c] = ++n;
  const sums = new Float64Array(3 * (n + 1));
  const counts = new Float64Array(n + 1);
  const [nx, ny, nz] = dims;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const c = comp[i];
        if (c === 0) continue;
        const id = remap[c];
        comp[i] = id;
        if (id === 0) continue;
        counts[id]++;
        sums[3 * id] += x;
        sums[3 * id + 1] += y;
        sums[3 * id + 2] += z;
      }
    }
  }
  const ml = voxelMl(spacing);
  const lesions: Lesion[] = [];
  for (let id = 1; id <= n; id++) {
    const k = counts[id];
    lesions.push({
      id,
      voxels: k,
      volumeMl: k * ml,
      centroidMm: [(sums[3 * id] / k) * spacing[0], (sums[3 * id + 1] / k) * spacing[1], (sums[3 * id + 2] / k) * spacing[2]],
      matches: [],
      dice: 0,
    });
  }
  return { ids: comp, lesions };
}

/**
 * Lesion-level comparison of a reference and a test segmentation (matching rule in the header).
 * Masks are binary or label maps (`label` selects the structure) on `dims`, spacing in mm.
 */
export function matchLesions(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  dims: Dims3,
  spacing: Spacing3,
  options: LesionOptions = {},
): LesionMatching {
  const n = checkDims(dims, reference, test);
  checkSpacing(spacing);
  const minVoxels = options.minVoxels ?? 1;
  if (!Number.isInteger(minVoxels) || minVoxels < 1) {
    throw new MetricsError("BAD_INPUT", `minVoxels must be an integer >= 1, got ${String(options.minVoxels)}.`);
  }
  const ref = lesionsOf(reference, dims, spacing, options);
  const tst = lesionsOf(test, dims, spacing, options);
  const nt = tst.lesions.length;

  const overlap = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = ref.ids[i];
    if (r === 0) continue;
    const t = tst.ids[i];
    if (t === 0) continue;
    const key = r * (nt + 1) + t;
    overlap.set(key, (overlap.get(key) ?? 0) + 1);
  }
  const ml = voxelMl(spacing);
  const pairs: LesionPair[] = [...overlap.keys()]
    .sort((p, q) => p - q)
    .map((key) => {
      const r = ref.lesions[Math.floor(key / (nt + 1)) - 1];
      const t = tst.lesions[(key % (nt + 1)) - 1];
      const k = overlap.get(key)!;
      return {
        reference: r.id,
        test: t.id,
        overlapVoxels: k,
        overlapMl: k * ml,
        dice: (2 * k) / (r.voxels + t.voxels),
        referenceMl: r.volumeMl,
        testMl: t.volumeMl,
      };
    });

  // per-lesion matches and Dice against the union of its matches (lesions of one side are disjoint)
  const inter = { ref: new Float64Array(ref.lesions.length + 1), tst: new Float64Array(nt + 1) };
  for (const p of pairs) {
    ref.lesions[p.reference - 1].matches.push(p.test);
    tst.lesions[p.test - 1].matches.push(p.reference);
    inter.ref[p.reference] += p.overlapVoxels;
    inter.tst[p.test] += p.overlapVoxels;
  }
  for (const l of ref.lesions) l.matches.sort((p, q) => p - q);
  for (const l of tst.lesions) l.matches.sort((p, q) => p - q);
  const unionDice = (l: Lesion, overlapVoxels: number, other: Lesion[]) => {
    const otherVoxels = l.matches.reduce((s, id) => s + other[id - 1].voxels, 0);
    return l.matches.length ? (2 * overlapVoxels) / (l.voxels + otherVoxels) : 0;
  };
  for (const l of ref.lesions) l.dice = unionDice(l, inter.ref[l.id], tst.lesions);
  for (const l of tst.lesions) l.dice = unionDice(l, inter.tst[l.id], ref.lesions);

  const detected = ref.lesions.filter((l) => l.matches.length > 0).map((l) => l.id);
  const truePositives = tst.lesions.filter((l) => l.matches.length > 0).map((l) => l.id);
  return {
    reference: ref.lesions,
    test: tst.lesions,
    pairs,
    detected,
    missed: ref.lesions.filter((l) => l.matches.length === 0).map((l) => l.id),
    truePositives,
    falsePositives: tst.lesions.filter((l) => l.matches.length === 0).map((l) => l.id),
    merges: tst.lesions.filter((l) => l.matches.length > 1).map((l) => ({ test: l.id, references: [...l.matches] })),
    splits: ref.lesions.filter((l) => l.matches.length > 1).map((l) => ({ reference: l.id, tests: [...l.matches] })),
    sensitivity: ref.lesions.length ? detected.length / ref.lesions.length : null,
    precision: nt ? truePositives.length / nt : null,
  };
}
