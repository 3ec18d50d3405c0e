// Read NIfTI-1 / NIfTI-2 single-file images (.nii or .nii.gz) into a Volume.
// nifti-reader-js parses the header fields; we take the affine from the raw srow / quaternion
// fields ourselves because the library prefers qform whenever qform_code > sform_code and does
// not clamp the quaternion, and the rule here is "sform if sform_code > 0, else qform, else pixdim".
import * as nifti from "nifti-reader-js";
import { columnNorms, invertAffine } from "./affine";
import { gunzip, isGzip } from "./gzip";
import { ImagingError, type Vec3, type Volume, type VoxelArray } from "./types";

export const MAX_DIMS: Vec3 = [2048, 2048, 4096];

export type AffineSource = "sform" | "qform" | "pixdim";

export interface NiftiInfo {
  version: 1 | 2;
  /** NIfTI datatype name of the stored voxels, e.g. "int16" */
  datatype: string;
  sformCode: number;
  qformCode: number;
  affineSource: AffineSource;
  sclSlope: number;
  sclInter: number;
  description: string;
}

export interface NiftiVolume extends Volume {
  nifti: NiftiInfo;
}

type TypedCtor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): VoxelArray; BYTES_PER_ELEMENT: number };

// NIfTI datatype code -> name and array type. 64-bit integers are read as float64 (exact to 2^53).
const DATATYPES: Record<number, { name: string; bytes: number; ctor: TypedCtor | "int64" | "uint64" }> = {
  2: { name: "uint8", bytes: 1, ctor: Uint8Array },
  4: { name: "int16", bytes: 2, ctor: Int16Array },
  8: { name: "int32", bytes: 4, ctor: Int32Array },
  16: { name: "float32", bytes: 4, ctor: Float32Array },
  64: { name: "float64", bytes: 8, ctor: Float64Array },
  256: { name: "int8", bytes: 1, ctor: Int8Array },
  512: { name: "uint16", bytes: 2, ctor: Uint16Array },
  768: { name: "uint32", bytes: 4, ctor: Uint32Array },
  1024: { name: "int64", bytes: 8, ctor: "int64" },
  1280: { name: "uint64", bytes: 8, ctor: "uint64" },
};

function magicOf(bytes: Uint8Array): { version: 1 | 2; pair: boolean } | null {
  const s = (o: number, n: number) => String.fromCharCode(...bytes.subarray(o, o + n));
  if (bytes.length >= 348) {
    const m1 = s(344, 4);
    if (m1 === "n+1\0") return { version: 1, pair: false };
    if (m1 === "ni1\0") return { version: 1, pair: true };
  }
  if (bytes.length >= 540) {
    const m2 = s(4, 4);
    if (m2 === "n+2\0") return { version: 2, pair: false };
    if (m2 === "ni2\0") return { version: 2, pair: true };
  }
  return null;
}

