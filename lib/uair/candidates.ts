// Method §3 steps 3-5: the recommended mask, K diverse candidates from k-medoids on 1 - soft Dice
// of the target structure (so background cannot swamp a small tumour), near-duplicates pruned
// with a stated reason, and every sample assigned to a shown candidate for the update.
import { dice } from "../metrics/overlap";
import { UairError } from "./errors";
import { kMedoids } from "./kmedoids";
import { checkDims, checkLabels, checkStructure, downsampleMask, downsampleStructure, majorityLabels, softDice, structureMask, type Dims3, type Structure } from "./masks";
import { checkVoxelMl, differenceFrom, summariseMask, type DifferenceSummary, type MaskSummary } from "./summary";

export interface CandidateOptions {
  /** the structure the reader is refining; distances, pruning and differences use it */
  structure: Structure;
  /** mL per voxel */
  voxelMl: number;
  /** candidates to aim for (before pruning); default 4 */
  k?: number;
  /** block size for the clustering distance; default [4, 4, 1] (slices are already thick) */
  downsample?: Dims3;
  /** drop a candidate whose target Dice to a kept one or to the recommended mask exceeds this; default 0.95 */
  pruneDice?: number;
  /** smallest tumour component counted as a lesion; default 1 voxel */
  minLesionVoxels?: number;
  /** cap on k-medoids SWAP iterations; default 50 */
  maxIterations?: number;
}

export interface CandidateSummary extends MaskSummary {
  /** against the recommended mask, in the target structure */
  difference: DifferenceSummary;
}

export interface Candidate {
  /** the cluster's voxel-wise majority (majorityLabels of `members`) */
  labels: Uint8Array;
  /** sample index of the cluster's medoid (its code is the candidate's representative code) */
  medoid: number;
  /** the cluster's samples, which built `labels` */
  members: number[];
  /** samples of pruned clusters handed to this candidate (in `membership`, not in `labels`) */
  absorbed: number[];
  /** uncertainty: mean 1 - soft Dice of `members` to the medoid (0 = all alike) */
  spread: number;
  summary: CandidateSummary;
}

export interface PrunedCandidate {
  candidate: { medoid: number; members: number[]; labels: Uint8Array };
  reason: string;
  /** target-structure Dice to what it duplicated */
  dice: number;
  /** the recommended mask, or the index of the kept candidate it duplicated */
  against: "recommended" | number;
}

export interface CandidateSet {
  recommended: Uint8Array;
  recommendedSummary: MaskSummary;
  /** largest cluster first */
  candidates: Candidate[];
  /** per sample: index into `candidates` (always valid: members of pruned clusters are reassigned) */
  membership: Int32Array;
  pruned: PrunedCandidate[];
  /** every cluster was a near-duplicate of the recommended mask: nothing left to choose (stop signal); the largest is kept anyway */
  converged: boolean;
  /** [N][N] clustering distances (1 - soft Dice of downsampled target masks) */
  distances: Float64Array;
}

interface NonZero {
  index: Int32Array;
  value: Float32Array;
  sum: number;
}

/** The non-zero entries of a soft mask: target masks are mostly empty, so a pair costs its masks' extent, not the volume. */
function nonZeroOf(a: Float32Array): NonZero {
  const index: number[] = [];
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== 0) {
      index.push(i);
      sum += a[i];
    }
  }
  return { index: Int32Array.from(index), value: Float32Array.from(index, (i) => a[i]), sum };
}

/** softDice(a, b) from a's non-zero entries: the same products summed in the same order, so the same value. */
function sparseSoftDice(a: NonZero, b: Float32Array, sumB: number): number {
  let inter = 0;
  for (let k = 0; k < a.index.length; k++) inter += a.value[k] * b[a.index[k]];
  return a.sum + sumB === 0 ? 1 : (2 * inter) / (a.sum + sumB);
}

