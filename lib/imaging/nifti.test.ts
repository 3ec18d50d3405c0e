import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { gunzip } from "./gzip";
import { binarise } from "./labels";
import { readNifti, toInt16HU } from "./nifti-read";
import { encodeNifti, writeNifti } from "./nifti-write";
import { orientationCode } from "./orientation";
import { meanInMask } from "./stats";
import { sameVoxels } from "./test-support/compare";
import { fixtureBytes } from "./test-support/fixtures";
import { nifti1ToBigEndian, nifti1ToNifti2, patchNifti1 } from "./test-support/nifti-bytes";
import type { Volume } from "./types";
import { expectCode } from "./test-support/expect-code";


const patientA = () => readNifti(fixtureBytes("patient-a/ct.nii.gz"));
const patientALabel = () => readNifti(fixtureBytes("patient-a/totalseg-v1.nii.gz"));

describe("readNifti on the real fixtures", () => {
  it("reads patient A: 122x101x112 int32 HU, RAS, 3 mm, liver mean 44.3 HU", () => {
    const ct = patientA();
    expect(ct.dims).toEqual([122, 101, 112]);
    expect(ct.data).toBeInstanceOf(Int32Array);
    expect(ct.nifti.datatype).toBe("int32");
    expect(ct.nifti.affineSource).toBe("sform");
    expect(ct.spacing).toEqual([3, 3, 3]);
    expect(orientationCode(ct.affine)).toBe("RAS");

    const label = patientALabel();
    expect(label.nifti.datatype).toBe("float64");
    const liver = binarise(label, 5);
    const { mean, count } = meanInMask(toInt16HU(ct), liver);
    expect(count).toBe(41602);
    expect(mean).toBeGreaterThan(44.3 - 1);
    expect(mean).toBeLessThan(44.3 + 1);
  });

  it("reads the patient A crop (int16, extension header) and its v2 label: liver mean 45.3 HU", () => {
    const ct = readNifti(fixtureBytes("patient-a/ct-crop.nii.gz"));
    const label = readNifti(fixtureBytes("patient-a/ct-crop-totalseg-v2.nii.gz"));
    expect(ct.dims).toEqual([122, 101, 30]);
    expect(ct.data).toBeInstanceOf(Int16Array);
    const { mean, count } = meanInMask(ct, binarise(label, 5));
    expect(count).toBe(38634);
    expect(mean).toBeCloseTo(45.3, 0);
  });

  it("refuses to combine the crop's label with the full CT (different grids)", () => {
    const ct = patientA();
    const cropLabel = readNifti(fixtureBytes("patient-a/ct-crop-totalseg-v2.nii.gz"));
    expectCode(() => meanInMask(ct, cropLabel), "DIMS_MISMATCH");
  });

  it("reads no-liver as PLI from its sform", () => {
    const v = readNifti(fixtureBytes("no-liver/ct.nii.gz"));
    expect(v.dims).toEqual([512, 512, 13]);
    expect(orientationCode(v.affine)).toBe("PLI");
    expect(v.spacing).toEqual([0.9375, 0.9375, 5]);
  });
});

