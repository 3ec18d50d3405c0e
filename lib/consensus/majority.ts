// Majority vote over several readers' label maps (Uint8Array on one grid, x fastest).
//
// Rule: each voxel gets the label most readers gave it (plurality); a tie goes to the LOWER label
// (background beats liver beats tumour, i.e. the more conservative label). With two labels this is
// a strict majority for foreground: 1 only where more than half the readers say non-zero (2 of 4
// is a tie and gives 0). `undecided` turns the multi-label rule into a strict majority as well:
// voxels where no label has more than half of the votes get that label instead.
//
// The work is done per distinct vote pattern (see patterns.ts): R - 1 passes to give every voxel
// its pattern id, the rule once per pattern, and one pass to write the result.
import { ConsensusError } from "./errors";
import { checkLabelCount, checkMasks, encodePatterns, labelCountOf, spread, type VotePatterns } from "./patterns";

export interface MajorityOptions {
  /**
   * K: labels are 0..K-1 (2..256). A label >= K throws BAD_INPUT. Default: the highest label in any
   * mask plus one (at least 2), which costs one extra read of every mask.
   */
  labels?: number;
  /**
   * Label for voxels where no label has MORE than half of the votes (a strict majority rule).
   * Default: none, the plurality label wins (ties to the lower label).
   */
  undecided?: number;
}

/** Winning label of every pattern: plurality, ties to the lower label; `undecided` without a strict majority. */
function patternWinners(p: VotePatterns, undecided: number | undefined): Uint8Array {
  const { readers: R, labels: K, size, votes } = p;
  const win = new Uint8Array(size);
  const tally = new Int32Array(K);
  for (let q = 0; q < size; q++) {
    tally.fill(0);
    for (let j = 0; j < R; j++) tally[votes[q * R + j]]++;
    let best = 0;
    for (let s = 1; s < K; s++) if (tally[s] > tally[best]) best = s;
    win[q] = undecided !== undefined && 2 * tally[best] <= R ? undecided : best;
  }
  return win;
}

/**
 * Majority vote of R readers' label maps over K labels: plurality per voxel, ties to the lower
 * label (see the file comment); with `undecided`, a strict majority.
 */
export function majorityVote(masks: readonly Uint8Array[], opts: MajorityOptions = {}): Uint8Array {
  const fn = "majorityVote";
  const voxels = checkMasks(masks, fn);
  const K = opts.labels === undefined ? labelCountOf(masks) : checkLabelCount(opts.labels, fn);
  const { undecided } = opts;
  if (undecided !== undefined && (!Number.isInteger(undecided) || undecided < 0 || undecided > 255)) {
    throw new ConsensusError("BAD_INPUT", `${fn}: undecided must be a label from 0 to 255, got ${undecided}.`);
  }
  const p = encodePatterns(masks, K, false, fn);
  return spread(p.ids, patternWinners(p, undecided), new Uint8Array(voxels));
}

/**
 * Binary majority vote: 1 where MORE than half of the readers say foreground (any non-zero label),
 * else 0. With an even number of readers a tie is background.
 */
export function majorityBinary(masks: readonly Uint8Array[]): Uint8Array {
  const fn = "majorityBinary";
  const voxels = checkMasks(masks, fn);
  const p = encodePatterns(masks, 2, true, fn);
  return spread(p.ids, patternWinners(p, undefined), new Uint8Array(voxels));
}
