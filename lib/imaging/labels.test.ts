import { describe, expect, it } from "vitest";
import { multiply4 } from "./affine";
import { binarise, gridMapping, labelCounts, LABEL, labelEdit, relabel, TOTALSEG_LIVER, transferLabelToGrid } from "./labels";
import { readNifti, toInt16HU } from "./nifti-read";
import { orientationCode, reorient } from "./orientation";
import { huRange, maskVolume, meanInMask } from "./stats";
import { sameVoxels } from "./test-support/compare";
import { fixtureBytes } from "./test-support/fixtures";
import { ImagingError, type Grid } from "./types";

const labelA = () => readNifti(fixtureBytes("patient-a/totalseg-v1.nii.gz"));

describe("label codecs", () => {
  it("binarises and relabels TotalSegmentator v1 liver (5) to our liver (1)", () => {
    const seg = labelA();
    expect(labelCounts(seg.data).get(TOTALSEG_LIVER)).toBe(41602);
    const liver = relabel(seg, { [TOTALSEG_LIVER]: LABEL.liver });
    expect(liver.data).toBeInstanceOf(Uint8Array);
    expect([...labelCounts(liver.data).entries()]).toEqual([[0, seg.data.length - 41602], [1, 41602]]);
    expect(sameVoxels(binarise(seg, 5).data, liver.data)).toBe(true);
    expect(liver.affine).toEqual(seg.affine);
    // several source labels into one, and a chosen output value
    const two = binarise(seg, [5, 6], LABEL.tumour);
    expect(labelCounts(two.data).get(2)).toBe(41602 + (labelCounts(seg.data).get(6) ?? 0));
  });

  it("rejects relabel targets that do not fit uint8", () => {
    expect(() => relabel(labelA(), { 5: 300 })).toThrow(ImagingError);
  });
});

describe("transferLabelToGrid", () => {
  it("is exact for a permuted/flipped grid and marks it aligned", () => {
    const liver = binarise(labelA(), 5);
    const lpi = reorient(liver, "LPI");
    expect(gridMapping(liver.affine, lpi).aligned).toBe(true);
    const back = transferLabelToGrid(lpi, liver);
    expect(back.aligned).toBe(true);
    expect(sameVoxels(back.data, liver.data)).toBe(true);
  });

  it("does world-space nearest neighbour onto a finer, flipped grid and back without loss", () => {
    const liver = binarise(labelA(), 5);
    const [nx, ny, nz] = liver.dims;
    // target voxel (i, j, k) sits at source voxel (nx-1-i, j, (k-1)/3): x flipped, z three times finer
    const index = [-1, 0, 0, nx - 1, 0, 1, 0, 0, 0, 0, 1 / 3, -1 / 3, 0, 0, 0, 1];
    const fine: Grid = { dims: [nx, ny, 3 * nz], affine: multiply4(liver.affine, index) };
    expect(orientationCode(fine.affine)).toBe("LAS");
    const onFine = transferLabelToGrid(liver, fine);
    expect(onFine.aligned).toBe(false);
    expect(onFine.insideFraction).toBe(1);
    expect(onFine.spacing[2]).toBeCloseTo(1, 6);
    expect(labelCounts(onFine.data).get(1)).toBe(3 * 41602);
    const back = transferLabelToGrid(onFine, liver);
    expect(sameVoxels(back.data, liver.data)).toBe(true);
  });

  it("leaves target voxels outside the label's extent at 0", () => {
    const liver = binarise(labelA(), 5);
    const shifted: Grid = { dims: liver.dims, affine: liver.affine.map((v, i) => (i === 11 ? v + 3 * 56 : v)) };
    const r = transferLabelToGrid(liver, shifted);
    expect(r.insideFraction).toBeCloseTo(0.5, 6);
  });
});

describe("stats", () => {
  it("reports HU range, mean HU in a mask and mask volume for patient A", () => {
    const ct = toInt16HU(readNifti(fixtureBytes("patient-a/ct.nii.gz")));
    const { min, max } = huRange(ct);
    expect([min, max]).toEqual([-1207, 3382]); // measured on the fixture (resampled, so below -1024)
    const seg = labelA();
    const viaLabel = meanInMask(ct, seg.data, 5);
    expect(viaLabel.count).toBe(41602);
    expect(viaLabel.mean).toBeCloseTo(44.3, 0);
    expect(maskVolume(binarise(seg, 5)).ml).toBeCloseTo((41602 * 27) / 1000, 6);
  });

  it("refuses a mask on a different grid (GRID_MISMATCH) or of a different size (DIMS_MISMATCH)", () => {
    const ct = readNifti(fixtureBytes("patient-a/ct-crop.nii.gz"));
    const label = readNifti(fixtureBytes("patient-a/ct-crop-totalseg-v2.nii.gz"));
    const moved = { ...label, affine: label.affine.map((v, i) => (i === 11 ? v - 246 : v)) };
    try {
      meanInMask(ct, moved);
      throw new Error("no error");
    } catch (e) {
      expect((e as ImagingError).code).toBe("GRID_MISMATCH");
    }
    try {
      meanInMask(ct, new Uint8Array(10));
      throw new Error("no error");
    } catch (e) {
      expect((e as ImagingError).code).toBe("DIMS_MISMATCH");
    }
  });
});

describe("labelEdit", () => {
  it("counts changed voxels and which labels gained or lost them", () => {
    const before = Uint8Array.of(0, 1, 1, 2, 2, 0);
    const after = Uint8Array.of(1, 1, 2, 2, 0, 0);
    expect(labelEdit(before, after)).toEqual({ changed: 3, added: { 1: 1, 2: 1 }, removed: { 1: 1, 2: 1 } });
    expect(labelEdit(before, before)).toEqual({ changed: 0, added: {}, removed: {} });
  });

  it("refuses maps of different sizes", () => {
    expect(() => labelEdit(Uint8Array.of(0), Uint8Array.of(0, 1))).toThrow(/2 voxels, the original 1/);
  });
});
