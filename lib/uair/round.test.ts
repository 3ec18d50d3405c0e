import { describe, expect, it } from "vitest";
import { dice } from "../metrics/overlap";
import { structureMask, type Structure } from "./masks";
import { standardMixture, type Mixture } from "./mixture";
import { derivedPointPrompt } from "./prompt";
import { buildRound, planRound, type Round } from "./round";
import { expectCode } from "./test-support/expect-code";
import { TOY_DIM, TOY_DIMS, TOY_VOXEL_ML, toyDecode, toyDecodeAll } from "./test-support/toy";
import { pickToVotes, updateFromVotes } from "./update";

const N = 32;
const tumour = (labels: Uint8Array) => structureMask(labels, "tumour");
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const column = (codes: Float32Array, d: number) => Array.from({ length: codes.length / TOY_DIM }, (_, i) => codes[i * TOY_DIM + d]);

/** plan, decode with the toy decoder, build */
function playRound(mixture: Mixture, seed: number, n = N, structure: Structure = "tumour") {
  const { codes, component } = planRound({ mixture, n, seed });
  const samples = toyDecodeAll(codes);
  const round = buildRound({ samples, codes, component, dims: TOY_DIMS, voxelMl: TOY_VOXEL_ML, k: 4, structure });
  return { codes, component, samples, round };
}

const meanDiceTo = (samples: Uint8Array[], target: Uint8Array) => mean(samples.map((s) => dice(tumour(s), target)));
const closestTo = (round: Round, target: Uint8Array) => {
  const d = round.candidates.map((c) => dice(tumour(c.labels), target));
  return d.indexOf(Math.max(...d));
};

describe("planRound / buildRound reproducibility", () => {
  it("the same seed gives bitwise the same codes and candidate masks; another seed other codes", () => {
    const a = playRound(standardMixture(TOY_DIM), 123);
    const b = playRound(standardMixture(TOY_DIM), 123);
    expect(Buffer.from(b.codes.buffer).equals(Buffer.from(a.codes.buffer))).toBe(true);
    expect(Array.from(b.component)).toEqual(Array.from(a.component));
    expect(b.round.candidates.length).toBe(a.round.candidates.length);
    b.round.candidates.forEach((c, i) => expect(Buffer.from(c.labels).equals(Buffer.from(a.round.candidates[i].labels))).toBe(true));
    expect(Array.from(b.round.membership)).toEqual(Array.from(a.round.membership));
    const c = planRound({ mixture: standardMixture(TOY_DIM), n: N, seed: 124 });
    expect(Buffer.from(c.codes.buffer).equals(Buffer.from(a.codes.buffer))).toBe(false);
  });

  it("each candidate carries its medoid's code, and the summaries mirror the candidates", () => {
    const { codes, round } = playRound(standardMixture(TOY_DIM), 9);
    for (const c of round.candidates) expect(Array.from(c.code)).toEqual(Array.from(codes.subarray(c.medoid * TOY_DIM, (c.medoid + 1) * TOY_DIM)));
    expect(round.summaries.candidates).toEqual(round.candidates.map((c) => c.summary));
    expect(round.summaries.recommended).toBe(round.recommendedSummary);
  });

  it("refuses inconsistent inputs", () => {
    const { codes, component, samples } = playRound(standardMixture(TOY_DIM), 1, 4);
    const base = { samples, codes, component, dims: TOY_DIMS, voxelMl: TOY_VOXEL_ML, structure: "tumour" as const };
    expectCode(() => buildRound({ ...base, samples: [] }), "EMPTY_SAMPLES");
    expectCode(() => buildRound({ ...base, codes: codes.subarray(1) }), "DIMS_MISMATCH");
    expectCode(() => buildRound({ ...base, component: component.subarray(1) }), "DIMS_MISMATCH");
    const nan = codes.slice();
    nan[3] = Number.NaN;
    expectCode(() => buildRound({ ...base, codes: nan }), "BAD_CODES");
    expectCode(() => buildRound({ ...base, dims: [24, 24, 7] }), "DIMS_MISMATCH");
    expectCode(() => planRound({ mixture: standardMixture(TOY_DIM), n: 0, seed: 1 }), "BAD_INPUT");
  });
});