describe("NIfTI write -> read round trip", () => {
  it("is voxel- and affine-identical for int16 CT", () => {
    const ct = toInt16HU(patientA());
    const back = readNifti(writeNifti(ct));
    expect(back.data).toBeInstanceOf(Int16Array);
    expect(back.dims).toEqual(ct.dims);
    expect(back.affine).toEqual(ct.affine);
    expect(sameVoxels(back.data, ct.data)).toBe(true);
  });

  it("is voxel- and affine-identical for a uint8 label map in LAS and PLI orientation", () => {
    for (const rel of ["patient-b/totalseg-v2.nii.gz", "no-liver/lesion-mask.nii.gz"]) {
      const label = readNifti(fixtureBytes(rel));
      const mask = binarise(label, rel.includes("patient-b") ? 5 : 1);
      const back = readNifti(writeNifti(mask, { isLabel: true }));
      expect(back.data).toBeInstanceOf(Uint8Array);
      expect(back.affine).toEqual(mask.affine);
      expect(sameVoxels(back.data, mask.data)).toBe(true);
    }
  });

  it("writes a qform that matches the sform (qform-only readers place voxels the same)", () => {
    for (const rel of ["patient-b/totalseg-v2.nii.gz", "no-liver/ct.nii.gz", "patient-a/ct-crop.nii.gz"]) {
      const v = readNifti(fixtureBytes(rel));
      const raw = encodeNifti(v);
      expect(new DataView(raw.buffer).getInt16(252, true)).toBe(1);
      expect(new DataView(raw.buffer).getInt16(254, true)).toBe(1);
      const qOnly = readNifti(patchNifti1(raw, (h) => h.setInt16(254, 0, true)));
      expect(qOnly.nifti.affineSource).toBe("qform");
      qOnly.affine.forEach((a, i) => expect(a).toBeCloseTo(v.affine[i], 4));
    }
  });

  it("writes identical bytes for identical volumes (content-addressable)", () => {
    const v = readNifti(fixtureBytes("patient-a/ct-crop.nii.gz"));
    expect(Buffer.from(writeNifti(v)).equals(Buffer.from(writeNifti(v)))).toBe(true);
  });

  it("reads NIfTI-2, big-endian NIfTI-1 and uncompressed .nii the same as the gzip original", () => {
    const v = readNifti(fixtureBytes("no-liver/ct.nii.gz"));
    const raw = encodeNifti(v);
    for (const variant of [raw, nifti1ToNifti2(raw), nifti1ToBigEndian(raw), gzipSync(nifti1ToNifti2(raw))]) {
      const r = readNifti(variant);
      expect(r.dims).toEqual(v.dims);
      expect(r.affine).toEqual(v.affine);
      expect(sameVoxels(r.data, v.data)).toBe(true);
    }
    expect(readNifti(nifti1ToNifti2(raw)).nifti.version).toBe(2);
  });
});