/** nifti1.h quaternion -> 4x4, with qfac taken from the sign of pixdim[0] (0 counts as +1). */
export function qformToAffine(
  b: number, c: number, d: number,
  qoffset: Vec3, pixdim: readonly number[],
): number[] {
  let a: number;
  const bcd = b * b + c * c + d * d;
  if (1 - bcd < 1e-7) {
    // 180 degree rotation: a = 0 and (b, c, d) renormalised, as niftilib does
    const s = 1 / Math.sqrt(bcd);
    b *= s; c *= s; d *= s;
    a = 0;
  } else {
    a = Math.sqrt(1 - bcd);
  }
  const dx = pixdim[1] > 0 ? pixdim[1] : 1;
  const dy = pixdim[2] > 0 ? pixdim[2] : 1;
  const qfac = pixdim[0] < 0 ? -1 : 1;
  const dz = (pixdim[3] > 0 ? pixdim[3] : 1) * qfac;
  return [
    (a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * dz, qoffset[0],
    2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * dz, qoffset[1],
    2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * dz, qoffset[2],
    0, 0, 0, 1,
  ];
}

function usableAffine(m: number[]): boolean {
  if (!m.every(Number.isFinite)) return false;
  try {
    invertAffine(m);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parse a .nii or .nii.gz. Throws ImagingError with TRUNCATED_GZIP, CORRUPT_GZIP, BAD_MAGIC,
 * UNSUPPORTED_DATATYPE, BAD_DIMS, BAD_SPACING, BAD_AFFINE or DIMS_MISMATCH.
 * The voxel type is kept as stored unless scl_slope/scl_inter changes values (then Int16 / Int32
 * when the scaled values stay integral and fit, Float32 otherwise).
 */
export function readNifti(input: Uint8Array): NiftiVolume {
  const bytes = isGzip(input) ? gunzip(input, "NIfTI file") : input;
  const magic = magicOf(bytes);
  if (!magic) {
    throw new ImagingError(
      "BAD_MAGIC",
      bytes.length < 348
        ? `This file is ${bytes.length} bytes, too short to be a NIfTI image. Upload a .nii or .nii.gz file.`
        : "This is not a NIfTI file (no 'n+1' or 'n+2' signature). Upload a .nii or .nii.gz volume, or the DICOM series itself.",
    );
  }
  if (magic.pair) {
    throw new ImagingError("BAD_MAGIC", "This is the header of a .hdr/.img pair; only single-file NIfTI is accepted. Convert it to .nii.gz (e.g. with nibabel or dcm2niix) and upload that.");
  }
  const headerSize = magic.version === 1 ? 348 : 540;
  const headerBuf = bytes.slice(0, headerSize).buffer;
  let hdr: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    hdr = nifti.readHeader(headerBuf);
  } catch (e) {
    throw new ImagingError("BAD_MAGIC", `The NIfTI header cannot be read (${(e as Error).message}). The file is damaged; re-export it.`);
  }
  const le = hdr.littleEndian;
  const view = new DataView(headerBuf);

  const dt = DATATYPES[hdr.datatypeCode];
  if (!dt) {
    throw new ImagingError("UNSUPPORTED_DATATYPE", `NIfTI datatype ${hdr.datatypeCode} (${hdr.getDatatypeCodeString(hdr.datatypeCode)}) is not a scalar voxel type; CT volumes and label maps must be integer or float scalars.`);
  }

  // --- dimensions: 3-D (2-D accepted as one slice); any extra dimension must be 1
  const ndim = hdr.dims[0];
  if (!(ndim >= 1 && ndim <= 7)) {
    throw new ImagingError("BAD_DIMS", `The NIfTI header says the image has ${ndim} dimensions; it must be 1 to 7. The header is damaged.`);
  }
  const size = (n: number) => (n <= ndim ? hdr.dims[n] : 1);
  const dims: Vec3 = [size(1), size(2), size(3)];
  for (let a = 0; a < 3; a++) {
    const n = dims[a];
    if (!Number.isInteger(n) || n < 1 || n > MAX_DIMS[a]) {
      throw new ImagingError("BAD_DIMS", `Image size ${dims.join(" x ")} is not valid: axis ${"ijk"[a]} must have 1 to ${MAX_DIMS[a]} voxels. The header is damaged or this is not a CT volume.`, { dims });
    }
  }
  for (let n = 4; n <= ndim; n++) {
    if (hdr.dims[n] !== 1 && hdr.dims[n] !== 0) {
      throw new ImagingError("BAD_DIMS", `This NIfTI has ${hdr.dims[n]} volumes along dimension ${n}; only single 3-D volumes are accepted. Split the series and upload one volume.`);
    }
  }

  // --- spacing from pixdim, validated before the affine so a NaN voxel size is named as such
  const pixdim = hdr.pixDims;
  for (let a = 1; a <= 3; a++) {
    if (a > ndim && !(Number.isFinite(pixdim[a]) && pixdim[a] > 0)) pixdim[a] = 1; // unused axis
    if (!(Number.isFinite(pixdim[a]) && pixdim[a] > 0)) {
      throw new ImagingError("BAD_SPACING", `The voxel size along ${"ijk"[a - 1]} is ${pixdim[a]} mm; it must be a positive number. The header is damaged; re-export the volume.`, { pixdim: pixdim.slice(1, 4) });
    }
  }

  // --- affine: sform, else qform, else pixdim diagonal
  let affine: number[] | null = null;
  let source: AffineSource = "pixdim";
  const f = (o: number) => (magic.version === 1 ? view.getFloat32(o, le) : view.getFloat64(o, le));
  if (hdr.sform_code > 0) {
    const base = magic.version === 1 ? 280 : 400;
    const step = magic.version === 1 ? 4 : 8;
    const m: number[] = [];
    for (let i = 0; i < 12; i++) m.push(f(base + i * step));
    m.push(0, 0, 0, 1);
    if (usableAffine(m)) {
      affine = m;
      source = "sform";
    }
  }
  if (!affine && hdr.qform_code > 0) {
    const q = magic.version === 1 ? [256, 260, 264, 268, 272, 276] : [352, 360, 368, 376, 384, 392];
    const [b, c, d, ox, oy, oz] = q.map(f);
    const m = qformToAffine(b, c, d, [ox, oy, oz], pixdim);
    if (usableAffine(m)) {
      affine = m;
      source = "qform";
    }
  }
  if (!affine) {
    if (hdr.sform_code > 0 || hdr.qform_code > 0) {
      throw new ImagingError("BAD_AFFINE", "The NIfTI orientation (sform/qform) contains invalid numbers, so the volume cannot be placed in patient space. Re-export it with a valid orientation.");
    }
    affine = [pixdim[1], 0, 0, 0, 0, pixdim[2], 0, 0, 0, 0, pixdim[3], 0, 0, 0, 0, 1];
  }
  // spatial units: convert metres / microns to mm (0 = unknown and 2 = mm are left as they are)
  const units = hdr.xyzt_units & 7;
  const toMm = units === 1 ? 1000 : units === 3 ? 0.001 : 1;
  if (toMm !== 1) for (let i = 0; i < 12; i++) affine[i] *= toMm;

  // --- voxel data: exactly dims * bytes per voxel after vox_offset
  const voxOffset = Number(hdr.vox_offset);
  if (!Number.isInteger(voxOffset) || voxOffset < headerSize) {
    throw new ImagingError("BAD_MAGIC", `The NIfTI header gives vox_offset ${hdr.vox_offset}, which lies inside the header. The file is damaged.`);
  }
  const nvox = dims[0] * dims[1] * dims[2];
  const expected = nvox * dt.bytes;
  const available = bytes.length - voxOffset;
  if (available !== expected) {
    throw new ImagingError(
      "DIMS_MISMATCH",
      `The header describes ${dims.join(" x ")} ${dt.name} voxels (${expected} bytes) but the file holds ${Math.max(0, available)} bytes of voxel data. ` +
        (available < expected ? "The file is truncated; upload it again." : "The header and data disagree; re-export the volume."),
      { dims, expectedBytes: expected, actualBytes: available },
    );
  }
  let data: VoxelArray;
  const start = bytes.byteOffset + voxOffset;
  if (le && hostIsLittleEndian() && typeof dt.ctor !== "string" && start % dt.bytes === 0) {
    // zero-copy view onto the (inflated) input: a 512x512x300 CT is 150 MB we need not duplicate
    data = new dt.ctor(bytes.buffer as ArrayBuffer, start, expected / dt.bytes);
  } else {
    const raw = bytes.slice(voxOffset, voxOffset + expected); // copy: aligned for the typed array
    if (!le && dt.bytes > 1) swapBytes(raw, dt.bytes);
    if (dt.ctor === "int64" || dt.ctor === "uint64") {
      const big = dt.ctor === "int64" ? new BigInt64Array(raw.buffer) : new BigUint64Array(raw.buffer);
      data = Float64Array.from(big, (v) => Number(v));
    } else {
      data = new dt.ctor(raw.buffer);
    }
  }

  // --- scl_slope / scl_inter (slope 0 or non-finite means "not scaled", per nifti1.h)
  const slope = Number.isFinite(hdr.scl_slope) && hdr.scl_slope !== 0 ? hdr.scl_slope : 1;
  const inter = Number.isFinite(hdr.scl_inter) ? hdr.scl_inter : 0;
  if (slope !== 1 || inter !== 0) data = applyScaling(data, slope, inter);

  return {
    dims,
    spacing: columnNorms(affine),
    affine,
    data,
    nifti: {
      version: magic.version,
      datatype: dt.name,
      sformCode: hdr.sform_code,
      qformCode: hdr.qform_code,
      affineSource: source,
      sclSlope: slope,
      sclInter: inter,
      description: hdr.description ?? "",
    },
  };
}

function swapBytes(b: Uint8Array, width: number): void {
  for (let i = 0; i < b.length; i += width) {
    for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
      const t = b[lo];
      b[lo] = b[hi];
      b[hi] = t;
    }
  }
}

function applyScaling(data: VoxelArray, slope: number, inter: number): VoxelArray {
  const integral = Number.isInteger(slope) && Number.isInteger(inter) && !(data instanceof Float32Array || data instanceof Float64Array);
  let min = Infinity;
  let max = -Infinity;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] * slope + inter;
    out[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (integral && min >= -32768 && max <= 32767) return Int16Array.from(out);
  if (integral && min >= -2147483648 && max <= 2147483647) return Int32Array.from(out);
  return Float32Array.from(out);
}

/**
 * The canonical CT voxel type: values rounded to whole HU and clamped to the int16 range.
 * Returns the same volume when it is already Int16.
 */
export function toInt16HU<V extends Volume>(volume: V): V & Volume<Int16Array> {
  if (volume.data instanceof Int16Array) return volume as V & Volume<Int16Array>;
  const src = volume.data;
  const out = new Int16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i]);
    out[i] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
  }
  return { ...volume, data: out };
}

let littleEndianHost: boolean | undefined;
function hostIsLittleEndian(): boolean {
  littleEndianHost ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return littleEndianHost;
}
