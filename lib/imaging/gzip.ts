// gzip detection and inflation with fflate (runs in the browser too; node:zlib would not).
// We parse the gzip member header ourselves and inflate the raw deflate stream without
// trusting the ISIZE trailer: on a truncated file those last four bytes are arbitrary, and
// fflate's gunzipSync would pre-allocate that many bytes (up to 4 GiB) before failing.
import { inflateSync } from "fflate";
import { ImagingError } from "./types";

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8;
}

/** Start of the deflate stream after a gzip member header (RFC 1952 section 2.3). */
function deflateStart(bytes: Uint8Array): number {
  const flags = bytes[3];
  let pos = 10;
  if (flags & 4) pos += 2 + (bytes[10] | (bytes[11] << 8)); // FEXTRA
  if (flags & 8) while (pos < bytes.length && bytes[pos++] !== 0); // FNAME
  if (flags & 16) while (pos < bytes.length && bytes[pos++] !== 0); // FCOMMENT
  if (flags & 2) pos += 2; // FHCRC
  if (pos >= bytes.length) {
    throw new ImagingError("TRUNCATED_GZIP", "The gzip file ends inside its header; the upload was cut off. Upload the complete file again.");
  }
  return pos;
}

export function gunzip(bytes: Uint8Array, what = "file"): Uint8Array {
  if (bytes.length < 18) {
    throw new ImagingError("TRUNCATED_GZIP", `The gzip ${what} is only ${bytes.length} bytes long; the upload was cut off. Upload the complete file again.`);
  }
  try {
    return inflateSync(bytes.subarray(deflateStart(bytes)));
  } catch (e) {
    if (e instanceof ImagingError) throw e;
    // fflate error code 0 is "unexpected EOF": the compressed stream stops before its last block
    if ((e as { code?: number }).code === 0) {
      throw new ImagingError("TRUNCATED_GZIP", `The gzip ${what} ends before its compressed data does (${bytes.length} bytes received); the upload or copy was cut off. Upload the complete file again.`);
    }
    throw new ImagingError("CORRUPT_GZIP", `The gzip ${what} is corrupt (${(e as Error).message}); it cannot be decompressed. Re-export or re-copy the file.`);
  }
}