describe("picks steer the sampling distribution (toy decoder with a known answer)", () => {
  it("picking the largest tumour moves eps[0] up and new samples toward the pick", () => {
    const r0 = playRound(standardMixture(TOY_DIM), 100);
    const vols = r0.round.candidates.map((c) => c.summary.tumourVoxels);
    const pick = vols.indexOf(Math.max(...vols));
    const picked = tumour(r0.round.candidates[pick].labels);
    const { mixture } = updateFromVotes(standardMixture(TOY_DIM), r0.codes, r0.component, r0.round.membership, pickToVotes(pick));
    const r1 = playRound(mixture, 101);
    expect(mean(column(r1.codes, 0))).toBeGreaterThan(mean(column(r0.codes, 0)) + 0.3);
    expect(meanDiceTo(r1.samples, picked)).toBeGreaterThan(meanDiceTo(r0.samples, picked) + 0.1);
    // larger tumours on average, too
    expect(mean(r1.samples.map((s) => tumour(s).reduce((a, v) => a + v, 0)))).toBeGreaterThan(mean(r0.samples.map((s) => tumour(s).reduce((a, v) => a + v, 0))));
  });

  it("three rounds of picking the candidate closest to a target converge on it", () => {
    const targetEps = [1.5, -1, 0, 0, 0, 0];
    const target = tumour(toyDecode(targetEps));
    let mixture = standardMixture(TOY_DIM);
    const diceByRound: number[] = [];
    const eps0: number[] = [];
    for (let r = 0; r < 4; r++) {
      const { codes, component, samples, round } = playRound(mixture, 100 + r);
      diceByRound.push(meanDiceTo(samples, target));
      eps0.push(mean(column(codes, 0)));
      if (r < 3) mixture = updateFromVotes(mixture, codes, component, round.membership, pickToVotes(closestTo(round, target))).mixture;
    }
    for (let r = 1; r < 4; r++) expect(diceByRound[r]).toBeGreaterThan(diceByRound[r - 1]);
    expect(diceByRound[3]).toBeGreaterThan(diceByRound[0] + 0.3);
    expect(Math.abs(eps0[3] - targetEps[0])).toBeLessThan(Math.abs(eps0[0] - targetEps[0]) / 2);
  });

  it("the variance floor keeps later rounds offering more than one real candidate", () => {
    const target = tumour(toyDecode([1.5, -1, 0, 0, 0, 0]));
    const run = (sMin: number) => {
      let mixture = standardMixture(TOY_DIM);
      const counts: number[] = [];
      for (let r = 0; r < 10; r++) {
        const { codes, component, round } = playRound(mixture, 100 + r);
        counts.push(round.candidates.length);
        mixture = updateFromVotes(mixture, codes, component, round.membership, pickToVotes(closestTo(round, target)), { sMin }).mixture;
      }
      return { counts, mixture };
    };
    const floored = run(0.05);
    expect(Math.min(...floored.counts)).toBeGreaterThan(1);
    expect(Math.min(...floored.mixture.variances)).toBeGreaterThanOrEqual(0.05);
    // without the floor the informative dims shrink below it: the floor is what holds them open
    const free = run(1e-9);
    expect(Math.min(free.mixture.variances[0], free.mixture.variances[1])).toBeLessThan(0.05);
    expect(free.counts[9]).toBeLessThanOrEqual(floored.counts[9]);
  });

  it("a 2:1 split vote keeps both modes: the next round has samples nearest to each voted candidate", () => {
    const r0 = playRound(standardMixture(TOY_DIM), 21);
    const [a, b] = [0, 1];
    const masks = r0.round.candidates.map((c) => tumour(c.labels));
    expect(dice(masks[a], masks[b])).toBeLessThan(0.6); // two genuinely different choices
    const nearestCounts = (samples: Uint8Array[]) => {
      const counts = masks.map(() => 0);
      for (const s of samples) {
        const d = masks.map((m) => dice(tumour(s), m));
        counts[d.indexOf(Math.max(...d))]++;
      }
      return counts;
    };
    const votes = new Map([[a, 2], [b, 1]]);
    const split = updateFromVotes(standardMixture(TOY_DIM), r0.codes, r0.component, r0.round.membership, votes);
    expect(split.origin.map((o) => o.candidate)).toEqual([a, b]);
    expect(Array.from(split.mixture.weights).map((w) => +w.toFixed(6))).toEqual([+(2 / 3).toFixed(6), +(1 / 3).toFixed(6)]);
    const next = nearestCounts(playRound(split.mixture, 22, 48).samples);
    expect(next[a]).toBeGreaterThan(next[b]);
    expect(next[b]).toBeGreaterThanOrEqual(10);
    // one averaged Gaussian (what the split avoids) loses much of the minority mode
    const averaged = updateFromVotes(standardMixture(TOY_DIM), r0.codes, r0.component, r0.round.membership, votes, { maxComponents: 1 });
    expect(nearestCounts(playRound(averaged.mixture, 22, 48).samples)[b]).toBeLessThan(next[b]);
  });

  it("the derived point prompt is labelled from the pick itself", () => {
    const { samples, round } = playRound(standardMixture(TOY_DIM), 100);
    round.candidates.forEach((c, k) => {
      const p = derivedPointPrompt(samples, round.membership, k, c.labels, TOY_DIMS, "tumour");
      expect(p).not.toBeNull();
      const v = p!.x + TOY_DIMS[0] * (p!.y + TOY_DIMS[1] * p!.z);
      expect(p!.positive).toBe(c.labels[v] === 2);
      expect(p!.score).toBeGreaterThan(0.5);
    });
  });
});
