import { beforeAll, describe, expect, it } from "vitest";
import { applyAffine } from "./affine";
import { toCanonicalCT } from "./canonical";
import { dicomParser } from "./dicom-pixels";
import { listDicomSeries, loadDicomSeries, type DicomFile, type DicomSeriesResult, type LoadDicomOptions } from "./dicom-series";
import { binarise, transferLabelToGrid } from "./labels";
import { readNifti } from "./nifti-read";
import { writeNifti } from "./nifti-write";
import { orientationCode } from "./orientation";
import { huRange, meanInMask } from "./stats";
import { sameVoxels } from "./test-support/compare";
import { decodeFrame, fixtureBytes, patientBDicom } from "./test-support/fixtures";
import {
  TS_DEFLATED_LE, TS_EXPLICIT_BE, TS_EXPLICIT_LE, TS_IMPLICIT_LE, writeCtSlice, type CtSliceSpec,
} from "./test-support/dicom-writer";
import type { Volume } from "./types";
import { expectCode } from "./test-support/expect-code";

const load = (files: DicomFile[], opts: LoadDicomOptions = {}) => loadDicomSeries(files, { decodeFrame, ...opts });


/** Copy of a DICOM file with one string element overwritten by a value of the same length. */
function patchString(file: DicomFile, tag: string, value: string, name = file.name): DicomFile {
  const el = dicomParser.parseDicom(file.bytes).elements[tag];
  expect(el.length).toBe(value.length);
  const bytes = file.bytes.slice();
  bytes.set(new TextEncoder().encode(value), el.dataOffset);
  return { name, bytes };
}

interface SliceOverrides {
  ipp?: (k: number, ipp: number[]) => number[];
  spec?: (k: number) => Partial<CtSliceSpec>;
}

/**
 * Re-encode (some slices of) a loaded RAS volume as uncompressed CT files, as a scanner would:
 * LPS positions and orientation, unsigned storage with intercept -1024 (or signed, intercept 0).
 */
function encodeSeries(v: Volume<Int16Array>, opts: { slices?: number[]; transferSyntax?: string; signed?: boolean } & SliceOverrides = {}): DicomFile[] {
  const [nx, ny, nz] = v.dims;
  const plane = nx * ny;
  const a = v.affine;
  const unit = (c: number) => {
    const n = Math.hypot(a[c], a[4 + c], a[8 + c]);
    return [-a[c] / n, -a[4 + c] / n, a[8 + c] / n]; // RAS -> LPS
  };
  const iop = [...unit(0), ...unit(1)].map((x) => x + 0);
  const slices = opts.slices ?? Array.from({ length: nz }, (_, k) => k);
  return slices.map((k) => {
    const w = applyAffine(a, [0, 0, k]);
    let ipp = [-w[0] + 0, -w[1] + 0, w[2]];
    if (opts.ipp) ipp = opts.ipp(k, ipp);
    const hu = v.data.subarray(k * plane, (k + 1) * plane);
    const pixels = opts.signed ? Int16Array.from(hu) : Uint16Array.from(hu, (x) => x + 1024);
    const spec: CtSliceSpec = {
      rows: ny, columns: nx, pixels, ipp, iop,
      pixelSpacing: [v.spacing[1], v.spacing[0]],
      sliceThickness: 3,
      intercept: opts.signed ? 0 : -1024,
      seriesDescription: "CT Body 3.0",
      sopUid: `1.2.826.0.1.3680043.9.7433.9.${k}`,
      instanceNumber: 1000 - k, // deliberately unrelated to position
      ...opts.spec?.(k),
    };
    return { name: `img${String((k * 7919) % 1000).padStart(4, "0")}.dcm`, bytes: writeCtSlice(spec, opts.transferSyntax ?? TS_EXPLICIT_LE) };
  });
}

let files: DicomFile[];
let loaded: DicomSeriesResult;

beforeAll(() => {
  files = patientBDicom();
  loaded = load(files); // JPEG 2000 lossless: decoded once for the whole file
});