describe("NIfTI header semantics", () => {
  const small: Volume<Int16Array> = {
    dims: [4, 3, 2],
    spacing: [1, 1, 1],
    affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    data: Int16Array.from({ length: 24 }, (_, i) => i * 10),
  };

  it("applies integral scl_slope/scl_inter keeping an integer type", () => {
    const raw = patchNifti1(encodeNifti(small), (h) => h.setFloat32(116, -1024, true));
    const v = readNifti(raw);
    expect(v.data).toBeInstanceOf(Int16Array);
    expect(v.data[3]).toBe(30 - 1024);
  });

  it("applies a fractional scl_slope as float32", () => {
    const raw = patchNifti1(encodeNifti(small), (h) => h.setFloat32(112, 0.5, true));
    const v = readNifti(raw);
    expect(v.data).toBeInstanceOf(Float32Array);
    expect(v.data[3]).toBe(15);
    expect(toInt16HU(v).data[3]).toBe(15);
  });

  it("treats scl_slope 0 as unscaled", () => {
    const raw = patchNifti1(encodeNifti(small), (h) => h.setFloat32(112, 0, true));
    expect(sameVoxels(readNifti(raw).data, small.data)).toBe(true);
  });

  it("builds the qform affine with qfac = -1 (LAS) correctly", () => {
    // 180 degrees about y (b=0, c=1, d=0) with qfac -1: i -> -x, j -> +y, k -> +z
    const raw = patchNifti1(encodeNifti(small), (h) => {
      h.setInt16(254, 0, true);
      h.setFloat32(256, 0, true);
      h.setFloat32(260, 1, true);
      h.setFloat32(264, 0, true);
      h.setFloat32(76, -1, true);
      h.setFloat32(80, 0.5, true);
      h.setFloat32(84, 0.75, true);
      h.setFloat32(88, 2, true);
      h.setFloat32(268, 10, true);
    });
    const v = readNifti(raw);
    expect(v.nifti.affineSource).toBe("qform");
    expect(orientationCode(v.affine)).toBe("LAS");
    expect(v.affine.map((x) => x + 0)).toEqual([-0.5, 0, 0, 10, 0, 0.75, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
  });

  it("falls back to pixdim when neither sform nor qform is set", () => {
    const raw = patchNifti1(encodeNifti(small), (h) => {
      h.setInt16(252, 0, true);
      h.setInt16(254, 0, true);
      h.setFloat32(84, 2.5, true);
    });
    const v = readNifti(raw);
    expect(v.nifti.affineSource).toBe("pixdim");
    expect(v.affine).toEqual([1, 0, 0, 0, 0, 2.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });
});

describe("bad NIfTI input", () => {
  const gz = () => fixtureBytes("patient-a/ct-crop.nii.gz");
  const raw = () => gunzip(gz());

  it("TRUNCATED_GZIP for a cut-off download", () => {
    const bytes = gz();
    expectCode(() => readNifti(bytes.subarray(0, bytes.length >> 1)), "TRUNCATED_GZIP");
    expectCode(() => readNifti(bytes.subarray(0, 12)), "TRUNCATED_GZIP");
  });

  it("CORRUPT_GZIP for damaged compressed data", () => {
    const bytes = gz();
    for (let i = 200; i < 400; i++) bytes[i] ^= 0x5a;
    expectCode(() => readNifti(bytes), "CORRUPT_GZIP");
  });

  it("BAD_MAGIC for wrong magic, a .hdr/.img pair header and non-NIfTI bytes", () => {
    expectCode(() => readNifti(patchNifti1(raw(), (_, b) => b.set([0x78, 0x79, 0x7a], 344))), "BAD_MAGIC");
    expectCode(() => readNifti(patchNifti1(raw(), (_, b) => b.set([0x6e, 0x69, 0x31], 344))), "BAD_MAGIC");
    expectCode(() => readNifti(new TextEncoder().encode("<html>not found</html>")), "BAD_MAGIC");
    expectCode(() => readNifti(gzipSync(new Uint8Array(1000).fill(7))), "BAD_MAGIC");
  });

  it("DIMS_MISMATCH when header dims disagree with the data length", () => {
    expectCode(() => readNifti(patchNifti1(raw(), (h) => h.setInt16(46, 31, true))), "DIMS_MISMATCH");
    expectCode(() => readNifti(patchNifti1(raw(), (h) => h.setInt16(46, 29, true))), "DIMS_MISMATCH");
    const r = raw();
    expectCode(() => readNifti(r.subarray(0, r.length - 100)), "DIMS_MISMATCH");
  });

  it("BAD_DIMS for zero, negative, absurd and 4-D dims", () => {
    for (const [offset, value] of [[42, 0], [44, -5], [46, 30000], [40, 0], [40, 9]] as const) {
      expectCode(() => readNifti(patchNifti1(raw(), (h) => h.setInt16(offset, value, true))), "BAD_DIMS");
    }
    expectCode(() => readNifti(patchNifti1(raw(), (h) => { h.setInt16(40, 4, true); h.setInt16(48, 3, true); })), "BAD_DIMS");
  });

  it("BAD_SPACING for NaN, zero, negative and infinite voxel sizes", () => {
    for (const [offset, value] of [[80, NaN], [84, 0], [88, -3], [80, Infinity]] as const) {
      expectCode(() => readNifti(patchNifti1(raw(), (h) => h.setFloat32(offset, value, true))), "BAD_SPACING");
    }
  });

  it("BAD_AFFINE when sform and qform are both unusable", () => {
    const bytes = patchNifti1(raw(), (h) => {
      for (let i = 0; i < 12; i++) h.setFloat32(280 + i * 4, NaN, true);
      h.setInt16(252, 0, true);
    });
    expectCode(() => readNifti(bytes), "BAD_AFFINE");
  });

  it("UNSUPPORTED_DATATYPE for RGB voxels", () => {
    expectCode(() => readNifti(patchNifti1(raw(), (h) => { h.setInt16(70, 128, true); h.setInt16(72, 24, true); })), "UNSUPPORTED_DATATYPE");
  });
});
