import { describe, expect, it } from "vitest";
import { toCanonicalCT } from "./canonical";
import { gunzip } from "./gzip";
import { exportLabelNifti, labelMapToSourceGrid } from "./label-export";
import { binarise, labelCounts, transferLabelToGrid } from "./labels";
import { readNifti, type NiftiVolume } from "./nifti-read";
import { writeNifti } from "./nifti-write";
import { orientationCode, reorient } from "./orientation";
import { sameVoxels } from "./test-support/compare";
import { fixtureBytes } from "./test-support/fixtures";
import type { Volume } from "./types";
import { expectCode } from "./test-support/expect-code";
import { addTumour } from "./test-support/masks";


/** The ingest path: source -> canonical RAS int16 -> stored gzip NIfTI -> read back. */
const storedCanonical = (source: Volume) => readNifti(writeNifti(toCanonicalCT(source)));

/** datatype and intent_code of a written .nii.gz */
function header(bytes: Uint8Array): { datatype: number; intent: number } {
  const raw = gunzip(bytes);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { datatype: v.getInt16(70, true), intent: v.getInt16(68, true) };
}


function roundTrip(source: NiftiVolume, label: Volume, labelValue: number) {
  const canonical = storedCanonical(source);
  expect(orientationCode(canonical.affine)).toBe("RAS");
  // the mask the platform stores: on the canonical grid
  const mask = binarise(transferLabelToGrid(label, canonical), labelValue);
  const bytes = exportLabelNifti(mask, { source });
  const back = readNifti(bytes);
  return { canonical, mask, bytes, back };
}

