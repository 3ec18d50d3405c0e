import { describe, expect, it } from "vitest";
import { bestOfDice, dice, maskOf, meanPairwiseDice } from "./overlap";

describe("overlap", () => {
  const a = new Uint8Array([1, 1, 0, 0]);
  const b = new Uint8Array([1, 0, 1, 0]);
  it("dice", () => {
    expect(dice(a, b)).toBe(0.5);
    expect(dice(a, a)).toBe(1);
    expect(dice(new Uint8Array(4), new Uint8Array(4))).toBe(1);
    expect(() => dice(a, new Uint8Array(3))).toThrow(/4 and 3/);
  });
  it("pairwise and best-of", () => {
    expect(meanPairwiseDice([a, a, b])).toBeCloseTo((1 + 0.5 + 0.5) / 3, 12);
    expect(bestOfDice([b, a], a)).toBe(1);
    expect(Array.from(maskOf([0, 2, 1, 2], 2))).toEqual([0, 1, 0, 1]);
  });
});
