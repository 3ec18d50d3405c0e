import { describe, expect, it } from "vitest";
import { applyAffine } from "./affine";
import { downsampleMean, previewFactors } from "./downsample";
import type { Volume } from "./types";

describe("downsampleMean", () => {
  it("averages blocks and keeps every block's centre at the same world position", () => {
    const data = new Int16Array(4 * 4 * 2).map((_, i) => i);
    const v: Volume = { dims: [4, 4, 2], spacing: [0.5, 0.5, 2], affine: [0.5, 0, 0, -10, 0, 0.5, 0, 20, 0, 0, 2, 5, 0, 0, 0, 1], data };
    const d = downsampleMean(v, [2, 2, 1]);
    expect(d.dims).toEqual([2, 2, 2]);
    expect(d.spacing).toEqual([1, 1, 2]);
    // block (0,0,0) = voxels 0,1,4,5 → 2.5 → rounds to 3 (half away from zero for positives)
    expect(d.data[0]).toBe(Math.round((0 + 1 + 4 + 5) / 4));
    const centreOld = applyAffine(v.affine, [0.5, 0.5, 0]);
    expect(applyAffine(d.affine, [0, 0, 0])).toEqual(centreOld);
  });

  it("chooses factors that bring a 512x512x300 CT to at most 128x128x96", () => {
    expect(previewFactors([512, 512, 300])).toEqual([4, 4, 4]);
    expect(previewFactors([122, 101, 112])).toEqual([1, 1, 2]);
  });
});
