// Stored pixel values of one single-frame DICOM image, by transfer syntax. Returns the stored
// values (before RescaleSlope/Intercept) as signed integers, with PixelRepresentation honoured.
import * as dicomParserNs from "dicom-parser";
import type { DataSet } from "dicom-parser";
import { ImagingError } from "./types";

// dicom-parser is a UMD bundle: under Node ESM its API sits on `default`, under bundlers on the namespace
export const dicomParser: typeof dicomParserNs =
  (dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ?? dicomParserNs;

/** A DICOM Part-10 file: 128-byte preamble, then "DICM". */
export const isDicomPart10 = (b: Uint8Array) => b.length > 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

export const TS = {
  implicitLE: "1.2.840.10008.1.2",
  explicitLE: "1.2.840.10008.1.2.1",
  deflatedLE: "1.2.840.10008.1.2.1.99",
  explicitBE: "1.2.840.10008.1.2.2",
  jpeg2000Lossless: "1.2.840.10008.1.2.4.90",
  jpeg2000: "1.2.840.10008.1.2.4.91",
} as const;

const NATIVE = new Set<string>([TS.implicitLE, TS.explicitLE, TS.deflatedLE, TS.explicitBE]);
const JPEG2000 = new Set<string>([TS.jpeg2000Lossless, TS.jpeg2000]);

/** One decoded JPEG 2000 frame (single component). */
export interface DecodedFrame {
  width: number;
  height: number;
  signed: boolean;
  /** bits per sample of the codestream */
  precision: number;
  data: ArrayLike<number>;
}

/**
 * A JPEG 2000 codestream decoder, injected by the caller (the workers use OpenJPEG's WASM build,
 * see workers/codecs/openjpeg.ts) so that this library stays pure and runs anywhere.
 */
export type FrameDecoder = (codestream: Uint8Array) => DecodedFrame;

const KNOWN_COMPRESSED: Record<string, string> = {
  "1.2.840.10008.1.2.4.50": "JPEG baseline (lossy)",
  "1.2.840.10008.1.2.4.51": "JPEG extended (lossy)",
  "1.2.840.10008.1.2.4.57": "JPEG lossless",
  "1.2.840.10008.1.2.4.70": "JPEG lossless (first-order prediction)",
  "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
  "1.2.840.10008.1.2.4.201": "HTJ2K lossless",
  "1.2.840.10008.1.2.4.202": "HTJ2K lossless RPCL",
  "1.2.840.10008.1.2.4.203": "HTJ2K",
  "1.2.840.10008.1.2.5": "RLE lossless",
  "1.2.840.10008.1.2.4.100": "MPEG-2 video",
  "1.2.840.10008.1.2.4.102": "MPEG-4 video",
};

export function transferSyntaxName(uid: string): string {
  switch (uid) {
    case TS.implicitLE: return "implicit VR little endian";
    case TS.explicitLE: return "explicit VR little endian";
    case TS.deflatedLE: return "deflated explicit VR little endian";
    case TS.explicitBE: return "explicit VR big endian";
    case TS.jpeg2000Lossless: return "JPEG 2000 lossless";
    case TS.jpeg2000: return "JPEG 2000";
    default: return KNOWN_COMPRESSED[uid] ?? `transfer syntax ${uid}`;
  }
}

export function assertDecodable(uid: string, fileName: string, decodeFrame?: FrameDecoder): void {
  if (!NATIVE.has(uid) && !(decodeFrame && JPEG2000.has(uid))) {
    throw new ImagingError(
      "UNSUPPORTED_TRANSFER_SYNTAX",
      `${fileName} is compressed as ${transferSyntaxName(uid)}, which cannot be decoded here. Export the series uncompressed (explicit/implicit VR little endian) or as JPEG 2000 lossless and upload it again.`,
      { transferSyntaxUid: uid, file: fileName },
    );
  }
}

export interface PixelFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement */
  pixelRepresentation: number;
}

/** Interpret a stored value as PixelRepresentation and BitsStored say, tolerating both conventions for the unused high bits. */
function fixSign(v: number, f: PixelFormat): number {
  const bits = f.bitsStored;
  if (f.pixelRepresentation === 1) {
    const max = 2 ** (bits - 1) - 1;
    const min = -(2 ** (bits - 1));
    if (v > max || v < min) {
      // high bits not sign-extended: keep BitsStored bits and extend from their top bit
      const m = ((v % 2 ** bits) + 2 ** bits) % 2 ** bits;
      return m > max ? m - 2 ** bits : m;
    }
    return v;
  }
  return v >= 2 ** bits ? v % 2 ** bits : v;
}

