import { beforeAll, describe, expect, it } from "vitest";
import { toCanonicalCT } from "./canonical";
import { dicomParser } from "./dicom-pixels";
import { decodeDicomSeg, encodeDicomSeg, generateUid, isValidUid, SEG_SOP_CLASS_UID, type DicomSegSource } from "./dicom-seg";
import { dcmjs, readPart10, writePart10, type NaturalDataset } from "./dicom-seg-dcmjs";
import { loadDicomSeries, type DicomSeriesResult } from "./dicom-series";
import { binarise, labelCounts, transferLabelToGrid } from "./labels";
import { readNifti } from "./nifti-read";
import { writeNifti } from "./nifti-write";
import { orientationCode, reorient } from "./orientation";
import { sameVoxels } from "./test-support/compare";
import { decodeFrame, fixtureBytes, patientBDicom } from "./test-support/fixtures";
import type { Grid, Volume } from "./types";
import { expectCode } from "./test-support/expect-code";
import { addTumour } from "./test-support/masks";



const seq = (v: unknown): NaturalDataset[] => (Array.isArray(v) ? v : v ? [v as NaturalDataset] : []);

let series: DicomSeriesResult;
let source: DicomSegSource;
let liver: Volume<Uint8Array>; // on the DICOM series grid
/** ImagePositionPatient of each source file, by SOP instance UID (read independently with dicom-parser) */
const ippBySop = new Map<string, number[]>();

beforeAll(() => {
  const files = patientBDicom();
  series = loadDicomSeries(files, { decodeFrame });
  source = { grid: series.volume, ...series.meta };
  const label = readNifti(fixtureBytes("patient-b/totalseg-v2.nii.gz"));
  liver = binarise(transferLabelToGrid(label, series.volume), 5);
  for (const f of files) {
    const ds = dicomParser.parseDicom(f.bytes, { untilTag: "x7fe00010" });
    const uid = ds.string("x00080018") || ds.string("x00020003")!;
    ippBySop.set(uid.trim(), ds.string("x00200032")!.split("\\").map(Number));
  }
});

