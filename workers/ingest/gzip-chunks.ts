// gzip of several buffers without first concatenating them (a 150 MB CT would need a second
// 150 MB copy). Native zlib deflates each chunk with a sync flush; raw deflate segments ending
// in a sync flush concatenate into one valid stream (no back-reference crosses a segment, which
// costs < 0.1% of size at 4 MB chunks), closed by an empty final block and the gzip trailer.
import zlib from "node:zlib";

const CHUNK = 4 * 2 ** 20;

export function gzipParts(parts: Uint8Array[], level = 1): Uint8Array {
  const out: Uint8Array[] = [Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff)];
  let crc = 0;
  let size = 0;
  for (const part of parts) {
    for (let o = 0; o < part.length; o += CHUNK) {
      const chunk = part.subarray(o, Math.min(part.length, o + CHUNK));
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      out.push(new Uint8Array(zlib.deflateRawSync(chunk, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH })));
    }
  }
  out.push(Uint8Array.of(0x03, 0x00)); // empty final fixed-Huffman block
  const trailer = new Uint8Array(8);
  const dv = new DataView(trailer.buffer);
  dv.setUint32(0, crc >>> 0, true);
  dv.setUint32(4, size >>> 0, true); // ISIZE is the size modulo 2^32 by definition
  out.push(trailer);
  const total = out.reduce((a, b) => a + b.length, 0);
  const gz = new Uint8Array(total);
  let p = 0;
  for (const b of out) gz.set(b, (p += b.length) - b.length);
  return gz;
}
