import { describe, expect, it } from "vitest";
import { dice } from "../metrics/overlap";
import { selectCandidates } from "./candidates";
import { downsampleStructure, majorityLabels, softDice, structureMask, type Dims3 } from "./masks";
import { createRng } from "./rng";
import { summariseMask } from "./summary";
import { expectCode } from "./test-support/expect-code";
import { TOY_DIM, TOY_DIMS, TOY_VOXEL_ML, toyDecode } from "./test-support/toy";

/** n toy samples from N(0, I) codes */
function toySamples(n: number, seed: number): Uint8Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => toyDecode(Array.from({ length: TOY_DIM }, () => rng.normal())));
}

/** a 40 x 1 x 1 liver with tumour on [from, to) */
const strip = (from: number, to: number): Uint8Array => {
  const s = new Uint8Array(40).fill(1);
  s.fill(2, from, to);
  return s;
};
const STRIP: Dims3 = [40, 1, 1];
const copies = (s: Uint8Array, n: number) => Array.from({ length: n }, () => s.slice());

describe("selectCandidates on toy samples", () => {
  const samples = toySamples(32, 5);
  const set = selectCandidates(samples, TOY_DIMS, { structure: "tumour", voxelMl: TOY_VOXEL_ML });

  it("clusters on 1 - soft Dice of the 4x4x1-block tumour masks (the sparse sums equal the dense ones)", () => {
    const soft = samples.map((x) => downsampleStructure(x, "tumour", TOY_DIMS, [4, 4, 1]).data);
    for (let i = 0; i < samples.length; i++)
      for (let j = 0; j < samples.length; j++) expect(set.distances[i * samples.length + j]).toBe(i === j ? 0 : Math.max(0, 1 - softDice(soft[i], soft[j])));
  });

  it("returns at most K candidates that are pairwise (and versus the recommended mask) below the pruning Dice", () => {
    expect(set.candidates.length).toBeGreaterThanOrEqual(2);
    expect(set.candidates.length + set.pruned.length).toBe(4);
    const rec = structureMask(set.recommended, "tumour");
    const targets = set.candidates.map((c) => structureMask(c.labels, "tumour"));
    targets.forEach((t, i) => {
      expect(dice(t, rec)).toBeLessThanOrEqual(0.95);
      for (let j = i + 1; j < targets.length; j++) expect(dice(t, targets[j])).toBeLessThanOrEqual(0.95);
    });
    expect(set.converged).toBe(false);
  });

  it("recommended is the majority of all samples; each candidate the majority of its cluster", () => {
    expect(set.recommended).toEqual(majorityLabels(samples));
    for (const c of set.candidates) {
      expect(c.members).toContain(c.medoid);
      expect(c.labels).toEqual(majorityLabels(c.members.map((i) => samples[i])));
    }
  });

  it("assigns every sample to exactly one shown candidate, consistent with members and absorbed", () => {
    expect(set.membership.length).toBe(32);
    const seen = new Array(32).fill(0);
    set.candidates.forEach((c, idx) => {
      for (const i of [...c.members, ...c.absorbed]) {
        expect(set.membership[i]).toBe(idx);
        seen[i]++;
      }
    });
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  it("spread is the mean clustering distance of the members to the medoid; bigger clusters come first", () => {
    for (const c of set.candidates) {
      const expected = c.members.reduce((s, i) => s + set.distances[c.medoid * 32 + i], 0) / c.members.length;
      expect(c.spread).toBeCloseTo(expected, 12);
      expect(c.spread).toBeGreaterThanOrEqual(0);
      expect(c.spread).toBeLessThan(1);
    }
    const sizes = set.candidates.map((c) => c.members.length);
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
  });

  it("summaries: volumes and lesion counts of each mask, and the difference from the recommended mask", () => {
    expect(set.recommendedSummary).toEqual(summariseMask(set.recommended, TOY_DIMS, { voxelMl: TOY_VOXEL_ML }));
    const rec = structureMask(set.recommended, "tumour");
    for (const c of set.candidates) {
      const t = structureMask(c.labels, "tumour");
      let added = 0;
      let removed = 0;
      t.forEach((v, i) => {
        if (v && !rec[i]) added++;
        if (!v && rec[i]) removed++;
      });
      expect(c.summary.difference.addedMl).toBeCloseTo(added * TOY_VOXEL_ML, 12);
      expect(c.summary.difference.removedMl).toBeCloseTo(removed * TOY_VOXEL_ML, 12);
      expect(c.summary.tumourMl).toBeCloseTo(t.reduce((s, v) => s + v, 0) * TOY_VOXEL_ML, 12);
      expect(c.summary.lesionCount).toBe(c.summary.tumourVoxels > 0 ? 1 : 0); // the toy has one lesion
      expect(c.summary.difference.differsAt).not.toBeNull();
    }
  });

  it("is deterministic for the same input", () => {
    expect(selectCandidates(samples, TOY_DIMS, { structure: "tumour", voxelMl: TOY_VOXEL_ML })).toEqual(set);
  });
});

describe("pruning near-duplicates", () => {
  it("drops a cluster within pruneDice of a kept candidate, says why, and hands its members over", () => {
    // A and A' differ by one voxel (Dice 20/21 = 0.952); C and D are far; no tumour majority overall
    const A = strip(0, 10);
    const A2 = strip(0, 11);
    const C = strip(15, 25);
    const D = strip(28, 38);
    const samples = [...copies(A, 4), ...copies(C, 5), ...copies(A2, 4), ...copies(D, 5)];
    const set = selectCandidates(samples, STRIP, { structure: "tumour", voxelMl: 1, k: 4, downsample: [1, 1, 1] });
    expect(set.candidates.length).toBe(3);
    expect(set.pruned.length).toBe(1);
    const p = set.pruned[0];
    expect(p.dice).toBeCloseTo(20 / 21, 12);
    expect(typeof p.against).toBe("number");
    const kept = set.candidates[p.against as number];
    expect(dice(structureMask(kept.labels, "tumour"), structureMask(p.candidate.labels, "tumour"))).toBeCloseTo(p.dice, 12);
    expect(p.reason).toMatch(/Dice 0\.952 to candidate \d exceeds 0\.95/);
    // the pruned cluster's members now belong to the candidate it duplicated
    for (const i of p.candidate.members) expect(set.membership[i]).toBe(p.against);
    expect(kept.absorbed.sort()).toEqual([...p.candidate.members].sort());
    // raising the threshold keeps all four
    const loose = selectCandidates(samples, STRIP, { structure: "tumour", voxelMl: 1, k: 4, downsample: [1, 1, 1], pruneDice: 0.96 });
    expect(loose.candidates.length).toBe(4);
    expect(loose.pruned).toEqual([]);
  });

  it("drops a candidate that merely repeats the recommended mask", () => {
    const A = strip(0, 10);
    const C = strip(20, 30);
    const samples = [...copies(A, 6), ...copies(C, 3)];
    const set = selectCandidates(samples, STRIP, { structure: "tumour", voxelMl: 1, k: 2, downsample: [1, 1, 1] });
    expect(set.recommended).toEqual(A);
    expect(set.candidates.map((c) => c.labels)).toEqual([C]);
    expect(set.pruned).toHaveLength(1);
    expect(set.pruned[0].against).toBe("recommended");
    expect(set.pruned[0].dice).toBe(1);
    expect(set.pruned[0].reason).toMatch(/recommended mask/);
    expect(Array.from(set.membership)).toEqual(new Array(9).fill(0));
    expect(set.converged).toBe(false);
  });

  it("when nothing differs from the recommended mask, keeps the largest cluster and flags convergence", () => {
    const samples = [...copies(strip(0, 10), 5), strip(0, 11)];
    const set = selectCandidates(samples, STRIP, { structure: "tumour", voxelMl: 1, k: 3, downsample: [1, 1, 1] });
    expect(set.converged).toBe(true);
    expect(set.candidates).toHaveLength(1);
    expect(Array.from(set.membership)).toEqual(new Array(6).fill(0));
    expect(set.pruned.every((p) => p.against === "recommended" && p.dice > 0.95)).toBe(true);
  });
});

describe("selectCandidates input checks", () => {
  const ok = [strip(0, 5), strip(5, 9)];
  it("refuses empty samples, mismatched grids, foreign labels and bad options", () => {
    expectCode(() => selectCandidates([], STRIP, { structure: "tumour", voxelMl: 1 }), "EMPTY_SAMPLES");
    expectCode(() => selectCandidates([strip(0, 5), new Uint8Array(39)], STRIP, { structure: "tumour", voxelMl: 1 }), "DIMS_MISMATCH", /sample 1/);
    expectCode(() => selectCandidates(ok, [20, 1, 1], { structure: "tumour", voxelMl: 1 }), "DIMS_MISMATCH");
    const bad = strip(0, 5);
    bad[7] = 3;
    expectCode(() => selectCandidates([bad], STRIP, { structure: "tumour", voxelMl: 1 }), "BAD_INPUT", /label 3/);
    expectCode(() => selectCandidates(ok, STRIP, { structure: "tumour", voxelMl: 1, k: 0 }), "BAD_INPUT", /k must/);
    expectCode(() => selectCandidates(ok, STRIP, { structure: "tumour", voxelMl: 1, pruneDice: 1.5 }), "BAD_INPUT", /pruneDice/);
    expectCode(() => selectCandidates(ok, STRIP, { structure: "tumour", voxelMl: -1 }), "BAD_INPUT", /voxelMl/);
    expectCode(() => selectCandidates(ok, STRIP, { structure: "bone" as never, voxelMl: 1 }), "BAD_INPUT", /structure/);
  });
});
