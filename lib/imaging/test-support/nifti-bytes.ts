// Test support only: edit uncompressed NIfTI-1 headers and convert them to NIfTI-2 or big-endian,
// so readers can be tested on variants no fixture provides.

/** Copy of an uncompressed little-endian NIfTI-1 file with `edit` applied to its header. */
export function patchNifti1(n1: Uint8Array, edit: (v: DataView, bytes: Uint8Array) => void): Uint8Array {
  const out = n1.slice();
  edit(new DataView(out.buffer), out);
  return out;
}

/** The same image as NIfTI-2 (540-byte header, float64 geometry, voxels at 544). */
export function nifti1ToNifti2(n1: Uint8Array): Uint8Array {
  const s = new DataView(n1.buffer, n1.byteOffset, n1.byteLength);
  const le = true;
  const voxOffset1 = s.getFloat32(108, le);
  const voxels = n1.subarray(voxOffset1);
  const out = new Uint8Array(544 + voxels.length);
  const d = new DataView(out.buffer);
  d.setInt32(0, 540, le);
  out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  d.setInt16(12, s.getInt16(70, le), le);
  d.setInt16(14, s.getInt16(72, le), le);
  for (let i = 0; i < 8; i++) d.setBigInt64(16 + i * 8, BigInt(s.getInt16(40 + i * 2, le)), le);
  for (let i = 0; i < 8; i++) d.setFloat64(104 + i * 8, s.getFloat32(76 + i * 4, le), le);
  d.setBigInt64(168, 544n, le);
  d.setFloat64(176, s.getFloat32(112, le), le);
  d.setFloat64(184, s.getFloat32(116, le), le);
  out.set(n1.subarray(148, 228), 240); // descrip
  d.setInt32(344, s.getInt16(252, le), le);
  d.setInt32(348, s.getInt16(254, le), le);
  for (let i = 0; i < 6; i++) d.setFloat64(352 + i * 8, s.getFloat32(256 + i * 4, le), le);
  for (let i = 0; i < 12; i++) d.setFloat64(400 + i * 8, s.getFloat32(280 + i * 4, le), le);
  d.setInt32(500, n1[123], le);
  out.set(voxels, 544);
  return out;
}

/** The same NIfTI-1 image with every header number and every voxel stored big-endian. */
export function nifti1ToBigEndian(n1: Uint8Array): Uint8Array {
  const out = n1.slice();
  const swap = (o: number, w: number) => out.subarray(o, o + w).reverse();
  const v = new DataView(n1.buffer, n1.byteOffset, n1.byteLength);
  const bitpix = v.getInt16(72, true);
  const voxOffset = v.getFloat32(108, true);
  swap(0, 4);
  for (let o = 40; o < 56; o += 2) swap(o, 2);
  for (let o = 56; o < 68; o += 4) swap(o, 4);
  for (let o = 68; o < 76; o += 2) swap(o, 2);
  for (let o = 76; o < 120; o += 4) swap(o, 4);
  swap(120, 2);
  for (let o = 124; o < 148; o += 4) swap(o, 4);
  swap(252, 2);
  swap(254, 2);
  for (let o = 256; o < 328; o += 4) swap(o, 4);
  const w = bitpix / 8;
  if (w > 1) for (let o = voxOffset; o < out.length; o += w) swap(o, w);
  return out;
}