describe("labelMapToSourceGrid / exportLabelNifti on the real fixtures", () => {
  it("patient A (RAS upload): export lands on the source affine, voxel-identical to the label", () => {
    const source = readNifti(fixtureBytes("patient-a/ct.nii.gz"));
    const label = readNifti(fixtureBytes("patient-a/totalseg-v1.nii.gz"));
    const { back, bytes } = roundTrip(source, label, 5);
    expect(back.affine).toEqual(source.affine);
    expect(back.dims).toEqual(source.dims);
    expect(back.data).toBeInstanceOf(Uint8Array);
    expect(sameVoxels(back.data, binarise(label, 5).data)).toBe(true);
    expect(labelCounts(back.data).get(1)).toBe(41602);
    expect(header(bytes)).toEqual({ datatype: 2, intent: 1002 });
  });

  it("patient A uploaded as LPI: the mask goes back through flips to the LPI grid", () => {
    const lpiBytes = writeNifti(reorient(readNifti(fixtureBytes("patient-a/ct.nii.gz")), "LPI"));
    const source = readNifti(lpiBytes);
    expect(orientationCode(source.affine)).toBe("LPI");
    const label = reorient(readNifti(fixtureBytes("patient-a/totalseg-v1.nii.gz")), "LPI");
    const { back, mask } = roundTrip(source, label, 5);
    expect(back.affine).toEqual(source.affine);
    expect(sameVoxels(back.data, binarise(label, 5).data)).toBe(true);
    // the same result straight from the function, without the NIfTI write
    const direct = labelMapToSourceGrid(mask, source.affine, source.dims);
    expect(direct.affine).toEqual(source.affine);
    expect(sameVoxels(direct.data, back.data)).toBe(true);
  });

  it("the PLI no-liver case: canonical mask -> PLI source grid, voxel-identical to the lesion mask", () => {
    const source = readNifti(fixtureBytes("no-liver/ct.nii.gz"));
    expect(orientationCode(source.affine)).toBe("PLI");
    const label = readNifti(fixtureBytes("no-liver/lesion-mask.nii.gz"));
    const { back, canonical, mask } = roundTrip(source, label, 1);
    expect(orientationCode(mask.affine)).toBe("RAS");
    expect(mask.dims).toEqual(canonical.dims);
    expect(back.affine).toEqual(source.affine);
    expect(orientationCode(back.affine)).toBe("PLI");
    const expected = binarise(label, 1);
    expect(labelCounts(expected.data).get(1)).toBeGreaterThan(0);
    expect(sameVoxels(back.data, expected.data)).toBe(true);
    // and it is exactly the canonical mask reoriented to PLI
    expect(sameVoxels(back.data, reorient(mask, "PLI").data)).toBe(true);
  });

  it("an annotation (liver + tumour) re-imports voxel-identical, on the canonical and on the source grid", () => {
    const source = readNifti(fixtureBytes("no-liver/ct.nii.gz"));
    const canonical = storedCanonical(source);
    const lesion = binarise(transferLabelToGrid(readNifti(fixtureBytes("no-liver/lesion-mask.nii.gz")), canonical), 1);
    const annotation = addTumour(lesion, 6);
    const counts = labelCounts(annotation.data);
    expect(counts.get(1)).toBeGreaterThan(0);
    expect(counts.get(2)).toBeGreaterThan(0);

    const asStored = readNifti(exportLabelNifti(annotation));
    expect(asStored.affine).toEqual(annotation.affine);
    expect(sameVoxels(asStored.data, annotation.data)).toBe(true);

    const onSource = readNifti(exportLabelNifti(annotation, { source, description: "case 17 annotation" }));
    expect(onSource.affine).toEqual(source.affine);
    expect(onSource.nifti.description).toBe("case 17 annotation");
    const reimported = transferLabelToGrid(onSource, canonical);
    expect(reimported.aligned).toBe(true);
    expect(sameVoxels(reimported.data, annotation.data)).toBe(true);
  });

  it("refuses masks that are not on the case's grid (GRID_MISMATCH)", () => {
    const source = readNifti(fixtureBytes("patient-a/ct.nii.gz"));
    const canonical = storedCanonical(source);
    const mask = binarise(transferLabelToGrid(readNifti(fixtureBytes("patient-a/totalseg-v1.nii.gz")), canonical), 5);
    // another grid size (the crop's label)
    const crop = binarise(readNifti(fixtureBytes("patient-a/ct-crop-totalseg-v2.nii.gz")), 5);
    const e1 = expectCode(() => labelMapToSourceGrid(crop, source.affine, source.dims), "GRID_MISMATCH");
    expect(e1.details?.maskDims).toEqual([122, 101, 30]);
    // same size, shifted half a voxel
    const shifted = { ...mask, affine: mask.affine.map((v, i) => (i === 3 ? v + 1.5 : v)) };
    const e2 = expectCode(() => exportLabelNifti(shifted, { source }), "GRID_MISMATCH");
    expect(e2.details?.distanceMm).toBeCloseTo(1.5, 6);
    // resampled to 1.5 mm in-plane: not a permutation of the source grid
    const a = mask.affine;
    const fine = transferLabelToGrid(mask, { dims: [244, 202, 112], affine: [a[0] / 2, a[1], a[2], a[3], a[4], a[5] / 2, a[6], a[7], a[8], a[9], a[10], a[11], 0, 0, 0, 1] });
    expectCode(() => labelMapToSourceGrid(fine, source.affine, source.dims), "GRID_MISMATCH");
  });

  it("refuses values other than 0/1/2 and non-uint8 masks", () => {
    const source = readNifti(fixtureBytes("patient-a/ct.nii.gz"));
    const label = readNifti(fixtureBytes("patient-a/totalseg-v1.nii.gz"));
    const raw = { ...label, data: Uint8Array.from(label.data) };
    const e = expectCode(() => exportLabelNifti(raw, { source }), "UNSUPPORTED_DATATYPE");
    expect((e.details?.values as number[]).length).toBeGreaterThan(3);
    expect(readNifti(exportLabelNifti(raw, { allowedLabels: [...labelCounts(raw.data).keys()] })).dims).toEqual(label.dims);
    expectCode(() => exportLabelNifti(label as unknown as Volume<Uint8Array>), "UNSUPPORTED_DATATYPE");
  });
});
