import { describe, expect, it } from "vitest";
import { standardMixture, type Mixture } from "./mixture";
import { expectCode } from "./test-support/expect-code";
import { pickToVotes, updateFromVotes } from "./update";

const f32 = (...v: number[]) => Float32Array.from(v);
const i32 = (...v: number[]) => Int32Array.from(v);

/** weighted mean and (population) variance, written out independently of update.ts */
function weighted(xs: number[], ws: number[]) {
  const W = ws.reduce((a, b) => a + b, 0);
  const mean = xs.reduce((s, x, i) => s + ws[i] * x, 0) / W;
  const variance = xs.reduce((s, x, i) => s + ws[i] * (x - mean) ** 2, 0) / W;
  return { mean, variance, W };
}

describe("updateFromVotes: one reader", () => {
  const codes = f32(-2, -1, 1, 2);
  const component = i32(0, 0, 0, 0);
  const membership = i32(0, 0, 1, 1);

  it("moves the mean alpha of the way to the picked members and re-fits the variance (epsilon = 0)", () => {
    const { mixture, shares, origin } = updateFromVotes(standardMixture(1), codes, component, membership, pickToVotes(1), { epsilon: 0 });
    // members 1 and 2: mean 1.5, variance 0.25
    expect(mixture.means[0]).toBeCloseTo(0.3 * 0 + 0.7 * 1.5, 12);
    expect(mixture.variances[0]).toBeCloseTo(0.3 * 1 + 0.7 * 0.25, 12);
    expect(Array.from(mixture.weights)).toEqual([1]);
    expect(shares).toEqual([0, 1]);
    expect(origin).toEqual([{ parent: 0, candidate: 1 }]);
  });

  it("gives non-members the small weight epsilon and honours alpha", () => {
    const w = weighted([-2, -1, 1, 2], [0.1, 0.1, 1, 1]);
    const { mixture } = updateFromVotes(standardMixture(1), codes, component, membership, pickToVotes(1), { epsilon: 0.1, alpha: 0.5 });
    expect(mixture.means[0]).toBeCloseTo(0.5 * w.mean, 6);
    expect(mixture.variances[0]).toBeCloseTo(0.5 * 1 + 0.5 * w.variance, 6);
  });

  it("floors the variance at sMin so later rounds still offer choices", () => {
    const same = f32(0.5, 0.5, 0.5, 3);
    const { mixture } = updateFromVotes(standardMixture(1), same, component, i32(0, 0, 0, 1), pickToVotes(0), { epsilon: 0, alpha: 1, sMin: 0.07 });
    expect(mixture.means[0]).toBeCloseTo(0.5, 6);
    expect(mixture.variances[0]).toBe(0.07);
  });

  it("reweights components by the mass their own draws carried; undrawn components decay but survive", () => {
    const mix: Mixture = { dim: 1, weights: Float64Array.of(0.4, 0.4, 0.2), means: Float64Array.of(-1, 1, 5), variances: Float64Array.of(1, 1, 2) };
    // component 0 drew the picked candidate's members, component 1 drew the others, component 2 drew nothing
    const { mixture, origin } = updateFromVotes(mix, f32(-1.2, -0.8, 0.9, 1.1), i32(0, 0, 1, 1), i32(0, 0, 1, 1), pickToVotes(0));
    const W0 = 2;
    const W1 = 0.04;
    const raw = [0.3 * 0.4 + 0.7 * (W0 / (W0 + W1)), 0.3 * 0.4 + 0.7 * (W1 / (W0 + W1)), 0.3 * 0.2];
    const total = raw.reduce((a, b) => a + b, 0);
    raw.forEach((r, j) => expect(mixture.weights[j]).toBeCloseTo(r / total, 12));
    expect(mixture.weights[0]).toBeGreaterThan(0.7);
    expect(origin).toEqual([
      { parent: 0, candidate: 0 },
      { parent: 1, candidate: null },
      { parent: 2, candidate: null },
    ]);
    // component 1 is fitted to its own (all epsilon-weighted) draws, the undrawn one is untouched
    expect(mixture.means[1]).toBeCloseTo(0.3 * 1 + 0.7 * 1.0, 6);
    expect(mixture.means[2]).toBe(5);
    expect(mixture.variances[2]).toBe(2);
    expect(mixture.means[0]).toBeCloseTo(0.3 * -1 + 0.7 * -1, 6);
  });

  it("drops components under minWeight and keeps at most maxComponents", () => {
    const mix: Mixture = { dim: 1, weights: Float64Array.of(0.5, 0.5), means: Float64Array.of(-1, 1), variances: Float64Array.of(1, 1) };
    const args = [mix, f32(-1, -1.1, 1, 1.1), i32(0, 0, 1, 1), i32(0, 0, 1, 1), pickToVotes(0)] as const;
    expect(updateFromVotes(...args).mixture.weights.length).toBe(2);
    const one = updateFromVotes(...args, { maxComponents: 1 });
    expect(Array.from(one.mixture.weights)).toEqual([1]);
    expect(one.origin).toEqual([{ parent: 0, candidate: 0 }]);
    // alpha = 1 leaves the non-picked component only its epsilon mass (0.04 / 2.04 < 0.05)
    const dropped = updateFromVotes(...args, { alpha: 1, minWeight: 0.05 });
    expect(dropped.mixture.weights.length).toBe(1);
  });
});