describe("encodeDicomSeg: patient B liver on its 20-slice JPEG 2000 series", () => {
  it("writes a SEG that dcmjs reads back with the standard attributes and references", () => {
    expect(labelCounts(liver.data).get(1)).toBe(366708);
    const now = new Date("2024-05-06T07:08:09Z");
    const r = encodeDicomSeg(liver, source, {
      algorithmType: "AUTOMATIC",
      algorithmName: "TotalSegmentator v2",
      seriesDescription: "Liver (AI)",
      contentCreatorName: "Reader^Test",
      now,
    });
    // Part 10 with preamble
    expect(String.fromCharCode(...r.bytes.subarray(128, 132))).toBe("DICM");
    const { dataset: ds, meta } = readPart10(r.bytes);
    expect(meta.MediaStorageSOPClassUID).toBe(SEG_SOP_CLASS_UID);
    expect(meta.TransferSyntaxUID).toBe("1.2.840.10008.1.2.1");
    expect(ds.Modality).toBe("SEG");
    expect(ds.SOPClassUID).toBe(SEG_SOP_CLASS_UID);
    expect(ds.SOPInstanceUID).toBe(r.sopInstanceUid);
    expect(ds.SeriesInstanceUID).toBe(r.seriesInstanceUid);
    expect(isValidUid(r.sopInstanceUid) && isValidUid(r.seriesInstanceUid)).toBe(true);
    expect(r.sopInstanceUid).toMatch(/^2\.25\.\d+$/);
    expect(ds.SegmentationType).toBe("BINARY");
    expect([ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.Rows, ds.Columns]).toEqual([1, 1, 0, 512, 512]);
    expect(ds.ImageType).toEqual(["DERIVED", "PRIMARY"]);
    expect(ds.ContentDate).toBe("20240506");
    expect(ds.ContentTime).toBe("070809");
    expect(ds.SeriesDescription).toBe("Liver (AI)");
    expect(seq(ds.ContentCreatorName)[0]).toEqual({ Alphabetic: "Reader^Test" });

    // patient B's Study and Series UIDs are blank: generated, and said so
    expect(series.meta.studyInstanceUid).toBe("");
    expect(ds.StudyInstanceUID).toBe(r.studyInstanceUid);
    expect(isValidUid(r.studyInstanceUid)).toBe(true);
    expect(r.warnings.join("\n")).toMatch(/StudyInstanceUID is blank/);
    expect(r.warnings.join("\n")).toMatch(/SeriesInstanceUID is blank/);
    expect(ds.FrameOfReferenceUID).toBe("1.3.12.2.1107.5.1.4.60064.30000022120807274275100000041");

    // the segment, with its coded terms
    const segs = seq(ds.SegmentSequence);
    expect(segs).toHaveLength(1);
    expect(segs[0].SegmentNumber).toBe(1);
    expect(segs[0].SegmentLabel).toBe("Liver");
    expect(segs[0].SegmentAlgorithmType).toBe("AUTOMATIC");
    expect(segs[0].SegmentAlgorithmName).toBe("TotalSegmentator v2");
    const codeOf = (v: unknown) => {
      const c = seq(v)[0];
      return [c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning];
    };
    expect(codeOf(segs[0].SegmentedPropertyCategoryCodeSequence)).toEqual(["123037004", "SCT", "Anatomical Structure"]);
    expect(codeOf(segs[0].SegmentedPropertyTypeCodeSequence)).toEqual(["10200004", "SCT", "Liver"]);
    expect(seq(segs[0].RecommendedDisplayCIELabValue as unknown)).toHaveLength(3);

    // every source instance referenced once, in the (blank -> generated) series
    const refSeries = seq(ds.ReferencedSeriesSequence);
    expect(refSeries).toHaveLength(1);
    expect(refSeries[0].SeriesInstanceUID).toBe(r.referencedSeriesInstanceUid);
    const refs = seq(refSeries[0].ReferencedInstanceSequence);
    expect(refs).toHaveLength(20);
    expect(refs.map((x) => x.ReferencedSOPInstanceUID)).toEqual(series.meta.sopInstanceUids);
    expect(new Set(refs.map((x) => x.ReferencedSOPClassUID))).toEqual(new Set(["1.2.840.10008.5.1.4.1.1.2"]));

    // frames: one per slice holding liver, each pointing at its source slice at that slice's position
    const slicesWithLiver: number[] = [];
    for (let k = 0; k < 20; k++) if (liver.data.subarray(k * 512 * 512, (k + 1) * 512 * 512).some((v) => v === 1)) slicesWithLiver.push(k);
    expect(ds.NumberOfFrames).toBe(slicesWithLiver.length);
    expect(r.numberOfFrames).toBe(slicesWithLiver.length);
    const shared = seq(ds.SharedFunctionalGroupsSequence)[0];
    expect(seq(seq(shared.PlaneOrientationSequence)[0].ImageOrientationPatient as unknown)).toEqual([1, 0, 0, 0, 1, 0]);
    const measures = seq(shared.PixelMeasuresSequence)[0];
    expect(measures.PixelSpacing).toEqual([0.9765625, 0.9765625]);
    expect(measures.SpacingBetweenSlices).toBe(2);
    const perFrame = seq(ds.PerFrameFunctionalGroupsSequence);
    expect(perFrame).toHaveLength(slicesWithLiver.length);
    perFrame.forEach((fg, f) => {
      const k = slicesWithLiver[f];
      const srcItem = seq(seq(seq(fg.DerivationImageSequence)[0].SourceImageSequence)[0]);
      const sop = srcItem[0].ReferencedSOPInstanceUID as string;
      expect(sop).toBe(series.meta.sopInstanceUids[k]);
      const ipp = seq(fg.PlanePositionSequence)[0].ImagePositionPatient as number[];
      const expected = ippBySop.get(sop)!;
      for (let c = 0; c < 3; c++) expect(Math.abs(ipp[c] - expected[c])).toBeLessThan(1e-6);
      expect(seq(fg.SegmentIdentificationSequence)[0].ReferencedSegmentNumber).toBe(1);
      expect(seq(fg.FrameContentSequence)[0].DimensionIndexValues).toEqual([1, f + 1]);
    });
    // pixel bits, unpacked by dcmjs (not by our decoder): frame f is slice k of the liver mask
    const unpacked = dcmjs.data.BitArray.unpack((ds.PixelData as ArrayBuffer[])[0]);
    const plane = 512 * 512;
    slicesWithLiver.forEach((k, f) => {
      const frame = unpacked.subarray(f * plane, (f + 1) * plane);
      const want = liver.data.subarray(k * plane, (k + 1) * plane);
      let diff = 0;
      for (let p = 0; p < plane; p++) if ((frame[p] !== 0) !== (want[p] === 1)) diff++;
      expect(diff).toBe(0);
    });
    const dims = seq(ds.DimensionIndexSequence);
    expect(dims.map((x) => x.DimensionIndexPointer)).toEqual([0x0062000b, 0x00200032]);
    expect(dims.map((x) => x.FunctionalGroupPointer)).toEqual([0x0062000a, 0x00209113]);

    // back onto the DICOM grid: identical voxels
    const back = decodeDicomSeg(r.bytes, series.volume, { frameOfReferenceUid: series.meta.frameOfReferenceUid });
    expect(back.aligned).toBe(true);
    expect(back.volume.affine).toEqual(series.volume.affine);
    expect(sameVoxels(back.volume.data, liver.data)).toBe(true);
    expect(labelCounts(back.volume.data).get(1)).toBe(366708);
    expect(back.segments).toHaveLength(1);
    expect(back.segments[0]).toMatchObject({ segmentNumber: 1, label: "Liver", labelValue: 1, voxels: 366708, frames: slicesWithLiver.length });
    expect(back.frameSourceSopInstanceUids).toEqual(slicesWithLiver.map((k) => series.meta.sopInstanceUids[k]));
    expect(back.warnings).toEqual([]);
  });

  it("accepts the mask on the canonical RAS grid and decodes onto it, voxel-identical", () => {
    const canonical = readNifti(writeNifti(toCanonicalCT(series.volume)));
    expect(orientationCode(canonical.affine)).toBe("RAS");
    const liverRAS = binarise(transferLabelToGrid(readNifti(fixtureBytes("patient-b/totalseg-v2.nii.gz")), canonical), 5);
    const fromRAS = encodeDicomSeg(liverRAS, source, { algorithmType: "MANUAL", uid: (() => { let i = 0; return () => `1.2.826.0.1.3680043.9.7433.77.${++i}`; })(), now: new Date(0) });
    const fromDicomGrid = encodeDicomSeg(liver, source, { algorithmType: "MANUAL", uid: (() => { let i = 0; return () => `1.2.826.0.1.3680043.9.7433.77.${++i}`; })(), now: new Date(0) });
    // same UIDs, same date: byte-identical files whichever grid the mask came on
    expect(Buffer.from(fromRAS.bytes).equals(Buffer.from(fromDicomGrid.bytes))).toBe(true);
    const onRAS = decodeDicomSeg(fromRAS.bytes, canonical);
    expect(onRAS.aligned).toBe(true);
    expect(sameVoxels(onRAS.volume.data, liverRAS.data)).toBe(true);
    expect(sameVoxels(onRAS.volume.data, reorient(liver, "RAS").data)).toBe(true);
  });

  it("round-trips liver + a synthetic tumour inside it as two coded segments", () => {
    const twoLabels = addTumour(liver, 15);
    const counts = labelCounts(twoLabels.data);
    expect(counts.get(2)).toBeGreaterThan(1000);
    expect(counts.get(1)! + counts.get(2)!).toBe(366708);
    const r = encodeDicomSeg(twoLabels, source, { algorithmType: "SEMIAUTOMATIC", algorithmName: "uAIR liver v1 + edits", seriesDescription: "Liver and tumour" });
    expect(r.segments.map((s) => [s.segmentNumber, s.labelValue, s.voxels])).toEqual([[1, 1, counts.get(1)], [2, 2, counts.get(2)]]);
    const { dataset: ds } = readPart10(r.bytes);
    const segs = seq(ds.SegmentSequence);
    expect(segs.map((s) => s.SegmentLabel)).toEqual(["Liver", "Liver tumour"]);
    const t = segs[1];
    expect(seq(t.SegmentedPropertyCategoryCodeSequence)[0]).toMatchObject({ CodeValue: "49755003", CodingSchemeDesignator: "SCT" });
    expect(seq(t.SegmentedPropertyTypeCodeSequence)[0]).toMatchObject({ CodeValue: "108369006", CodingSchemeDesignator: "SCT", CodeMeaning: "Neoplasm" });
    expect(seq(t.AnatomicRegionSequence)[0]).toMatchObject({ CodeValue: "10200004", CodingSchemeDesignator: "SCT", CodeMeaning: "Liver" });
    const perFrame = seq(ds.PerFrameFunctionalGroupsSequence);
    expect(perFrame).toHaveLength(r.numberOfFrames);
    expect(r.numberOfFrames).toBe(r.segments[0].frames + r.segments[1].frames);
    // only slices with content get frames: the tumour spans fewer slices than the liver
    expect(r.segments[0].frames).toBe(20);
    expect(r.segments[1].frames).toBeGreaterThan(5);
    expect(r.segments[1].frames).toBeLessThan(20);
    // frames of segment 1 first, then segment 2
    const segOfFrame = perFrame.map((fg) => seq(fg.SegmentIdentificationSequence)[0].ReferencedSegmentNumber);
    expect(segOfFrame).toEqual([...Array(r.segments[0].frames).fill(1), ...Array(r.segments[1].frames).fill(2)]);

    const back = decodeDicomSeg(r.bytes, series.volume);
    expect(sameVoxels(back.volume.data, twoLabels.data)).toBe(true);
    expect(back.segments.map((s) => [s.label, s.labelValue])).toEqual([["Liver", 1], ["Liver tumour", 2]]);

    // overlapping segments as other tools write them (liver includes the tumour): tumour wins
    const overlap = decodeDicomSeg(r.bytes, series.volume, { labelForSegment: { 1: 1, 2: 2 } });
    expect(sameVoxels(overlap.volume.data, twoLabels.data)).toBe(true);
    // and a segment can be dropped or renumbered
    const onlyTumour = decodeDicomSeg(r.bytes, series.volume, { labelForSegment: { 1: 0, 2: 7 } });
    expect([...labelCounts(onlyTumour.volume.data).entries()]).toEqual([[0, 512 * 512 * 20 - counts.get(2)!], [7, counts.get(2)]]);
  });

  it("writes every slice with includeEmptyFrames, and decodes onto a coarser grid by world position", () => {
    const r = encodeDicomSeg(liver, source, { algorithmType: "MANUAL", includeEmptyFrames: true });
    expect(r.numberOfFrames).toBe(20);
    expect(sameVoxels(decodeDicomSeg(r.bytes, series.volume).volume.data, liver.data)).toBe(true);
    // a 2x coarser in-plane grid over the same region (LPS): nearest neighbour by world coordinates
    const a = series.volume.affine;
    const coarse: Grid = { dims: [256, 256, 20], affine: [a[0] * 2, a[1], a[2], a[3] + a[0] / 2, a[4], a[5] * 2, a[6], a[7] + a[5] / 2, a[8], a[9], a[10], a[11], 0, 0, 0, 1] };
    const onCoarse = decodeDicomSeg(r.bytes, coarse);
    expect(onCoarse.aligned).toBe(false);
    expect(sameVoxels(onCoarse.volume.data, transferLabelToGrid(liver, coarse).data)).toBe(true);
  });

  it("fills patient attributes when given and rejects values without a segment definition", () => {
    const r = encodeDicomSeg(liver, { ...source, studyInstanceUid: "1.2.3.4", seriesInstanceUid: "1.2.3.5", patient: { name: "Müller^Anna", id: "P-1" } }, { algorithmType: "MANUAL" });
    expect(r.warnings).toEqual([]);
    const { dataset: ds } = readPart10(r.bytes);
    expect(ds.StudyInstanceUID).toBe("1.2.3.4");
    expect(seq(ds.ReferencedSeriesSequence)[0].SeriesInstanceUID).toBe("1.2.3.5");
    expect(ds.SpecificCharacterSet).toBe("ISO_IR 192");
    expect(seq(ds.PatientName)[0]).toEqual({ Alphabetic: "Müller^Anna" });
    expect(ds.PatientID).toBe("P-1");

    const withThree = { ...liver, data: liver.data.map((v, i) => (v && i % 1000 === 0 ? 3 : v)) };
    expectCode(() => encodeDicomSeg(withThree, source, { algorithmType: "MANUAL" }), "UNSUPPORTED_DATATYPE");
    expectCode(() => encodeDicomSeg({ ...liver, data: new Uint8Array(liver.data.length) }, source, { algorithmType: "MANUAL" }), "NO_PIXEL_DATA", "EMPTY_MASK");
    const shifted = { ...liver, affine: liver.affine.map((v, i) => (i === 11 ? v + 2 : v)) };
    expectCode(() => encodeDicomSeg(shifted, source, { algorithmType: "MANUAL" }), "GRID_MISMATCH");
    expect(() => encodeDicomSeg(liver, source, { algorithmType: "AUTOMATIC" })).toThrow(/algorithmName/);
  });
});

