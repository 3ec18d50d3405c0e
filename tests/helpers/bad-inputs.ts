// Broken uploads, each built from real fixture bytes or a small synthetic series, with the
// message fragment the uploader must see. Shared by the upload integration test and the e2e.
import fs from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync, zipSync } from "fflate";
import { patchNifti1 } from "../../lib/imaging/test-support/nifti-bytes";
import { writeCtSlice, writeDicom, ctSliceElements, type CtSliceSpec } from "../../lib/imaging/test-support/dicom-writer";

export const fixture = (rel: string) => new Uint8Array(fs.readFileSync(path.resolve("data/ct", rel)));

const crop = () => gunzipSync(fixture("patient-a/ct-crop.nii.gz"));
const niftiWith = (edit: (h: DataView, b: Uint8Array) => void) => gzipSync(patchNifti1(crop(), edit));

/** a tiny synthetic CT series (4 slices of 8x8) with per-slice overrides */
export function syntheticSeries(prefix: string, spec: Partial<CtSliceSpec> = {}, n = 4): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (let k = 0; k < n; k++) {
    const s: CtSliceSpec = {
      rows: 8,
      columns: 8,
      pixels: new Int16Array(64).fill(40 + k),
      ipp: [0, 0, 2 * k],
      pixelSpacing: [0.8, 0.8],
      seriesUid: `1.2.826.0.1.3680043.9.7433.${prefix.length}.1`,
      sopUid: `1.2.826.0.1.3680043.9.7433.${prefix.length}.1.${k + 1}`,
      ...spec,
    };
    out[`${prefix}${k + 1}.dcm`] = writeCtSlice(s);
  }
  return out;
}

export interface BadInput {
  what: string;
  files: Record<string, Uint8Array>;
  reason: RegExp;
}

export function badInputs(): BadInput[] {
  const a = fixture("patient-a/ct-crop.nii.gz");
  const noPixels = syntheticSeries("np");
  noPixels["np2.dcm"] = writeDicom(ctSliceElements({ rows: 8, columns: 8, pixels: new Int16Array(64), ipp: [0, 0, 2], seriesUid: "1.2.826.0.1.3680043.9.7433.2.1", sopUid: "1.2.826.0.1.3680043.9.7433.2.1.2", omitPixelData: true }));
  return [
    { what: "truncated gzip", files: { "ct.nii.gz": a.subarray(0, a.length >> 1) }, reason: /cut off/ },
    { what: "wrong magic", files: { "ct.nii.gz": niftiWith((_, b) => b.set([0x78, 0x79, 0x7a], 344)) }, reason: /not a NIfTI file/ },
    { what: "dims disagree with data length", files: { "ct.nii.gz": niftiWith((h) => h.setInt16(46, 31, true)) }, reason: /header describes 122 x 101 x 31 .* but the file holds/ },
    { what: "zero dims", files: { "ct.nii.gz": niftiWith((h) => h.setInt16(42, 0, true)) }, reason: /Image size 0 x 101 x 30 is not valid/ },
    { what: "negative dims", files: { "ct.nii.gz": niftiWith((h) => h.setInt16(44, -5, true)) }, reason: /Image size 122 x -5 x 30 is not valid/ },
    { what: "absurd dims", files: { "ct.nii.gz": niftiWith((h) => h.setInt16(46, 30000, true)) }, reason: /axis k must have 1 to 4096 voxels/ },
    { what: "NaN spacing", files: { "ct.nii.gz": niftiWith((h) => h.setFloat32(80, NaN, true)) }, reason: /voxel size along i is NaN mm/ },
    { what: "non-CT modality", files: syntheticSeries("mr", { modality: "MR" }), reason: /No CT series in this upload \(found: "synthetic" \(MR, 4 files\)\)/ },
    { what: "two series in one zip", files: { "two.zip": zipSync({ ...syntheticSeries("a"), ...syntheticSeries("bb", { seriesDescription: "other", ipp: [0, 0, 50] }) }) }, reason: /contains 2 CT series/ },
    { what: "zip entry with ../", files: { "evil.zip": zipSync({ "IM1.dcm": fixture("patient-b/dicom/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573"), "../../../etc/evil": new Uint8Array(10) }) }, reason: /outside its folder/ },
    { what: "zip bomb", files: { "bomb.zip": zipSync({ "zeros.dcm": new Uint8Array(30 * 2 ** 20) }, { level: 9 }) }, reason: /refused as a zip bomb/ },
    { what: "DICOM file with no pixel data", files: noPixels, reason: /np2\.dcm has no pixel data/ },
  ];
}
