import { describe, expect, it } from "vitest";
import { differenceFrom, summariseMask } from "./summary";
import { expectCode } from "./test-support/expect-code";

// 4 x 3 x 2 label map: z0 holds a 2-voxel tumour and a lone tumour voxel, z1 liver only
const labels = Uint8Array.from([
  /* z0 */ 1, 2, 2, 0, /**/ 1, 1, 1, 0, /**/ 2, 1, 0, 0,
  /* z1 */ 1, 1, 0, 0, /**/ 1, 1, 0, 0, /**/ 0, 0, 0, 0,
]);

describe("summariseMask", () => {
  it("counts liver (with tumour) and tumour in voxels and mL, and lesions by 6-connectivity", () => {
    const s = summariseMask(labels, [4, 3, 2], { voxelMl: 0.5 });
    expect(s).toEqual({ liverVoxels: 12, tumourVoxels: 3, liverMl: 6, tumourMl: 1.5, lesionCount: 2 });
  });

  it("ignores lesions smaller than minLesionVoxels and refuses bad options", () => {
    expect(summariseMask(labels, [4, 3, 2], { voxelMl: 1, minLesionVoxels: 2 }).lesionCount).toBe(1);
    expectCode(() => summariseMask(labels, [4, 3, 2], { voxelMl: 0 }), "BAD_INPUT", /voxelMl/);
    expectCode(() => summariseMask(labels, [4, 3, 2], { voxelMl: 1, minLesionVoxels: 0 }), "BAD_INPUT", /minLesionVoxels/);
    expectCode(() => summariseMask(labels, [4, 3, 3], { voxelMl: 1 }), "DIMS_MISMATCH");
  });
});

describe("differenceFrom", () => {
  it("splits added and removed voxels and points at the slice that differs most", () => {
    const other = labels.slice();
    other[2] = 1; // z0 (2, 0): tumour removed
    other[12 + 2] = 2; // z1 (2, 0): tumour added
    other[12 + 6] = 2; // z1 (2, 1): tumour added
    const d = differenceFrom(other, labels, [4, 3, 2], "tumour", 0.5);
    expect(d.addedVoxels).toBe(2);
    expect(d.removedVoxels).toBe(1);
    expect(d.addedMl).toBe(1);
    expect(d.removedMl).toBe(0.5);
    expect(d.differsAt).toEqual({ z: 1, x: 2, y: 0.5, voxels: 2 });
    // for the liver the same edits change only z1 (label 0 -> 2 twice)
    const liver = differenceFrom(other, labels, [4, 3, 2], "liver", 1);
    expect([liver.addedVoxels, liver.removedVoxels]).toEqual([2, 0]);
  });

  it("is null where nothing differs and checks both grids", () => {
    expect(differenceFrom(labels, labels, [4, 3, 2], "tumour", 1).differsAt).toBeNull();
    expectCode(() => differenceFrom(labels, labels.subarray(1), [4, 3, 2], "tumour", 1), "DIMS_MISMATCH", /reference/);
  });
});