export function selectCandidates(samples: readonly Uint8Array[], dims: Dims3, opts: CandidateOptions): CandidateSet {
  if (samples.length === 0) throw new UairError("EMPTY_SAMPLES", "no samples to choose candidates from; decode at least one code first.");
  samples.forEach((s, i) => checkDims(dims, s.length, `sample ${i}`));
  const { structure, voxelMl } = opts;
  checkStructure(structure);
  checkVoxelMl(voxelMl);
  const k = opts.k ?? 4;
  const pruneDice = opts.pruneDice ?? 0.95;
  const factor = opts.downsample ?? ([4, 4, 1] as const);
  const minLesionVoxels = opts.minLesionVoxels ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new UairError("BAD_INPUT", `k must be a positive integer, got ${k}.`);
  if (!(pruneDice > 0 && pruneDice <= 1)) throw new UairError("BAD_INPUT", `pruneDice must be in (0, 1], got ${pruneDice}.`);
  samples.forEach((s, i) => checkLabels(s, `sample ${i}`));

  const n = samples.length;
  const recommended = majorityLabels(samples);
  const soft = samples.map((s) => downsampleStructure(s, structure, dims, factor).data);
  // the diagonal stays 0: soft Dice of a soft mask with itself is below 1, but a sample is its own twin
  const distances = new Float64Array(n * n);
  const nonZero = soft.map(nonZeroOf);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.max(0, 1 - sparseSoftDice(nonZero[i], soft[j], nonZero[j].sum));
      distances[i * n + j] = d;
      distances[j * n + i] = d;
    }
  }
  const clustering = kMedoids(distances, n, k, opts.maxIterations ?? 50);
  const clusters = clustering.medoids.map((medoid, p) => ({ medoid, members: [] as number[], position: p }));
  clustering.assignment.forEach((p, i) => clusters[p].members.push(i));
  // larger clusters carry more of the model's mass: they are considered (and kept) first
  clusters.sort((a, b) => b.members.length - a.members.length || a.medoid - b.medoid);

  const recTarget = structureMask(recommended, structure);
  const kept: { cluster: (typeof clusters)[number]; labels: Uint8Array; target: Uint8Array }[] = [];
  const pruned: PrunedCandidate[] = [];
  for (const cluster of clusters) {
    const labels = majorityLabels(cluster.members.map((i) => samples[i]));
    const target = structureMask(labels, structure);
    let worst: { dice: number; against: "recommended" | number } = { dice: dice(target, recTarget), against: "recommended" };
    kept.forEach((c, idx) => {
      const dc = dice(target, c.target);
      if (dc > worst.dice) worst = { dice: dc, against: idx };
    });
    if (worst.dice > pruneDice) {
      const what = worst.against === "recommended" ? "the recommended mask" : `candidate ${worst.against}`;
      pruned.push({
        candidate: { medoid: cluster.medoid, members: cluster.members, labels },
        reason: `${structure} Dice ${worst.dice.toFixed(3)} to ${what} exceeds ${pruneDice}: a near-duplicate, not a real alternative`,
        dice: worst.dice,
        against: worst.against,
      });
    } else {
      kept.push({ cluster, labels, target });
    }
  }
  let converged = false;
  if (kept.length === 0) {
    // nothing differs from the recommended mask; keep the largest cluster so membership stays total
    converged = true;
    const first = pruned.shift()!;
    const cluster = clusters[0];
    kept.push({ cluster, labels: first.candidate.labels, target: structureMask(first.candidate.labels, structure) });
  }

  const membership = new Int32Array(n).fill(-1);
  kept.forEach((c, idx) => c.cluster.members.forEach((i) => (membership[i] = idx)));
  const absorbed: number[][] = kept.map(() => []);
  if (pruned.length > 0) {
    // members of pruned clusters go to the kept candidate whose (downsampled) mask is nearest
    const keptSoft = kept.map((c) => downsampleMask(c.target, dims, factor).data);
    for (let i = 0; i < n; i++) {
      if (membership[i] >= 0) continue;
      let best = 0;
      let bestD = Infinity;
      keptSoft.forEach((cs, idx) => {
        const d = 1 - softDice(soft[i], cs);
        if (d < bestD) {
          bestD = d;
          best = idx;
        }
      });
      membership[i] = best;
      absorbed[best].push(i);
    }
  }

  const summaryOpts = { voxelMl, minLesionVoxels };
  const candidates: Candidate[] = kept.map((c, idx) => {
    const { medoid, members } = c.cluster;
    const spread = members.reduce((s, i) => s + distances[medoid * n + i], 0) / members.length;
    return {
      labels: c.labels,
      medoid,
      members,
      absorbed: absorbed[idx],
      spread,
      summary: { ...summariseMask(c.labels, dims, summaryOpts), difference: differenceFrom(c.labels, recommended, dims, structure, voxelMl) },
    };
  });
  return { recommended, recommendedSummary: summariseMask(recommended, dims, summaryOpts), candidates, membership, pruned, converged, distances };
}
