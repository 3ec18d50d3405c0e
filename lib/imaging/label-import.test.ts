import { beforeAll, describe, expect, it } from "vitest";
import { toCanonicalCT } from "./canonical";
import { encodeDicomSeg } from "./dicom-seg";
import { loadDicomSeries, type DicomSeriesResult } from "./dicom-series";
import { importLabel } from "./label-import";
import { binarise, transferLabelToGrid } from "./labels";
import { readNifti } from "./nifti-read";
import { writeNifti } from "./nifti-write";
import { decodeFrame, fixtureBytes, patientBDicom } from "./test-support/fixtures";
import { expectCode } from "./test-support/expect-code";

let series: DicomSeriesResult;
let canonical: ReturnType<typeof toCanonicalCT>;
const labelBytes = () => fixtureBytes("patient-b/totalseg-v2.nii.gz");

beforeAll(() => {
  series = loadDicomSeries(patientBDicom(), { decodeFrame });
  canonical = toCanonicalCT(series.volume);
});


describe("importLabel", () => {
  it("brings a TotalSegmentator NIfTI (LAS) onto the canonical grid when told which value is the liver", () => {
    const r = importLabel(labelBytes(), canonical, { sourceValue: 5 });
    expect(r).toMatchObject({ format: "nifti", aligned: true, counts: { 1: 366_708 }, warnings: [] });
    expect(r.mask.dims).toEqual(canonical.dims);
  });

  it("refuses label values it cannot interpret, naming them", () => {
    expectCode(() => importLabel(labelBytes(), canonical), "UNSUPPORTED_DATATYPE");
  });

  it("reads a DICOM SEG of the series onto the same voxels as the NIfTI", () => {
    const onSeries = transferLabelToGrid(binarise(readNifti(labelBytes()), 5, 1), series.volume);
    const seg = encodeDicomSeg({ ...onSeries, data: onSeries.data }, { grid: series.volume, ...series.meta }, { algorithmType: "MANUAL" });
    const fromSeg = importLabel(seg.bytes, canonical);
    const fromNifti = importLabel(labelBytes(), canonical, { sourceValue: 5 });
    expect(fromSeg.format).toBe("dicom-seg");
    expect(fromSeg.counts).toEqual({ 1: 366_708 });
    expect(Buffer.compare(Buffer.from(fromSeg.mask.data), Buffer.from(fromNifti.mask.data))).toBe(0);
  });

  it("refuses a label map that lies elsewhere in space", () => {
    const label = binarise(readNifti(labelBytes()), 5, 1);
    const far = writeNifti({ ...label, affine: label.affine.map((v, i) => (i === 3 ? v + 5000 : v)) });
    expectCode(() => importLabel(far, canonical), "GRID_MISMATCH");
  });
});