let littleEndianHost: boolean | undefined;
function hostIsLittleEndian(): boolean {
  littleEndianHost ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return littleEndianHost;
}

/** Inflater for deflated transfer syntax, via fflate so it runs in the browser as well. */
export function inflateDeflatedDataset(inflate: (d: Uint8Array) => Uint8Array) {
  return (arr: Uint8Array, position: number): Uint8Array => {
    const inflated = inflate(arr.subarray(position));
    const full = new Uint8Array(position + inflated.length);
    full.set(arr.subarray(0, position));
    full.set(inflated, position);
    return full;
  };
}

export function readStoredPixels(ds: DataSet, transferSyntax: string, f: PixelFormat, fileName: string, decodeFrame?: FrameDecoder): Int32Array {
  const el = ds.elements.x7fe00010;
  if (!el) throw new ImagingError("NO_PIXEL_DATA", `${fileName} has no pixel data.`, { file: fileName });
  const n = f.rows * f.columns;
  const out = new Int32Array(n);
  const bytes = ds.byteArray as Uint8Array;

  if (NATIVE.has(transferSyntax)) {
    const bpp = f.bitsAllocated / 8;
    if (![1, 2, 4].includes(bpp)) {
      throw new ImagingError("UNSUPPORTED_PIXEL_FORMAT", `${fileName} uses ${f.bitsAllocated} bits per pixel; CT must use 8, 16 or 32.`, { file: fileName });
    }
    if (el.length < n * bpp || el.dataOffset + n * bpp > bytes.length) {
      throw new ImagingError("BAD_PIXEL_DATA", `${fileName} holds ${Math.min(el.length, bytes.length - el.dataOffset)} bytes of pixel data but ${f.rows} x ${f.columns} pixels need ${n * bpp}. The file is truncated; export it again.`, { file: fileName });
    }
    const start = bytes.byteOffset + el.dataOffset;
    const le = transferSyntax !== TS.explicitBE;
    const signed = f.pixelRepresentation === 1;
    const fix = f.bitsStored < f.bitsAllocated;
    if (bpp === 2 && le && hostIsLittleEndian() && start % 2 === 0) {
      // fast path: a typed view straight onto the file bytes
      const src = signed ? new Int16Array(bytes.buffer, start, n) : new Uint16Array(bytes.buffer, start, n);
      for (let i = 0; i < n; i++) out[i] = fix ? fixSign(src[i], f) : src[i];
      return out;
    }
    const view = new DataView(bytes.buffer, start, n * bpp);
    for (let i = 0; i < n; i++) {
      let v: number;
      if (bpp === 2) v = signed ? view.getInt16(i * 2, le) : view.getUint16(i * 2, le);
      else if (bpp === 1) v = signed ? view.getInt8(i) : view.getUint8(i);
      else v = signed ? view.getInt32(i * 4, le) : view.getUint32(i * 4, le);
      out[i] = fix ? fixSign(v, f) : v;
    }
    return out;
  }

  // encapsulated (JPEG 2000): one frame = all fragments concatenated
  const frags = el.fragments ?? [];
  if (!el.encapsulatedPixelData || frags.length === 0) {
    throw new ImagingError("BAD_PIXEL_DATA", `${fileName} declares ${transferSyntaxName(transferSyntax)} but its pixel data is not encapsulated. The file is damaged.`, { file: fileName });
  }
  let total = 0;
  for (const fr of frags) total += fr.length;
  const stream = new Uint8Array(total);
  let o = 0;
  for (const fr of frags) {
    stream.set(bytes.subarray(fr.position, fr.position + fr.length), o);
    o += fr.length;
  }
  assertDecodable(transferSyntax, fileName, decodeFrame);
  let img: DecodedFrame;
  try {
    img = decodeFrame!(stream);
  } catch (e) {
    throw new ImagingError("BAD_PIXEL_DATA", `${fileName}: its ${transferSyntaxName(transferSyntax)} pixel data cannot be decoded (${(e as Error).message}). The file is damaged; export it again.`, { file: fileName });
  }
  if (img.width !== f.columns || img.height !== f.rows) {
    throw new ImagingError("BAD_PIXEL_DATA", `${fileName}: the compressed image is ${img.width} x ${img.height} but the header says ${f.columns} x ${f.rows}.`, { file: fileName });
  }
  const signedMismatch = f.pixelRepresentation === 1 && !img.signed;
  for (let i = 0; i < n; i++) {
    const v = img.data[i];
    // some encoders store signed pixels as unsigned codestreams: reinterpret as two's complement
    out[i] = signedMismatch && v >= 2 ** (img.precision - 1) ? v - 2 ** img.precision : v;
  }
  return out;
}
