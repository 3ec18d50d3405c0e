// The pure half of a round, so the worker only decodes and stores: planRound says which codes to
// decode, buildRound turns the decoded samples into what the reader sees.
import { embedLabels, type Box3 } from "./box";
import { selectCandidates, type Candidate, type CandidateOptions, type CandidateSet, type CandidateSummary } from "./candidates";
import { UairError } from "./errors";
import type { Dims3 } from "./masks";
import { sampleMixture, validateMixture, type Mixture, type MixtureSamples } from "./mixture";
import { createRng } from "./rng";
import type { MaskSummary } from "./summary";

export interface PlanRoundInput {
  mixture: Mixture;
  /** codes to decode (method: 24-48) */
  n: number;
  /** store it with the round: the same seed and mixture give bitwise the same codes */
  seed: number;
}

/** The codes to decode this round (rows of `eps` for segmentVolume) and the component of each. */
export function planRound(input: PlanRoundInput): MixtureSamples {
  validateMixture(input.mixture);
  return sampleMixture(input.mixture, input.n, createRng(input.seed));
}

export interface BuildRoundInput extends CandidateOptions {
  /** decoded label maps, one per code row, in the order planRound returned them */
  samples: readonly Uint8Array[];
  codes: Float32Array;
  component: Int32Array;
  dims: Dims3;
}

export interface RoundCandidate extends Candidate {
  /** the medoid's whitened code: the candidate's representative eps (its Δz for the profile when accepted) */
  code: Float32Array;
}

export interface Round extends Omit<CandidateSet, "candidates"> {
  candidates: RoundCandidate[];
  summaries: { recommended: MaskSummary; candidates: CandidateSummary[] };
}

export function buildRound(input: BuildRoundInput): Round {
  const { samples, codes, component } = input;
  const n = samples.length;
  if (n === 0) throw new UairError("EMPTY_SAMPLES", "no decoded samples: decode the planned codes before building the round.");
  if (component.length !== n || codes.length === 0 || codes.length % n !== 0) {
    throw new UairError("DIMS_MISMATCH", `${n} samples, ${component.length} components and ${codes.length} code values; pass planRound's codes and components with their decoded samples.`);
  }
  for (let i = 0; i < codes.length; i++) {
    if (!Number.isFinite(codes[i])) throw new UairError("BAD_CODES", `code value ${i} is ${codes[i]}; codes must be finite.`);
  }
  const dim = codes.length / n;
  const set = selectCandidates(samples, input.dims, input);
  const candidates = set.candidates.map((c) => ({ ...c, code: codes.slice(c.medoid * dim, (c.medoid + 1) * dim) }));
  return {
    ...set,
    candidates,
    summaries: { recommended: set.recommendedSummary, candidates: candidates.map((c) => c.summary) },
  };
}

/**
 * A round built on the voxels of `box` put back into a volume of `dims`: masks embedded (0
 * outside the box), the slice and position where each candidate differs shifted to whole-volume
 * coordinates. Volumes and lesion counts are unchanged (the samples are 0 outside the box).
 */
export function embedRound(r: Round, box: Box3, dims: Dims3): Round {
  const candidates = r.candidates.map((c) => {
    const at = c.summary.difference.differsAt;
    const differsAt = at && { ...at, x: at.x + box.x0, y: at.y + box.y0, z: at.z + box.z0 };
    return { ...c, labels: embedLabels(c.labels, box, dims), summary: { ...c.summary, difference: { ...c.summary.difference, differsAt } } };
  });
  return { ...r, recommended: embedLabels(r.recommended, box, dims), candidates, summaries: { recommended: r.summaries.recommended, candidates: candidates.map((c) => c.summary) } };
}
