import { describe, expect, it } from "vitest";
import { seededNormals } from "../model/sampling";
import { createRng } from "./rng";
import { expectCode } from "./test-support/expect-code";

describe("createRng", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 10 }, () => a.uniform());
    expect(Array.from({ length: 10 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c.uniform())).not.toEqual(xs);
  });

  it("uniform() stays in [0, 1) with mean 1/2; normal() is standard normal", () => {
    const rng = createRng(7);
    let min = 1;
    let max = 0;
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = rng.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      sum += u;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
    const xs = Array.from({ length: 20000 }, () => rng.normal());
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it("draws the same normal stream as lib/model's seededNormals", () => {
    const rng = createRng(11);
    const ours = Array.from({ length: 9 }, () => rng.normal());
    Array.from(seededNormals(11, 9)).forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 5));
  });

  it("refuses a non-finite seed", () => {
    expectCode(() => createRng(Number.NaN), "BAD_INPUT", /seed/);
  });
});
