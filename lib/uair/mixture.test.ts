import { describe, expect, it } from "vitest";
import { mixtureFromJSON, mixtureToJSON, sampleMixture, standardMixture, validateMixture, type Mixture } from "./mixture";
import { createRng } from "./rng";
import { expectCode } from "./test-support/expect-code";

const twoModes = (): Mixture => ({
  dim: 2,
  weights: Float64Array.of(0.25, 0.75),
  means: Float64Array.of(-10, 0, 10, 5),
  variances: Float64Array.of(1, 1, 0.25, 4),
});

describe("standardMixture", () => {
  it("is one N(0, I) component", () => {
    const m = standardMixture(3);
    expect(m.dim).toBe(3);
    expect(Array.from(m.weights)).toEqual([1]);
    expect(Array.from(m.means)).toEqual([0, 0, 0]);
    expect(Array.from(m.variances)).toEqual([1, 1, 1]);
    expectCode(() => standardMixture(0), "BAD_INPUT");
  });
});

describe("sampleMixture", () => {
  it("is a true mixture: components by weight, each draw from its own Gaussian, nothing in between", () => {
    const { codes, component } = sampleMixture(twoModes(), 4000, createRng(1));
    expect(codes.length).toBe(8000);
    const share = component.reduce((s, c) => s + c, 0) / 4000;
    expect(Math.abs(share - 0.75)).toBeLessThan(0.03);
    const stats = [0, 1].map((j) => {
      const xs: number[] = [];
      const ys: number[] = [];
      component.forEach((c, i) => {
        if (c === j) {
          xs.push(codes[2 * i]);
          ys.push(codes[2 * i + 1]);
        }
      });
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / a.length);
      return { mx: mean(xs), my: mean(ys), sx: sd(xs), sy: sd(ys) };
    });
    expect(stats[0].mx).toBeCloseTo(-10, 0);
    expect(stats[1].mx).toBeCloseTo(10, 0);
    expect(stats[1].my).toBeCloseTo(5, 0);
    expect(stats[1].sx).toBeCloseTo(0.5, 1);
    expect(stats[1].sy).toBeCloseTo(2, 0);
    // an averaged Gaussian would put draws around x = 5; a mixture leaves the gap empty
    let between = 0;
    for (let i = 0; i < 4000; i++) if (Math.abs(codes[2 * i]) < 4) between++;
    expect(between).toBe(0);
  });

  it("never picks a zero-weight component and is reproducible from the seed", () => {
    const m = twoModes();
    m.weights = Float64Array.of(0, 1);
    const a = sampleMixture(m, 500, createRng(3));
    expect(a.component.every((c) => c === 1)).toBe(true);
    const b = sampleMixture(m, 500, createRng(3));
    expect(Buffer.from(b.codes.buffer).equals(Buffer.from(a.codes.buffer))).toBe(true);
  });

  it("refuses a bad count or a bad mixture", () => {
    expectCode(() => sampleMixture(standardMixture(2), 0, createRng(1)), "BAD_INPUT");
    expectCode(() => sampleMixture(standardMixture(2), 2.5, createRng(1)), "BAD_INPUT");
    const bad = twoModes();
    bad.variances[1] = -1;
    expectCode(() => sampleMixture(bad, 4, createRng(1)), "BAD_MIXTURE", /variance/);
  });
});

describe("validateMixture", () => {
  it("accepts a good mixture and names each kind of problem", () => {
    expect(() => validateMixture(twoModes())).not.toThrow();
    const cases: [string, (m: Mixture) => void, RegExp][] = [
      ["negative variance", (m) => (m.variances[2] = -0.5), /variance 2/],
      ["zero variance", (m) => (m.variances[0] = 0), /variance 0/],
      ["NaN mean", (m) => (m.means[3] = Number.NaN), /mean 3/],
      ["weights not normalised", (m) => (m.weights = Float64Array.of(0.5, 0.6)), /sum to/],
      ["negative weight", (m) => (m.weights = Float64Array.of(-0.5, 1.5)), /weight 0/],
      ["wrong lengths", (m) => (m.means = new Float64Array(3)), /needs 4 means/],
      ["no components", (m) => (m.weights = new Float64Array(0)), /no components/],
      ["bad dim", (m) => (m.dim = 0), /dim/],
    ];
    for (const [, edit, msg] of cases) {
      const m = twoModes();
      edit(m);
      expectCode(() => validateMixture(m), "BAD_MIXTURE", msg);
    }
  });
});

describe("mixture JSON", () => {
  it("round-trips exactly through plain number arrays", () => {
    const json = mixtureToJSON(twoModes());
    expect(Array.isArray(json.weights) && Array.isArray(json.means)).toBe(true);
    const back = mixtureFromJSON(JSON.parse(JSON.stringify(json)));
    expect(back).toEqual(twoModes());
  });

  it("validates on read", () => {
    expectCode(() => mixtureFromJSON({ dim: 2, weights: [1], means: [0] }), "BAD_MIXTURE", /variances/);
    expectCode(() => mixtureFromJSON("nope"), "BAD_MIXTURE");
    expectCode(() => mixtureFromJSON({ dim: 1, weights: [1], means: [0], variances: [-1] }), "BAD_MIXTURE", /variance/);
    expectCode(() => mixtureFromJSON({ dim: 1, weights: [0.3], means: [0], variances: [1] }), "BAD_MIXTURE", /sum/);
  });
});