describe("patient B DICOM series (real, JPEG 2000 lossless, UIDs blanked)", () => {
  it("loads 512x512x20 with a 2.0 mm slice step from ImagePositionPatient, not SliceThickness 3", () => {
    const { volume, meta } = loaded;
    expect(volume.dims).toEqual([512, 512, 20]);
    expect(volume.data).toBeInstanceOf(Int16Array);
    expect(volume.spacing).toEqual([0.9765625, 0.9765625, 2]);
    expect(meta.sliceSpacing).toBe(2);
    expect(meta.sliceThickness).toBe(3);
    expect(meta.warnings.join(" ")).toMatch(/SliceThickness is 3 mm/);
  });

  it("builds the LPS -> RAS affine (x and y negated) and orders slices inferior to superior", () => {
    const { volume, meta } = loaded;
    expect(volume.affine).toEqual([
      -0.9765625, 0, 0, 249.51171875,
      0, -0.9765625, 0, 437.51171875,
      0, 0, 2, -804.5,
      0, 0, 0, 1,
    ]);
    expect(orientationCode(volume.affine)).toBe("LPS");
    // the file listing runs superior -> inferior; the volume must not follow it
    expect(meta.fileNames[0]).toBe(files[files.length - 1].name);
    expect(meta.sopInstanceUids[0]).toBe("1.3.12.2.1107.5.1.4.60064.30000022120808113428000016592");
    expect(meta.sopInstanceUids).toHaveLength(20);
    expect(new Set(meta.sopInstanceUids).size).toBe(20);
  });

  it("returns series metadata without patient fields", () => {
    const { meta } = loaded;
    expect(meta.modality).toBe("CT");
    expect(meta.seriesDescription).toBe("CT Body 3.0");
    expect(meta.frameOfReferenceUid).toBe("1.3.12.2.1107.5.1.4.60064.30000022120807274275100000041");
    expect(meta.transferSyntaxUid).toBe("1.2.840.10008.1.2.4.90");
    expect(meta.seriesInstanceUid).toBe(""); // blanked in this de-identified fixture
    expect(Object.keys(meta).some((k) => /patient/i.test(k))).toBe(false);
  });

  it("decodes plausible HU (air -1024, bone)", () => {
    const { min, max } = huRange(loaded.volume);
    expect(min).toBe(-1024);
    expect(max).toBeGreaterThan(1000);
    expect(max).toBeLessThan(3072);
  });

  it("overlays the LAS TotalSegmentator label by world coordinates: mean liver HU 89.3", () => {
    const label = readNifti(fixtureBytes("patient-b/totalseg-v2.nii.gz"));
    expect(orientationCode(label.affine)).toBe("LAS");
    const onGrid = transferLabelToGrid(label, loaded.volume);
    expect(onGrid.aligned).toBe(true);
    expect(onGrid.insideFraction).toBe(1);
    const liver = binarise(onGrid, 5);
    const { mean, count } = meanInMask(loaded.volume, liver);
    expect(count).toBe(366708);
    expect(Math.abs(mean - 89.3)).toBeLessThan(1);

    // the two classic mistakes land far outside that window (README: 76.5 and about -75)
    const plane = 512 * 512;
    const reversed = new Int16Array(loaded.volume.data.length);
    for (let k = 0; k < 20; k++) reversed.set(loaded.volume.data.subarray(k * plane, (k + 1) * plane), (19 - k) * plane);
    expect(meanInMask({ ...loaded.volume, data: reversed }, liver.data).mean).toBeCloseTo(76.5, 0);
    expect(meanInMask(loaded.volume, binarise(label, 5).data).mean).toBeLessThan(-70);
  });
});

describe("ingest pipeline: DICOM -> canonical RAS int16 NIfTI -> overlay", () => {
  it("keeps the liver overlay at 89.3 HU after canonicalisation and a NIfTI round trip", () => {
    const canonical = toCanonicalCT(loaded.volume);
    expect(orientationCode(canonical.affine)).toBe("RAS");
    const stored = readNifti(writeNifti(canonical));
    expect(stored.affine).toEqual(canonical.affine);
    const label = readNifti(fixtureBytes("patient-b/totalseg-v2.nii.gz"));
    const liver = binarise(transferLabelToGrid(label, stored), 5);
    const { mean, count } = meanInMask(stored, liver);
    expect(count).toBe(366708);
    expect(Math.abs(mean - 89.3)).toBeLessThan(1);
  });
});

