import { describe, expect, it } from "vitest";
import { expectCoded } from "../test-support/expect-code";
import { MetricsError, type Spacing3 } from "./errors";
import { jaccard, volumeDifference, volumeMl, voxelMl } from "./volume";

describe("volume", () => {
  const sp: Spacing3 = [0.8, 0.8, 2.5]; // 1.6 mm³ = 0.0016 mL per voxel
  it("jaccard", () => {
    expect(jaccard([1, 1, 0, 0], [1, 0, 1, 0])).toBeCloseTo(1 / 3, 12);
    expect(jaccard([0, 0], [0, 0])).toBe(1);
    expect(jaccard([1, 0], [0, 1])).toBe(0);
  });
  it("volumeDifference in mL with the voxel size", () => {
    expect(voxelMl(sp)).toBeCloseTo(0.0016, 15);
    const v = volumeDifference([1, 1, 1, 1, 0], [1, 1, 0, 0, 0], sp);
    expect(v.aMl).toBeCloseTo(0.0064, 15);
    expect(v.bMl).toBeCloseTo(0.0032, 15);
    expect(v.diffMl).toBeCloseTo(-0.0032, 15);
    expect(v.relative).toBe(-0.5);
    expect(volumeDifference([0, 0], [1, 0], sp).relative).toBeNull();
    expect(volumeMl(new Uint8Array([3, 0, 1]), [1, 2, 5])).toBeCloseTo(0.02, 15);
  });
  it("errors", () => {
    expectCoded(() => volumeDifference([1], [1, 0], sp), MetricsError, "DIMS_MISMATCH");
    expectCoded(() => volumeDifference([1], [1], [1, 1, 0]), MetricsError, "BAD_SPACING");
  });
});
