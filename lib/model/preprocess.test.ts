// The TypeScript preprocessing against the Python reference inputs each exported model ships
// (reference/preprocess_*.npy): RAS NIfTI, PLI NIfTI with 5 mm slices, a JPEG 2000 DICOM series.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadDicomSeries, readNifti, toCanonicalCT } from "../imaging";
import { decodeFrame, fixtureBytes, patientBDicom } from "../imaging/test-support/fixtures";
import type { Volume } from "../imaging/types";
import { bodyCentre, clickMaps, labelsToVolume, modelInput, prepareLabels, prepareVolume, voxelToModel } from "./preprocess";
import { manifestOf, modelDirs, npy } from "./test-support/models";

function canonicalFixture(source: string): Volume {
  const rel = path.relative("data/ct", source);
  if (rel.endsWith("dicom")) return toCanonicalCT(loadDicomSeries(patientBDicom(), { decodeFrame }).volume);
  return toCanonicalCT(readNifti(fixtureBytes(rel)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const dirs = modelDirs();

describe.each(dirs.map((d) => [path.basename(d), d]))("preprocessing of %s matches Python", (_name, dir) => {
  const m = manifestOf(dir);
  const refs = m.reference?.preprocessing ?? [];
  const atol = m.reference?.preprocessing_atol ?? 1e-5;

  it("ships preprocessing references for RAS, PLI and DICOM fixtures", () => {
    expect(refs.map((r) => path.basename(r.path)).sort()).toEqual(["preprocess_no-liver.npy", "preprocess_patient-a.npy", "preprocess_patient-b.npy"]);
  });

  it.each(refs.map((r) => [path.basename(r.path), r]))("%s within the manifest tolerance", (_f, ref) => {
    const vol = canonicalFixture(ref.source);
    const prep = prepareVolume(vol, m.preprocessing);
    const centre = (ref as { centre_yx?: number[] }).centre_yx;
    if (centre) {
      expect(prep.centre[0]).toBeCloseTo(centre[0], 9);
      expect(prep.centre[1]).toBeCloseTo(centre[1], 9);
    }
    const x = modelInput(prep, ref.slice, m.preprocessing);
    const want = npy(dir, ref.path);
    const imageChannels = m.preprocessing.slab_offsets_mm.length;
    expect(want.shape).toEqual([imageChannels, m.preprocessing.size, m.preprocessing.size]);
    const got = x.subarray(0, want.data.length);
    expect(maxAbsDiff(got, want.data)).toBeLessThanOrEqual(atol);
    // the fixture slice is not blank: the comparison says something
    expect(new Set(Array.from(got, (v) => Math.round(v * 10))).size).toBeGreaterThan(5);
  });
});

describe("preprocessing geometry", () => {
  const spec = { version: "uair-preprocess/1" as const, size: 8, spacing_mm: 2, window: [-100, 100] as [number, number], slab_offsets_mm: [-3, 0, 3], body_threshold_hu: -500, fill_hu: -1024, clicks: true, click_radius_px: 1.5, channels: ["a", "b", "c", "p", "n"] };
  const dims: [number, number, number] = [8, 8, 4];
  const data = new Int16Array(8 * 8 * 4).fill(-1000);
  // a bright block in every slice: x 2..5, y 3..6
  for (let k = 0; k < 4; k++) for (let y = 3; y <= 6; y++) for (let x = 2; x <= 5; x++) data[(k * 8 + y) * 8 + x] = 50 + 10 * k;
  const vol: Volume = { dims, spacing: [2, 2, 3], affine: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1], data };

  it("centres on the body and maps voxels to model pixels and back", () => {
    expect(bodyCentre(vol, -500)).toEqual([4.5, 3.5]);
    const prep = prepareVolume(vol, spec);
    const { r, c } = voxelToModel(prep, spec, 4.5, 3.5);
    expect([r, c]).toEqual([3.5, 3.5]);
    // at 2 mm on a 2 mm grid the model grid is the volume shifted by the centre offset
    const labels = new Uint8Array(8 * 8 * 4);
    for (let i = 0; i < labels.length; i++) labels[i] = data[i] > 0 ? 1 : 0;
    const onModel = prepareLabels({ ...vol, data: labels }, prep, spec);
    const back = labelsToVolume(onModel, prep, spec);
    expect(Array.from(back)).toEqual(Array.from(labels));
  });

  it("interpolates neighbouring slices by physical distance and windows to [-1, 1]", () => {
    const prep = prepareVolume(vol, spec);
    const x = modelInput(prep, 1, spec, [{ r: 0, c: 0, positive: false }]);
    const plane = 64;
    const centrePx = 3 * 8 + 3;
    // offsets -3/0/+3 mm at 3 mm slices: slices 0, 1, 2 -> HU 50, 60, 70 -> 0.5, 0.6, 0.7
    expect([x[centrePx], x[plane + centrePx], x[2 * plane + centrePx]].map((v) => +v.toFixed(5))).toEqual([0.5, 0.6, 0.7]);
    expect(x[0]).toBe(-1);
    expect(x[3 * plane]).toBe(0); // no positive click at (0, 0)
    expect(x[4 * plane]).toBe(1); // the negative click
  });

  it("draws click disks of the manifest radius", () => {
    const m = clickMaps([{ r: 4, c: 4, positive: true }], 9, 1.5);
    expect(m.subarray(0, 81).reduce((a, b) => a + b, 0)).toBe(9); // the 3x3 block within 1.5 px
    expect(m.subarray(81).every((v) => v === 0)).toBe(true);
  });

  it("refuses a slice outside the volume and clicks for a model without click channels", () => {
    const prep = prepareVolume(vol, spec);
    expect(() => modelInput(prep, 4, spec)).toThrow(/outside 0..3/);
    expect(() => modelInput(prep, 0, { ...spec, clicks: false }, [{ r: 1, c: 1, positive: true }])).toThrow(/no click channels/);
  });
});
