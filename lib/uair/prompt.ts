// Method §3 step 8 (SPA-style): turn a pick into one point prompt for a promptable model, at the
// voxel where the pick disagrees most with the samples the reader did NOT pick. The label comes
// from the pick itself, never from a reference.
import { UairError } from "./errors";
import { checkDims, checkStructure, structureMask, type Dims3, type Structure } from "./masks";

export interface PointPrompt {
  x: number;
  y: number;
  z: number;
  /** true: the pick includes this voxel in the structure (a positive click) */
  positive: boolean;
  /** |pick - frequency among non-members| at that voxel, in (0, 1] */
  score: number;
}

/**
 * The voxel maximising |pick(v) - f(v)|, f = fraction of non-member samples with the structure at
 * v; ties go to the voxel nearest the pick's centroid (the centre of the volume when the pick is
 * empty), then to the lowest index. When every sample is a member, f is taken over all samples.
 * Returns null when the pick agrees with f everywhere (no informative point).
 */
export function derivedPointPrompt(
  samples: readonly Uint8Array[],
  membership: Int32Array,
  pickedCandidate: number,
  candidateLabels: Uint8Array,
  dims: Dims3,
  structure: Structure,
): PointPrompt | null {
  if (samples.length === 0) throw new UairError("EMPTY_SAMPLES", "no samples to compare the pick with.");
  checkStructure(structure);
  const nv = checkDims(dims, candidateLabels.length, "picked candidate");
  samples.forEach((s, i) => checkDims(dims, s.length, `sample ${i}`));
  if (membership.length !== samples.length) {
    throw new UairError("DIMS_MISMATCH", `membership has ${membership.length} entries for ${samples.length} samples.`);
  }
  if (!Number.isInteger(pickedCandidate) || pickedCandidate < 0 || !membership.includes(pickedCandidate)) {
    throw new UairError("BAD_PICK", `candidate ${pickedCandidate} has no member samples in this round; pick one of the shown candidates.`);
  }
  const others = samples.filter((_, i) => membership[i] !== pickedCandidate);
  const reference = others.length > 0 ? others : samples;
  const freq = new Float32Array(nv);
  for (const s of reference) for (let v = 0; v < nv; v++) if (structure === "liver" ? s[v] >= 1 : s[v] === 2) freq[v]++;
  for (let v = 0; v < nv; v++) freq[v] /= reference.length;
  const pick = structureMask(candidateLabels, structure);

  const [w, h, d] = dims;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  let count = 0;
  for (let v = 0; v < nv; v++) {
    if (!pick[v]) continue;
    cx += v % w;
    cy += Math.floor(v / w) % h;
    cz += Math.floor(v / (w * h));
    count++;
  }
  const centre = count > 0 ? [cx / count, cy / count, cz / count] : [(w - 1) / 2, (h - 1) / 2, (d - 1) / 2];

  let best = -1;
  let bestScore = 0;
  let bestDist = Infinity;
  for (let v = 0; v < nv; v++) {
    const score = Math.abs(pick[v] - freq[v]);
    // float32 frequencies: treat scores within 1e-6 as tied
    if (score < bestScore - 1e-6 || score === 0) continue;
    const x = v % w;
    const y = Math.floor(v / w) % h;
    const z = Math.floor(v / (w * h));
    const dist = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2;
    if (score > bestScore + 1e-6 || dist < bestDist) {
      best = v;
      bestScore = score;
      bestDist = dist;
    }
  }
  if (best < 0) return null;
  return { x: best % w, y: Math.floor(best / w) % h, z: Math.floor(best / (w * h)), positive: pick[best] === 1, score: bestScore };
}
