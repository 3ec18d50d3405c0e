import { describe, expect, it } from "vitest";
import { kMedoids } from "./kmedoids";
import { expectCode } from "./test-support/expect-code";

/** |a - b| distance matrix of points on a line */
const lineDistances = (xs: number[]) => {
  const n = xs.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = Math.abs(xs[i] - xs[j]);
  return d;
};

describe("kMedoids", () => {
  it("finds the obvious groups and their central points", () => {
    const xs = [0, 10, 0.2, 10.3, -0.1, 9.8, 20, 20.5];
    const { medoids, assignment, cost } = kMedoids(lineDistances(xs), xs.length, 3);
    const groups = [0, 1, 2].map((p) => xs.filter((_, i) => assignment[i] === p).sort((a, b) => a - b));
    expect(groups.map((g) => g.length).sort()).toEqual([2, 3, 3]);
    expect(new Set(medoids.map((m) => xs[m]))).toEqual(new Set([0, 10, 20]));
    // 0: 0.2 + 0.1; 10: 0.3 + 0.2; 20: 0.5
    expect(cost).toBeCloseTo(1.3, 10);
  });

  it("SWAP improves on a greedy BUILD that starts from the overall centre", () => {
    // BUILD first takes the global medoid (between the groups), SWAP must move it into a group
    const xs = [0, 1, 2, 10, 11, 12, 5.9];
    const { medoids, cost, swaps } = kMedoids(lineDistances(xs), xs.length, 2);
    expect(swaps).toBeGreaterThan(0);
    expect(new Set(medoids.map((m) => xs[m]))).toEqual(new Set([1, 11]));
    expect(cost).toBeCloseTo(1 + 1 + 1 + 1 + 4.9, 10);
  });

  it("caps k at n, keeps each medoid in its own cluster even among duplicates, and is deterministic", () => {
    const xs = [3, 3, 3];
    const r = kMedoids(lineDistances(xs), 3, 5);
    expect(r.medoids.length).toBe(3);
    r.medoids.forEach((m, p) => expect(r.assignment[m]).toBe(p));
    expect(kMedoids(lineDistances([1, 5, 2, 8]), 4, 2)).toEqual(kMedoids(lineDistances([1, 5, 2, 8]), 4, 2));
  });

  it("refuses bad input", () => {
    expectCode(() => kMedoids(new Float64Array(0), 0, 2), "EMPTY_SAMPLES");
    expectCode(() => kMedoids(new Float64Array(3), 2, 1), "DIMS_MISMATCH");
    expectCode(() => kMedoids(new Float64Array(4), 2, 0), "BAD_INPUT", /k must/);
    expectCode(() => kMedoids(Float64Array.of(0, Number.NaN, Number.NaN, 0), 2, 1), "BAD_INPUT", /distance/);
  });
});