describe("uncompressed transfer syntaxes give the same volume", () => {
  it("explicit VR little endian, any file order and misleading InstanceNumbers", () => {
    const re = encodeSeries(loaded.volume).reverse();
    re.push(re.shift()!);
    const r = load(re);
    expect(r.volume.dims).toEqual([512, 512, 20]);
    expect(r.volume.affine).toEqual(loaded.volume.affine);
    expect(sameVoxels(r.volume.data, loaded.volume.data)).toBe(true);
    expect(r.meta.sopInstanceUids[0]).toBe("1.2.826.0.1.3680043.9.7433.9.0");
    expect(r.meta.seriesInstanceUid).toBe("1.2.826.0.1.3680043.9.7433.4");
  });

  it("implicit VR, big endian, deflated, and signed pixels", () => {
    const slices = [4, 5];
    const expected = loaded.volume.data.subarray(4 * 512 * 512, 6 * 512 * 512);
    for (const [transferSyntax, signed] of [[TS_IMPLICIT_LE, false], [TS_EXPLICIT_BE, false], [TS_DEFLATED_LE, false], [TS_EXPLICIT_LE, true]] as const) {
      const r = load(encodeSeries(loaded.volume, { slices, transferSyntax, signed }));
      expect(r.volume.dims).toEqual([512, 512, 2]);
      expect(r.meta.transferSyntaxUid).toBe(transferSyntax);
      expect(sameVoxels(r.volume.data, expected)).toBe(true);
      expect(r.volume.affine[11]).toBe(-804.5 + 8);
      expect(r.volume.affine[10]).toBe(2);
    }
  });
});

