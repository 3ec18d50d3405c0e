import { describe, expect, it } from "vitest";
import { structureVoxels } from "./masks";
import { standardMixture } from "./mixture";
import {
  addObservation, describeProfile, emptyProfile, profileCovariance, profileFromJSON, profilePrior, profileToJSON, validateProfile,
  type ProfileStats,
} from "./profile";
import { buildRound, planRound } from "./round";
import { expectCode } from "./test-support/expect-code";
import { TOY_DIM, TOY_DIMS, TOY_VOXEL_ML, toyDecode, toyDecodeAll } from "./test-support/toy";

const obs = [
  [1, 0.5, -1],
  [2, -0.5, 0],
  [0.5, 0, 1],
  [1.5, 1, 2],
];
const ratios = [1.1, 1.3, 1.0, 1.2];
const build = () => obs.reduce<ProfileStats>((p, x, i) => addObservation(p, x, ratios[i]), emptyProfile("tumour", 3));

describe("profile statistics", () => {
  it("Welford matches the batch mean and covariance", () => {
    const p = build();
    const n = obs.length;
    const mu = [0, 1, 2].map((d) => obs.reduce((s, x) => s + x[d], 0) / n);
    const cov = profileCovariance(p);
    for (let a = 0; a < 3; a++) {
      expect(p.mean[a]).toBeCloseTo(mu[a], 12);
      for (let b = 0; b < 3; b++) {
        const expected = obs.reduce((s, x) => s + (x[a] - mu[a]) * (x[b] - mu[b]), 0) / (n - 1);
        expect(cov[a * 3 + b]).toBeCloseTo(expected, 12);
      }
    }
    const rm = ratios.reduce((s, v) => s + v, 0) / n;
    expect(p.volumeRatio.n).toBe(4);
    expect(p.volumeRatio.mean).toBeCloseTo(rm, 12);
    expect(p.volumeRatio.m2).toBeCloseTo(ratios.reduce((s, v) => s + (v - rm) ** 2, 0), 12);
    expect(profileCovariance(emptyProfile("liver", 2))).toEqual(new Float64Array(4));
  });

  it("is immutable and counts an undefined volume ratio only for the code", () => {
    const p0 = emptyProfile("tumour", 2);
    const p1 = addObservation(p0, Float32Array.of(1, 2), null);
    expect(p0.n).toBe(0);
    expect(Array.from(p0.mean)).toEqual([0, 0]);
    expect(p1.n).toBe(1);
    expect(p1.volumeRatio).toEqual({ n: 0, mean: 0, m2: 0 });
    expect(p1.mean).not.toBe(p0.mean);
  });

  it("refuses mismatched, non-finite or negative inputs", () => {
    const p = emptyProfile("liver", 2);
    expectCode(() => addObservation(p, [1, 2, 3], 1), "DIMS_MISMATCH");
    expectCode(() => addObservation(p, [1, Number.NaN], 1), "BAD_CODES");
    expectCode(() => addObservation(p, [1, 2], -0.5), "BAD_INPUT", /volume ratio/);
    expectCode(() => emptyProfile("liver", 0), "BAD_INPUT");
    expectCode(() => emptyProfile("spleen" as never, 2), "BAD_INPUT");
  });
});

describe("profilePrior", () => {
  it("is the model prior until there are enough cases", () => {
    const one = addObservation(emptyProfile("tumour", 3), [3, 3, 3], 1.5);
    expect(profilePrior(one)).toEqual(standardMixture(3));
    expect(profilePrior(build(), { minObservations: 5 })).toEqual(standardMixture(3));
  });

  it("shrinks the mean toward 0 and the variances toward 1 by n / (n + k0), floored", () => {
    const p = build();
    const cov = profileCovariance(p);
    const mix = profilePrior(p, { shrinkage: 4 });
    const lambda = 4 / (4 + 4);
    for (let d = 0; d < 3; d++) {
      expect(mix.means[d]).toBeCloseTo(lambda * p.mean[d], 12);
      expect(mix.variances[d]).toBeCloseTo(lambda * cov[d * 3 + d] + (1 - lambda), 12);
    }
    // identical cases: zero spread, no shrinkage -> the floor
    const same = [0, 1, 2].reduce<ProfileStats>((q) => addObservation(q, [1, 1], 1), emptyProfile("liver", 2));
    const tight = profilePrior(same, { shrinkage: 0, sMin: 0.1 });
    expect(Array.from(tight.means)).toEqual([1, 1]);
    expect(Array.from(tight.variances)).toEqual([0.1, 0.1]);
    expectCode(() => profilePrior(same, { minObservations: 1 }), "BAD_INPUT");
  });
});