describe("geometry beyond axial 512 x 512", () => {
  it("round-trips an oblique grid with odd dims (frames not byte-aligned in the packed bits)", () => {
    const [nx, ny, nz] = [7, 5, 6];
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    // LPS-like grid rotated 30 degrees about z, 0.8 x 0.7 mm pixels, 2.5 mm slices
    const grid: Grid = { dims: [nx, ny, nz], affine: [-0.8 * c, 0.7 * s, 0, 12.25, -0.8 * s, -0.7 * c, 0, -40.5, 0, 0, 2.5, -101, 0, 0, 0, 1] };
    const data = new Uint8Array(nx * ny * nz);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 11 < 3 ? 1 : (i * 7919) % 11 === 5 ? 2 : 0;
    data.fill(0, 2 * nx * ny, 3 * nx * ny); // slice 2 empty
    const mask: Volume<Uint8Array> = { dims: [nx, ny, nz], spacing: [0.8, 0.7, 2.5], affine: grid.affine, data };
    const src: DicomSegSource = { grid, studyInstanceUid: "1.2.3", seriesInstanceUid: "1.2.3.4", frameOfReferenceUid: "1.2.3.5", sopInstanceUids: Array.from({ length: nz }, (_, k) => `1.2.3.4.${k + 1}`), patient: {} };
    const r = encodeDicomSeg(mask, src, { algorithmType: "MANUAL" });
    expect(r.warnings).toEqual([]);
    expect(r.numberOfFrames).toBe(2 * (nz - 1));
    const { dataset: ds } = readPart10(r.bytes);
    const iop = seq(seq(ds.SharedFunctionalGroupsSequence)[0].PlaneOrientationSequence)[0].ImageOrientationPatient as number[];
    expect(iop[0]).toBeCloseTo(c, 12);
    expect(iop[1]).toBeCloseTo(s, 12);
    const unpacked = dcmjs.data.BitArray.unpack((ds.PixelData as ArrayBuffer[])[0]);
    const plane = nx * ny;
    const frames: [number, number][] = [1, 2].flatMap((value) => [0, 1, 3, 4, 5].map((k): [number, number] => [value, k]));
    frames.forEach(([value, k], f) => {
      for (let p = 0; p < plane; p++) expect(unpacked[f * plane + p] !== 0).toBe(data[k * plane + p] === value);
    });
    const back = decodeDicomSeg(r.bytes, grid);
    expect(back.aligned).toBe(true);
    expect(sameVoxels(back.volume.data, data)).toBe(true);
    // the same SEG onto the grid reoriented to RAS
    const ras = reorient(mask, "RAS");
    expect(sameVoxels(decodeDicomSeg(r.bytes, ras).volume.data, ras.data)).toBe(true);
  });
});

