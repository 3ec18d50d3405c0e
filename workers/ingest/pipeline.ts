// The CPU part of an import, separate from storage and database so the benchmark measures
// exactly what the worker runs. Each stage reports its wall time (MONAI-Label style).
// Gzip goes through node:zlib here (native, several times faster than the pure-JS path that
// lib/imaging keeps for the browser); a damaged stream falls back to lib/imaging for its message.
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { encode as encodePng } from "fast-png";
import { toCanonicalCT } from "../../lib/imaging/canonical";
import { isGzip } from "../../lib/imaging/gzip";
import { downsampleMean, previewFactors } from "../../lib/imaging/downsample";
import { encodeNiftiHeader } from "../../lib/imaging/nifti-write";
import { orientationCode } from "../../lib/imaging/orientation";
import { huRange } from "../../lib/imaging/stats";
import { axialThumbnail } from "../../lib/imaging/thumbnail";
import type { Volume } from "../../lib/imaging/types";
import { decodeUpload, type DecodeUploadOptions, type DecodedUpload } from "../../lib/imaging/upload";
import { gzipParts } from "./gzip-chunks";

/** what the task records: everything but the voxels (which only travel as the gzip file) */
export interface ProcessedUpload {
  format: DecodedUpload["format"];
  seriesUids: string[];
  metadata: Record<string, unknown>;
  sourceGrid: Pick<Volume, "dims" | "spacing" | "affine">;
  sourceOrientation: string;
  canonical: Pick<Volume, "dims" | "spacing" | "affine">;
  range: { min: number; max: number };
  /** canonical gzip NIfTI and its sha256 (the storage key) */
  niftiGz: Uint8Array;
  sha256: string;
  thumbnailPng: Uint8Array;
  /** block-mean preview (≤ 128x128x96) the viewer draws first, gzip NIfTI */
  previewGz: Uint8Array;
  /** half-resolution display volume (≤ 256x256x160) for viewers without a GPU; null when the CT is already that small */
  displayGz: Uint8Array | null;
  timings: Record<string, number>;
}

/** Inflate gzip members natively; anything zlib rejects is left for lib/imaging to explain. */
function preInflate(files: { name: string; bytes: Uint8Array }[]) {
  return files.map((f) => {
    if (!isGzip(f.bytes)) return f;
    try {
      const raw = zlib.gunzipSync(f.bytes);
      return { name: f.name, bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
    } catch {
      return f;
    }
  });
}


export function processUpload(
  files: { name: string; bytes: Uint8Array }[],
  opts: DecodeUploadOptions,
  onStage: (stage: string, percent: number) => void = () => undefined,
): ProcessedUpload {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
  };
  onStage("decompressing", 15);
  const inflated = preInflate(files);
  lap("inflate");
  onStage("parsing", 25);
  const source = decodeUpload(inflated, opts);
  lap("parse");
  onStage("converting to RAS int16 HU", 45);
  const sourceOrientation = orientationCode(source.volume.affine);
  const canonical = toCanonicalCT(source.volume);
  const range = huRange(canonical);
  lap("canonical");
  onStage("compressing", 60);
  // level 1: the canonical copy is written once and read often; speed beats a few % of size
  const header = encodeNiftiHeader(canonical, { description: "UAIR canonical CT (RAS, int16 HU)" });
  const niftiGz = gzipParts([header, new Uint8Array(canonical.data.buffer, canonical.data.byteOffset, canonical.data.byteLength)], 1);
  const sha256 = createHash("sha256").update(niftiGz).digest("hex");
  lap("encode");
  onStage("thumbnail", 80);
  const thumb = axialThumbnail(canonical);
  const thumbnailPng = encodePng({ width: thumb.width, height: thumb.height, data: thumb.data, channels: 1, depth: 8 });
  lap("thumbnail");
  // the display volume (≤ 256x256x160) first, the preview (≤ 128x128x96) from it: one pass over the CT
  const displayF = previewFactors(canonical.dims, [256, 256, 160]);
  const display = displayF.some((f) => f > 1) ? downsampleMean(canonical, displayF) : null;
  const base = display ?? canonical;
  const preview = downsampleMean(base, previewFactors(base.dims));
  const previewGz = gzipParts([encodeNiftiHeader(preview, { description: "UAIR preview" }), new Uint8Array(preview.data.buffer)], 6);
  const displayGz = display
    ? gzipParts([encodeNiftiHeader(display, { description: "UAIR display (reduced)" }), new Uint8Array(display.data.buffer)], 1)
    : null;
  lap("preview + display");
  const grid = (v: Volume) => ({ dims: v.dims, spacing: v.spacing, affine: v.affine });
  return {
    format: source.format,
    seriesUids: source.seriesUids,
    metadata: source.metadata,
    sourceGrid: grid(source.volume),
    sourceOrientation,
    canonical: grid(canonical),
    range,
    niftiGz,
    sha256,
    thumbnailPng,
    previewGz,
    displayGz,
    timings,
  };
}
