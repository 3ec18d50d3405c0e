import { describe, expect, it } from "vitest";
import { createRng } from "./rng";
import { interactionsToReach, jitteredBox, nextClick, simulatedPick } from "./simulate";
import { expectCode } from "./test-support/expect-code";

const dims = [12, 10, 9] as const;
const n = 12 * 10 * 9;
const at = (x: number, y: number, z: number) => x + 12 * (y + 10 * z);
function block(x0: number, x1: number, y0: number, y1: number, z0: number, z1: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let z = z0; z <= z1; z++) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[at(x, y, z)] = 1;
  return m;
}

describe("simulated selection user", () => {
  const target = block(2, 7, 2, 7, 0, 2);
  const shown = [block(2, 5, 2, 7, 0, 2), block(2, 7, 2, 7, 0, 2), block(0, 11, 0, 9, 0, 8)];

  it("a perfect user picks the closest mask", () => {
    const p = simulatedPick(shown, target, { mode: "perfect" });
    expect(p.index).toBe(1);
    expect(p.best).toBe(1);
    expect(p.dices[0]).toBeCloseTo((2 * 72) / (72 + 108), 10);
  });

  it("a noisy user mostly picks the best, sometimes not, reproducibly per seed", () => {
    const run = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 400 }, () => simulatedPick(shown, target, { mode: "noisy", rng }).index);
    };
    const picks = run(3);
    const best = picks.filter((i) => i === 1).length / picks.length;
    expect(best).toBeGreaterThan(0.8);
    expect(best).toBeLessThan(1);
    expect(run(3)).toEqual(picks);
    expect(() => simulatedPick(shown, target, { mode: "noisy" })).toThrow(/seeded rng/);
    expectCode(() => simulatedPick([], target, { mode: "perfect" }), "EMPTY_SAMPLES");
  });
});

describe("click user (RITM protocol)", () => {
  it("clicks the centre of the largest missed region, positive", () => {
    const target = block(1, 9, 1, 7, 0, 8);
    const pred = block(1, 2, 1, 7, 0, 8); // x 3..9 of the target is missed
    const c = nextClick(pred, target, dims)!;
    expect(c.positive).toBe(true);
    // deepest: 4 steps from every face of the missed block x 3..9, y 1..7, z 0..8
    expect([c.x, c.y]).toEqual([6, 4]);
    expect(c.z).toBeGreaterThanOrEqual(3);
    expect(c.z).toBeLessThanOrEqual(5);
    expect(target[at(c.x, c.y, c.z)]).toBe(1);
    expect(pred[at(c.x, c.y, c.z)]).toBe(0);
  });

  it("clicks negative inside a larger false positive, and nothing when they agree", () => {
    const target = block(1, 3, 1, 3, 0, 8);
    const pred = block(1, 10, 1, 8, 0, 8);
    const c = nextClick(pred, target, dims)!;
    expect(c.positive).toBe(false);
    expect(target[at(c.x, c.y, c.z)]).toBe(0);
    expect(nextClick(target, target, dims)).toBeNull();
    expectCode(() => nextClick(new Uint8Array(3), target, dims), "DIMS_MISMATCH");
  });
});

describe("jittered box and interaction counts", () => {
  it("the box holds the target, pushed out by at most the jitter", () => {
    const target = block(3, 6, 2, 5, 1, 1);
    const b = jitteredBox(target, dims, 2, createRng(1))!;
    expect(b.x0).toBeGreaterThanOrEqual(1);
    expect(b.x0).toBeLessThanOrEqual(3);
    expect(b.x1).toBeGreaterThanOrEqual(6);
    expect(b.x1).toBeLessThanOrEqual(8);
    expect([b.z0, b.z1]).toEqual([1, 1]);
    expect(jitteredBox(new Uint8Array(n), dims, 2, createRng(1))).toBeNull();
  });

  it("interactions to reach a threshold; unreached within 6 counts as 10", () => {
    expect(interactionsToReach([0.5, 0.72, 0.8], 0.7)).toBe(2);
    expect(interactionsToReach([0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.95], 0.9)).toBe(10);
    expect(interactionsToReach([0.91], 0.9)).toBe(1);
  });
});