describe("bad DICOM input, each with its code", () => {
  it("NOT_CT when the only series is another modality", () => {
    const mr = files.map((f) => patchString(f, "x00080060", "MR"));
    const e = expectCode(() => load(mr), "NOT_CT");
    expect(e.message).toMatch(/MR/);
  });

  it("MULTIPLE_SERIES naming each series; seriesKey then picks one", () => {
    const a = encodeSeries(loaded.volume, { slices: [0, 1, 2, 3, 4], spec: () => ({ seriesUid: "1.2.3.100", seriesDescription: "Abdomen venous" }) });
    const b = encodeSeries(loaded.volume, { slices: [5, 6, 7], spec: () => ({ seriesUid: "1.2.3.200", seriesDescription: "Abdomen arterial" }) });
    const e = expectCode(() => load([...a, ...b]), "MULTIPLE_SERIES");
    expect(e.message).toMatch(/Abdomen venous/);
    expect(e.message).toMatch(/Abdomen arterial/);
    expect((e.details?.series as unknown[]).length).toBe(2);
    expect(listDicomSeries([...a, ...b]).map((s) => s.files).sort()).toEqual([3, 5]);
    expect(load([...a, ...b], { seriesKey: "1.2.3.200" }).volume.dims[2]).toBe(3);
    expectCode(() => load([...a, ...b], { seriesKey: "9.9.9" }), "SERIES_NOT_FOUND");
  });

  it("ignores a CT localizer series rather than calling it a second series", () => {
    const ct = encodeSeries(loaded.volume, { slices: [0, 1, 2] });
    const [scout] = encodeSeries(loaded.volume, { slices: [9], spec: () => ({ seriesUid: "1.2.3.999", imageType: "ORIGINAL\\PRIMARY\\LOCALIZER" }) });
    const r = load([...ct, scout]);
    expect(r.volume.dims[2]).toBe(3);
    expect(r.meta.warnings.join(" ")).toMatch(/localizer/i);
  });

  it("NO_PIXEL_DATA for a header-only file in the series", () => {
    const el = dicomParser.parseDicom(files[3].bytes).elements.x7fe00010;
    const headerOnly = { name: "header-only.dcm", bytes: files[3].bytes.slice(0, el.dataOffset - 12) };
    const e = expectCode(() => load([...files.slice(0, 3), headerOnly, ...files.slice(4)]), "NO_PIXEL_DATA");
    expect(e.message).toMatch(/header-only\.dcm/);
  });

  it("DUPLICATE_SLICES when a slice is uploaded twice", () => {
    const e = expectCode(() => load([...files, { name: "copy.dcm", bytes: files[7].bytes }]), "DUPLICATE_SLICES");
    expect(e.message).toMatch(/copy\.dcm/);
  });

  it("MISSING_SLICES when a middle file is dropped", () => {
    const e = expectCode(() => load(files.filter((_, i) => i !== 10)), "MISSING_SLICES");
    expect(e.details?.gapMm).toBeCloseTo(4, 6);
    expect(e.message).toMatch(/about 1 slice is missing/);
  });

  it("NONUNIFORM_SPACING for steps that vary by more than 1% without a gap", () => {
    const stretched = encodeSeries(loaded.volume, { slices: [0, 1, 2, 3, 4, 5], ipp: (k, p) => [p[0], p[1], p[2] + (k >= 3 ? 0.1 : 0)] });
    expectCode(() => load(stretched), "NONUNIFORM_SPACING");
  });

  it("GANTRY_TILT when positions shift within the image plane from slice to slice", () => {
    const tan = Math.tan((12 * Math.PI) / 180);
    const tilted = encodeSeries(loaded.volume, { slices: [0, 1, 2, 3, 4], ipp: (k, p) => [p[0], p[1] + 2 * k * tan, p[2]] });
    const e = expectCode(() => load(tilted), "GANTRY_TILT");
    expect(e.details?.tiltDegrees).toBeCloseTo(12, 1);
  });

  it("MIXED_ORIENTATION when one file is in another plane", () => {
    const mixed = files.map((f, i) => (i === 5 ? patchString(f, "x00200037", "1\\0\\0\\0\\0\\1 ") : f));
    expectCode(() => load(mixed), "MIXED_ORIENTATION");
  });

  it("MIXED_GEOMETRY when pixel spacing differs within the series", () => {
    const s = encodeSeries(loaded.volume, { slices: [0, 1, 2], spec: (k) => (k === 1 ? { pixelSpacing: [0.8, 0.8] } : {}) });
    expectCode(() => load(s), "MIXED_GEOMETRY");
  });

  it("UNSUPPORTED_TRANSFER_SYNTAX for JPEG 2000 when no decoder is injected", () => {
    const e = expectCode(() => loadDicomSeries(files), "UNSUPPORTED_TRANSFER_SYNTAX");
    expect(e.message).toMatch(/JPEG 2000 lossless/);
  });

  it("UNSUPPORTED_TRANSFER_SYNTAX for a compression we do not decode (JPEG-LS)", () => {
    const jls = files.map((f) => patchString(f, "x00020010", "1.2.840.10008.1.2.4.80"));
    const e = expectCode(() => load(jls), "UNSUPPORTED_TRANSFER_SYNTAX");
    expect(e.message).toMatch(/JPEG-LS/);
  });

  it("NOT_DICOM when nothing uploaded is DICOM; TOO_FEW_SLICES for one slice", () => {
    expectCode(() => load([{ name: "notes.txt", bytes: new TextEncoder().encode("hello ".repeat(100)) }]), "NOT_DICOM");
    expectCode(() => load([files[0]]), "TOO_FEW_SLICES");
  });

  it("skips stray non-DICOM files next to a valid series", () => {
    const r = load([...encodeSeries(loaded.volume, { slices: [0, 1] }), { name: "README.txt", bytes: new TextEncoder().encode("x".repeat(300)) }]);
    expect(r.volume.dims[2]).toBe(2);
    expect(r.meta.skippedFiles.map((s) => s.name)).toEqual(["README.txt"]);
  });
});