describe("decodeDicomSeg refuses malformed input with clear codes", () => {
  let seg: Uint8Array;
  let ds: NaturalDataset;
  const rewrite = (edit: (d: NaturalDataset) => void) => {
    const copy = readPart10(seg).dataset;
    edit(copy);
    return writePart10(copy);
  };
  beforeAll(() => {
    // fixed UIDs and date: byte offsets (for the truncation cases) do not vary between runs
    let n = 0;
    seg = encodeDicomSeg(liver, source, { algorithmType: "MANUAL", now: new Date(0), uid: () => `1.2.826.0.1.3680043.9.7433.78.${++n}` }).bytes;
    ds = readPart10(seg).dataset;
  });

  it("not DICOM, and DICOM that is not a SEG", () => {
    expectCode(() => decodeDicomSeg(new Uint8Array(1000).fill(7), series.volume), "NOT_DICOM");
    // truncated inside the pixel data (dcmjs alone would pad it silently), and just before it
    expectCode(() => decodeDicomSeg(seg.subarray(0, seg.length - 1000), series.volume), "NOT_DICOM");
    expectCode(() => decodeDicomSeg(seg.subarray(0, 1000), series.volume), "NOT_DICOM");
    const pixelTag = Buffer.from(seg).indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42]));
    expect(pixelTag).toBeGreaterThan(1000);
    expectCode(() => decodeDicomSeg(seg.subarray(0, pixelTag), series.volume), "NO_PIXEL_DATA", "NO_PIXEL_DATA");
    const ct = patientBDicom()[0].bytes;
    expectCode(() => decodeDicomSeg(ct, series.volume), "UNSUPPORTED_DATATYPE", "NOT_SEG");
  });

  it("no segments, no pixel data, truncated pixel data, frames naming unknown segments", () => {
    expect(ds.NumberOfFrames).toBeGreaterThan(1);
    expectCode(() => decodeDicomSeg(rewrite((d) => void delete d.SegmentSequence), series.volume), "NO_PIXEL_DATA", "NO_SEGMENTS");
    expectCode(() => decodeDicomSeg(rewrite((d) => void delete d.PixelData), series.volume), "NO_PIXEL_DATA", "NO_PIXEL_DATA");
    expectCode(() => decodeDicomSeg(rewrite((d) => { d.PixelData = [(d.PixelData as ArrayBuffer[])[0].slice(0, 1000)]; }), series.volume), "DIMS_MISMATCH");
    expectCode(() => decodeDicomSeg(rewrite((d) => { (seq(seq(d.PerFrameFunctionalGroupsSequence)[0].SegmentIdentificationSequence)[0]).ReferencedSegmentNumber = 9; }), series.volume), "BAD_PIXEL_DATA", "UNKNOWN_SEGMENT");
    expectCode(() => decodeDicomSeg(rewrite((d) => { d.SegmentationType = "FRACTIONAL"; }), series.volume), "UNSUPPORTED_PIXEL_FORMAT");
    expectCode(() => decodeDicomSeg(rewrite((d) => void delete seq(d.PerFrameFunctionalGroupsSequence)[1].PlanePositionSequence), series.volume), "MISSING_GEOMETRY");
  });

  it("frames that do not fit the target grid", () => {
    // the series grid moved 30 mm up: the lower liver frames fall outside it
    const moved: Grid = { dims: series.volume.dims, affine: series.volume.affine.map((v, i) => (i === 11 ? v + 30 : v)) };
    const e = expectCode(() => decodeDicomSeg(seg, moved), "GRID_MISMATCH", "FRAMES_OUTSIDE_GRID");
    expect(e.details?.outsideVoxels).toBeGreaterThan(0);
    const kept = decodeDicomSeg(seg, moved, { allowOutside: true });
    expect(kept.warnings.join(" ")).toMatch(/outside the target/);
    // a frame shifted sideways in its plane
    const sideways = rewrite((d) => {
      const p = seq(seq(d.PerFrameFunctionalGroupsSequence)[2].PlanePositionSequence)[0];
      const ipp = p.ImagePositionPatient as number[];
      p.ImagePositionPatient = [ipp[0] + 5, ipp[1], ipp[2]];
    });
    expectCode(() => decodeDicomSeg(sideways, series.volume), "GRID_MISMATCH", "IRREGULAR_FRAMES");
    // another frame of reference
    expectCode(() => decodeDicomSeg(seg, series.volume, { frameOfReferenceUid: "1.2.3" }), "GRID_MISMATCH", "FRAME_OF_REFERENCE");
  });
});

describe("generateUid", () => {
  it("makes distinct valid 2.25 UIDs", () => {
    const uids = Array.from({ length: 100 }, generateUid);
    expect(new Set(uids).size).toBe(100);
    for (const u of uids) expect(isValidUid(u) && u.startsWith("2.25.") && u.length <= 44).toBe(true);
  });
});
