// Write a Volume as gzipped NIfTI-1 (the canonical storage format: int16 HU CT, uint8 label maps).
// The affine goes into sform verbatim and into qform as quaternion + pixdim + qfac, both with
// the same code, so readers that honour either one place the voxels identically. NIfTI-1 stores
// these as float32: an affine round-trips exactly when its entries are float32-representable
// (true for anything read from NIfTI-1, and for typical DICOM spacings and positions).
// Output is deterministic (gzip mtime 0), so content hashes of identical volumes match.
import { gzipSync } from "fflate";
import { columnNorms } from "./affine";
import { ImagingError, type Volume, type VoxelArray } from "./types";

export interface NiftiWriteOptions {
  /** sform_code = qform_code: 1 scanner anatomical (default), 2 aligned anatomical */
  xformCode?: 1 | 2;
  /** up to 79 ASCII characters stored in descrip */
  description?: string;
  /** mark the file as a label map (intent NIFTI_INTENT_LABEL) */
  isLabel?: boolean;
  /** gzip level 0..9, default 6 */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

function datatypeOf(data: VoxelArray): { code: number; bits: number } {
  if (data instanceof Uint8Array) return { code: 2, bits: 8 };
  if (data instanceof Int16Array) return { code: 4, bits: 16 };
  if (data instanceof Int32Array) return { code: 8, bits: 32 };
  if (data instanceof Float32Array) return { code: 16, bits: 32 };
  if (data instanceof Float64Array) return { code: 64, bits: 64 };
  if (data instanceof Int8Array) return { code: 256, bits: 8 };
  if (data instanceof Uint16Array) return { code: 512, bits: 16 };
  if (data instanceof Uint32Array) return { code: 768, bits: 32 };
  throw new ImagingError("UNSUPPORTED_DATATYPE", "Cannot write this voxel array type to NIfTI.");
}

/** nifti1 mat44_to_quatern: quaternion (b, c, d), qfac and voxel sizes of an affine's 3x3 part. */
export function affineToQuaternion(affine: readonly number[]): {
  b: number; c: number; d: number; qfac: 1 | -1; pixdim: [number, number, number];
} {
  const pixdim = columnNorms(affine).map((n) => (n > 0 ? n : 1)) as [number, number, number];
  // unit columns, then the nearest rotation (polar decomposition) in case of shear or rounding
  let R = [0, 1, 2].map((r) => [0, 1, 2].map((c) => affine[r * 4 + c] / pixdim[c]));
  R = nearestOrthogonal(R);
  const det =
    R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) -
    R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
    R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
  let qfac: 1 | -1 = 1;
  if (det < 0) {
    // a left-handed voxel grid: flip the third column and record it in qfac (pixdim[0])
    qfac = -1;
    for (let r = 0; r < 3; r++) R[r][2] = -R[r][2];
  }
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = R;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac, pixdim };
}

function nearestOrthogonal(M: number[][]): number[][] {
  // Newton iteration X <- (X + X^-T) / 2; converges in a few steps for near-rotations
  let X = M.map((r) => r.slice());
  for (let it = 0; it < 20; it++) {
    const inv = inverse3(X);
    if (!inv) return M;
    let delta = 0;
    const next = X.map((row, r) => row.map((v, c) => {
      const nv = 0.5 * (v + inv[c][r]);
      delta = Math.max(delta, Math.abs(nv - v));
      return nv;
    }));
    X = next;
    if (delta < 1e-12) break;
  }
  return X;
}

function inverse3(m: number[][]): number[][] | null {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-15) return null;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** The uncompressed .nii bytes: 348-byte header, 4 zero extension bytes, voxels at offset 352. */
export function encodeNifti(volume: Volume, opts: NiftiWriteOptions = {}): Uint8Array {
  const header = encodeNiftiHeader(volume, opts);
  const voxBytes = volume.data.byteLength;
  const out = new Uint8Array(352 + voxBytes);
  out.set(header, 0);
  // voxels in little-endian order (every supported platform is little-endian; check anyway)
  out.set(new Uint8Array(volume.data.buffer, volume.data.byteOffset, voxBytes), 352);
  const bits = datatypeOf(volume.data).bits;
  if (!hostIsLittleEndian() && bits > 8) {
    const w = bits / 8;
    for (let i = 352; i < out.length; i += w) out.subarray(i, i + w).reverse();
  }
  return out;
}

/**
 * The 352 bytes before the voxels (header + empty extension flag), for writers that stream the
 * voxels themselves instead of copying them into one buffer.
 */
export function encodeNiftiHeader(volume: Volume, opts: NiftiWriteOptions = {}): Uint8Array {
  const [nx, ny, nz] = volume.dims;
  if (volume.data.length !== nx * ny * nz) {
    throw new ImagingError("DIMS_MISMATCH", `Volume dims ${volume.dims.join(" x ")} need ${nx * ny * nz} voxels but the array holds ${volume.data.length}.`);
  }
  if (!volume.affine.every(Number.isFinite) || volume.affine.length !== 16) {
    throw new ImagingError("BAD_AFFINE", "The volume's affine must be 16 finite numbers.");
  }
  const { code, bits } = datatypeOf(volume.data);
  const out = new Uint8Array(352);
  const v = new DataView(out.buffer);
  const le = true;
  v.setInt32(0, 348, le);
  out[38] = "r".charCodeAt(0); // "regular", as nifti1.h writers set it
  v.setInt16(40, 3, le);
  v.setInt16(42, nx, le);
  v.setInt16(44, ny, le);
  v.setInt16(46, nz, le);
  for (let i = 4; i < 8; i++) v.setInt16(40 + i * 2, 1, le);
  if (opts.isLabel) v.setInt16(68, 1002, le); // NIFTI_INTENT_LABEL
  v.setInt16(70, code, le);
  v.setInt16(72, bits, le);

  const q = affineToQuaternion(volume.affine);
  v.setFloat32(76, q.qfac, le);
  v.setFloat32(80, q.pixdim[0], le);
  v.setFloat32(84, q.pixdim[1], le);
  v.setFloat32(88, q.pixdim[2], le);
  for (let i = 4; i < 8; i++) v.setFloat32(76 + i * 4, 1, le);
  v.setFloat32(108, 352, le); // vox_offset
  v.setFloat32(112, 1, le); // scl_slope: values are stored as they are
  v.setFloat32(116, 0, le);
  out[123] = 2; // xyzt_units: millimetres
  const descrip = (opts.description ?? "").replace(/[^\x20-\x7e]/g, "?").slice(0, 79);
  for (let i = 0; i < descrip.length; i++) out[148 + i] = descrip.charCodeAt(i);

  const xform = opts.xformCode ?? 1;
  v.setInt16(252, xform, le); // qform_code
  v.setInt16(254, xform, le); // sform_code
  v.setFloat32(256, q.b, le);
  v.setFloat32(260, q.c, le);
  v.setFloat32(264, q.d, le);
  v.setFloat32(268, volume.affine[3], le);
  v.setFloat32(272, volume.affine[7], le);
  v.setFloat32(276, volume.affine[11], le);
  for (let i = 0; i < 12; i++) v.setFloat32(280 + i * 4, volume.affine[i], le);
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  return out;
}

let littleEndianHost: boolean | undefined;
function hostIsLittleEndian(): boolean {
  littleEndianHost ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return littleEndianHost;
}

/** Gzipped NIfTI-1 (.nii.gz) bytes. */
export function writeNifti(volume: Volume, opts: NiftiWriteOptions = {}): Uint8Array {
  return gzipSync(encodeNifti(volume, opts), { level: opts.level ?? 6, mtime: 0 });
}