describe("describeProfile", () => {
  it("states the volume change with its sign, the spread and the latent shift", () => {
    const text = describeProfile(build());
    expect(text).toMatch(/^tumour: \+15% volume vs model default \(n = 4, ±13%\)/);
    expect(text).toMatch(/Latent shift \d+\.\d\d prior SD over 3 dims \(\+1\.25, \+0\.25, \+0\.50\)/);
    const smaller = [0.8, 0.9].reduce<ProfileStats>((p, r) => addObservation(p, [-1, 0], r), emptyProfile("liver", 2));
    expect(describeProfile(smaller)).toMatch(/^liver: -15% volume/);
    expect(describeProfile(emptyProfile("liver", 2))).toMatch(/no accepted cases/);
    expect(describeProfile(addObservation(emptyProfile("liver", 1), [0.2], null))).toMatch(/volume change not recorded/);
  });
});

describe("profile JSON", () => {
  it("round-trips and validates on read", () => {
    const p = build();
    expect(profileFromJSON(JSON.parse(JSON.stringify(profileToJSON(p))))).toEqual(p);
    const json = profileToJSON(p);
    expectCode(() => profileFromJSON({ ...json, m2: json.m2.slice(1) }), "BAD_PROFILE", /co-moments/);
    expectCode(() => profileFromJSON({ ...json, structure: "lung" }), "BAD_PROFILE", /structure/);
    const negative = { ...json, m2: json.m2.map((v, i) => (i === 0 ? -1 : v)) };
    expectCode(() => profileFromJSON(negative), "BAD_PROFILE", /negative/);
    expectCode(() => profileFromJSON({ ...json, volumeRatio: { n: 9, mean: 1, m2: 0 } }), "BAD_PROFILE", /volume ratio/);
    expectCode(() => validateProfile({ ...p, mean: Float64Array.of(Number.NaN, 0, 0) }), "BAD_PROFILE", /non-finite/);
  });
});

describe("institution profiles steer round 0 (toy decoder)", () => {
  const defaultTumour = structureVoxels(toyDecode(new Array(TOY_DIM).fill(0)), "tumour");

  /** one institution's accepted cases: each case is round 0 and the pick chosen by `prefer` */
  function institution(prefer: (vols: number[]) => number, seeds: number[]): ProfileStats {
    return seeds.reduce((profile, seed) => {
      const { codes, component } = planRound({ mixture: standardMixture(TOY_DIM), n: 32, seed });
      const round = buildRound({ samples: toyDecodeAll(codes), codes, component, dims: TOY_DIMS, voxelMl: TOY_VOXEL_ML, structure: "tumour" });
      const pick = round.candidates[prefer(round.candidates.map((c) => c.summary.tumourVoxels))];
      return addObservation(profile, pick.code, pick.summary.tumourVoxels / defaultTumour);
    }, emptyProfile("tumour", TOY_DIM));
  }
  const meanTumour = (codes: Float32Array) => {
    const s = toyDecodeAll(codes);
    return s.reduce((acc, m) => acc + structureVoxels(m, "tumour"), 0) / s.length;
  };
  const largest = (v: number[]) => v.indexOf(Math.max(...v));
  const smallestNonEmpty = (v: number[]) => v.indexOf(Math.min(...v.filter((x) => x > 0)));

  it("an institution that prefers larger tumours starts later cases with larger tumours; another is unaffected", () => {
    const b0 = institution(smallestNonEmpty, [601, 602, 603, 604, 605]);
    const bSnapshot = profileToJSON(b0);
    const a = institution(largest, [501, 502, 503, 504, 505]);
    expect(profileToJSON(b0)).toEqual(bSnapshot);

    const standard = meanTumour(planRound({ mixture: standardMixture(TOY_DIM), n: 48, seed: 900 }).codes);
    const fromA = meanTumour(planRound({ mixture: profilePrior(a), n: 48, seed: 900 }).codes);
    const fromB = meanTumour(planRound({ mixture: profilePrior(b0), n: 48, seed: 900 }).codes);
    expect(fromA).toBeGreaterThan(standard * 1.2);
    expect(fromB).toBeLessThan(standard);
    expect(describeProfile(a)).toMatch(/^tumour: \+\d+% volume/);
    expect(describeProfile(b0)).toMatch(/^tumour: -\d+% volume/);
  });
});