describe("updateFromVotes: several readers", () => {
  // two clear modes in 2-D drawn from one N(0, I) component: candidate 0 near (-2, 0), candidate 1 near (2, 0), candidate 2 near (0, 3)
  const codes = f32(-2.2, 0.1, -1.8, -0.1, -2, 0.2, 2.1, 0, 1.9, 0.2, 2, -0.2, 0, 3, 0.2, 2.8);
  const component = new Int32Array(8);
  const membership = i32(0, 0, 0, 1, 1, 1, 2, 2);

  it("a 2:1 split keeps both modes as separate components with 2:1 mass", () => {
    const { mixture, shares, origin } = updateFromVotes(standardMixture(2), codes, component, membership, new Map([[0, 2], [1, 1]]));
    expect(shares).toEqual([2 / 3, 1 / 3, 0]);
    expect(origin).toEqual([
      { parent: 0, candidate: 0 },
      { parent: 0, candidate: 1 },
    ]);
    expect(mixture.weights[0]).toBeCloseTo(2 / 3, 12);
    expect(mixture.weights[1]).toBeCloseTo(1 / 3, 12);
    // each child is fitted to its own candidate's members (epsilon-weighted others included)
    const xs = Array.from({ length: 8 }, (_, i) => codes[2 * i]);
    const a = weighted(xs, Array.from(membership, (m) => (m === 0 ? 1 : 0.02)));
    const b = weighted(xs, Array.from(membership, (m) => (m === 1 ? 1 : 0.02)));
    expect(mixture.means[0]).toBeCloseTo(0.7 * a.mean, 5);
    expect(mixture.means[2]).toBeCloseTo(0.7 * b.mean, 5);
    expect(mixture.means[0]).toBeLessThan(-1.2);
    expect(mixture.means[2]).toBeGreaterThan(1.2);
  });

  it("dense array votes mean the same as a Map", () => {
    const viaMap = updateFromVotes(standardMixture(2), codes, component, membership, new Map([[0, 2], [1, 1]]));
    expect(updateFromVotes(standardMixture(2), codes, component, membership, [2, 1, 0])).toEqual(viaMap);
    expect(updateFromVotes(standardMixture(2), codes, component, membership, [4, 2])).toEqual(viaMap);
  });

  it("components that already separate the modes each follow their own side (no duplicates)", () => {
    const mix: Mixture = { dim: 2, weights: Float64Array.of(0.5, 0.5), means: Float64Array.of(-1.5, 0, 1.5, 0), variances: Float64Array.of(0.5, 0.5, 0.5, 0.5) };
    const comp = i32(0, 0, 0, 1, 1, 1, 0, 1);
    const { origin, mixture } = updateFromVotes(mix, codes, comp, membership, [1, 1]);
    expect(origin).toEqual([
      { parent: 0, candidate: 0 },
      { parent: 1, candidate: 1 },
    ]);
    expect(mixture.weights[0]).toBeCloseTo(0.5, 12);
  });
});

describe("updateFromVotes input checks", () => {
  const mix = standardMixture(1);
  const codes = f32(-1, 0, 1);
  const comp = i32(0, 0, 0);
  const memb = i32(0, 1, 1);
  it("refuses bad picks with BAD_PICK", () => {
    expectCode(() => updateFromVotes(mix, codes, comp, memb, pickToVotes(2)), "BAD_PICK", /candidates 0\.\.1/);
    expectCode(() => updateFromVotes(mix, codes, comp, memb, new Map([[0, -1]])), "BAD_PICK", /weight/);
    expectCode(() => updateFromVotes(mix, codes, comp, memb, [0, 0]), "BAD_PICK", /no votes/);
    expectCode(() => updateFromVotes(mix, codes, comp, memb, [0, 0, 1]), "BAD_PICK");
    expectCode(() => updateFromVotes(mix, codes, comp, i32(0, 2, 2), pickToVotes(1)), "BAD_PICK", /no member/);
    expectCode(() => pickToVotes(-1), "BAD_PICK");
    expectCode(() => pickToVotes(1.5), "BAD_PICK");
  });

  it("refuses bad codes, shapes, components, memberships, options and mixtures", () => {
    expectCode(() => updateFromVotes(mix, f32(-1, Number.NaN, 1), comp, memb, pickToVotes(0)), "BAD_CODES", /sample 1/);
    expectCode(() => updateFromVotes(mix, f32(-1, 0), comp, memb, pickToVotes(0)), "DIMS_MISMATCH");
    expectCode(() => updateFromVotes(mix, new Float32Array(0), new Int32Array(0), new Int32Array(0), pickToVotes(0)), "EMPTY_SAMPLES");
    expectCode(() => updateFromVotes(mix, codes, i32(0, 1, 0), memb, pickToVotes(0)), "BAD_INPUT", /component 1/);
    expectCode(() => updateFromVotes(mix, codes, comp, i32(0, -1, 1), pickToVotes(0)), "BAD_INPUT", /membership -1/);
    expectCode(() => updateFromVotes(mix, codes, comp, memb, pickToVotes(0), { alpha: 0 }), "BAD_INPUT", /alpha/);
    expectCode(() => updateFromVotes(mix, codes, comp, memb, pickToVotes(0), { sMin: 0 }), "BAD_INPUT", /sMin/);
    const bad: Mixture = { dim: 1, weights: Float64Array.of(1), means: Float64Array.of(0), variances: Float64Array.of(-1) };
    expectCode(() => updateFromVotes(bad, codes, comp, memb, pickToVotes(0)), "BAD_MIXTURE", /variance/);
  });
});
