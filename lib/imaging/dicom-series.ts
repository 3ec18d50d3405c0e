// Turn a bag of DICOM files into one CT volume (int16 HU, RAS affine) with checked geometry.
// Slices are ordered by the projection of ImagePositionPatient on the slice normal — never by
// file name or InstanceNumber — and the slice spacing comes from those positions, never from
// SliceThickness. DICOM patient space is LPS; the affine is converted to RAS by negating x and y.
import { inflateSync } from "fflate";
import type { DataSet } from "dicom-parser";
import { columnNorms } from "./affine";
import { assertDecodable, dicomParser, inflateDeflatedDataset, readStoredPixels, TS, type FrameDecoder, type PixelFormat } from "./dicom-pixels";
import { ImagingError, type Vec3, type Volume } from "./types";

export interface DicomFile {
  name: string;
  bytes: Uint8Array;
}

export interface SeriesSummary {
  /** grouping key: SeriesInstanceUID, or a fallback when the UID was stripped */
  key: string;
  seriesInstanceUid: string;
  modality: string;
  seriesDescription: string;
  files: number;
  localizer: boolean;
}

export interface DicomSeriesMeta {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  modality: string;
  seriesDescription: string;
  /** SOPInstanceUID of each slice in volume order (k = 0 first); MediaStorageSOPInstanceUID when the former is empty */
  sopInstanceUids: string[];
  /** file names in volume order */
  fileNames: string[];
  transferSyntaxUid: string;
  /** slice step from ImagePositionPatient, mm */
  sliceSpacing: number;
  /** SliceThickness as written in the header (informational only) */
  sliceThickness: number | null;
  warnings: string[];
  skippedFiles: { name: string; reason: string }[];
}

export interface DicomSeriesResult {
  volume: Volume<Int16Array>;
  meta: DicomSeriesMeta;
}

export interface LoadDicomOptions {
  /** JPEG 2000 decoder; without one, JPEG 2000 series are refused (UNSUPPORTED_TRANSFER_SYNTAX) */
  decodeFrame?: FrameDecoder;
  /** choose this series (a SeriesSummary.key) instead of requiring exactly one CT series */
  seriesKey?: string;
}

interface Parsed {
  name: string;
  ds: DataSet;
  transferSyntax: string;
}

const DUPLICATE_TOL_MM = 0.01;
const IOP_TOL = 1e-3;
const TILT_TOL_DEG = 0.1;
const GAP_FACTOR = 1.5;
const SPACING_TOL = 0.01;

function str(ds: DataSet, tag: string): string {
  try {
    return ds.string(tag)?.trim() ?? "";
  } catch {
    return "";
  }
}

function nums(ds: DataSet, tag: string, count: number): number[] | null {
  const s = str(ds, tag);
  if (!s) return null;
  const parts = s.split("\\").map((p) => Number.parseFloat(p));
  if (parts.length < count || parts.slice(0, count).some((v) => !Number.isFinite(v))) return null;
  return parts.slice(0, count);
}

function parseFile(f: DicomFile): Parsed | string {
  const inflater = inflateDeflatedDataset((d) => inflateSync(d));
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(f.bytes, { inflater });
  } catch (e) {
    // files without the 128-byte preamble and DICM prefix: try as a bare implicit-VR dataset
    try {
      ds = dicomParser.parseDicom(f.bytes, { TransferSyntaxUID: TS.implicitLE });
      if (!ds.elements.x00080060 && !ds.elements.x00200032 && !ds.elements.x7fe00010) return "not a DICOM file";
    } catch {
      return `not a DICOM file (${typeof e === "string" ? e : (e as Error).message})`;
    }
  }
  if (str(ds, "x00020002") === "1.2.840.10008.1.3.10") return "DICOMDIR index file";
  return { name: f.name, ds, transferSyntax: str(ds, "x00020010") || TS.implicitLE };
}

function seriesKey(ds: DataSet): string {
  const uid = str(ds, "x0020000e");
  if (uid) return uid;
  // de-identified exports sometimes blank the UIDs: fall back to what still tells series apart
  return `no-uid|${str(ds, "x00200052")}|${str(ds, "x00200011")}|${str(ds, "x0008103e")}|${str(ds, "x00080060")}`;
}

function isLocalizer(ds: DataSet): boolean {
  return str(ds, "x00080008").toUpperCase().split("\\").includes("LOCALIZER");
}

function groupSeries(files: DicomFile[]): { groups: Map<string, Parsed[]>; skipped: { name: string; reason: string }[] } {
  const groups = new Map<string, Parsed[]>();
  const skipped: { name: string; reason: string }[] = [];
  for (const f of files) {
    const p = parseFile(f);
    if (typeof p === "string") {
      skipped.push({ name: f.name, reason: p });
      continue;
    }
    const key = seriesKey(p.ds);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(p);
  }
  return { groups, skipped };
}

function summarize(key: string, g: Parsed[]): SeriesSummary {
  const ds = g[0].ds;
  return {
    key,
    seriesInstanceUid: str(ds, "x0020000e"),
    modality: str(ds, "x00080060") || "unknown",
    seriesDescription: str(ds, "x0008103e"),
    files: g.length,
    localizer: g.every((p) => isLocalizer(p.ds)),
  };
}

/** Every series in the upload, for a UI that lets the user pick one. */
export function listDicomSeries(files: DicomFile[]): SeriesSummary[] {
  const { groups } = groupSeries(files);
  return [...groups.entries()].map(([k, g]) => summarize(k, g));
}

function describe(s: SeriesSummary): string {
  return `"${s.seriesDescription || "(no description)"}" (${s.modality}, ${s.files} file${s.files === 1 ? "" : "s"})`;
}

function chooseSeries(groups: Map<string, Parsed[]>, opts: LoadDicomOptions, warnings: string[]): [string, Parsed[]] {
  const all = [...groups.entries()].map(([k, g]) => ({ key: k, g, s: summarize(k, g) }));
  if (opts.seriesKey !== undefined) {
    const hit = all.find((x) => x.key === opts.seriesKey || x.s.seriesInstanceUid === opts.seriesKey);
    if (!hit) {
      throw new ImagingError("SERIES_NOT_FOUND", `The requested series is not in this upload. It contains: ${all.map((x) => describe(x.s)).join("; ")}.`, { series: all.map((x) => x.s) });
    }
    if (hit.s.modality !== "CT") {
      throw new ImagingError("NOT_CT", `The chosen series is ${hit.s.modality}, not CT. Choose a CT series.`, { series: all.map((x) => x.s) });
    }
    return [hit.key, hit.g];
  }
  const ct = all.filter((x) => x.s.modality === "CT");
  if (ct.length === 0) {
    const found = all.map((x) => describe(x.s)).join("; ");
    throw new ImagingError("NOT_CT", `No CT series in this upload (found: ${found}). Upload the CT series of the study.`, { series: all.map((x) => x.s) });
  }
  for (const x of all) if (x.s.modality !== "CT") warnings.push(`Ignored non-CT series ${describe(x.s)}.`);
  // scout / topogram images are CT too, but never the volume the user means
  const volumes = ct.filter((x) => !x.s.localizer);
  for (const x of ct) if (x.s.localizer) warnings.push(`Ignored localizer series ${describe(x.s)}.`);
  const candidates = volumes.length > 0 ? volumes : ct;
  if (candidates.length > 1) {
    throw new ImagingError(
      "MULTIPLE_SERIES",
      `This upload contains ${candidates.length} CT series: ${candidates.map((x) => describe(x.s)).join("; ")}. Upload one series at a time, or choose which one to use.`,
      { series: candidates.map((x) => x.s) },
    );
  }
  return [candidates[0].key, candidates[0].g];
}

interface Slice {
  p: Parsed;
  ipp: Vec3;
  iop: number[];
  rows: number;
  columns: number;
  pixelSpacing: [number, number];
  format: PixelFormat;
  slope: number;
  intercept: number;
}

function sliceInfo(p: Parsed, decodeFrame?: FrameDecoder): Slice {
  const ds = p.ds;
  if (!ds.elements.x7fe00010) {
    throw new ImagingError("NO_PIXEL_DATA", `${p.name} has no pixel data (it may be a report or a presentation state). Remove it from the upload or upload only the image files.`, { file: p.name });
  }
  assertDecodable(p.transferSyntax, p.name, decodeFrame);
  const frames = Number.parseInt(str(ds, "x00280008") || "1", 10);
  if (frames > 1) {
    throw new ImagingError("UNSUPPORTED_MULTIFRAME", `${p.name} is a multi-frame (enhanced) image with ${frames} frames; export the series as classic single-slice CT images.`, { file: p.name });
  }
  const spp = ds.uint16("x00280002") ?? 1;
  if (spp !== 1) {
    throw new ImagingError("UNSUPPORTED_PIXEL_FORMAT", `${p.name} has ${spp} samples per pixel (colour); CT images must be greyscale.`, { file: p.name });
  }
  const ipp = nums(ds, "x00200032", 3);
  const iop = nums(ds, "x00200037", 6);
  const ps = nums(ds, "x00280030", 2);
  const rows = ds.uint16("x00280010") ?? 0;
  const columns = ds.uint16("x00280011") ?? 0;
  const missing = [!ipp && "ImagePositionPatient", !iop && "ImageOrientationPatient", !ps && "PixelSpacing", !rows && "Rows", !columns && "Columns"].filter(Boolean);
  if (missing.length > 0) {
    throw new ImagingError("MISSING_GEOMETRY", `${p.name} lacks ${missing.join(", ")}, so its position in the patient is unknown. Export the series with full image geometry.`, { file: p.name });
  }
  if (!(ps![0] > 0 && ps![1] > 0)) {
    throw new ImagingError("BAD_SPACING", `${p.name} has PixelSpacing ${ps!.join("\\")}; it must be positive.`, { file: p.name });
  }
  const bitsAllocated = ds.uint16("x00280100") ?? 16;
  const slope = Number.parseFloat(str(ds, "x00281053") || "1");
  const intercept = Number.parseFloat(str(ds, "x00281052") || "0");
  return {
    p, rows, columns,
    ipp: ipp as Vec3,
    iop: iop!,
    pixelSpacing: [ps![0], ps![1]],
    format: {
      rows, columns, bitsAllocated,
      bitsStored: ds.uint16("x00280101") ?? bitsAllocated,
      pixelRepresentation: ds.uint16("x00280103") ?? 0,
    },
    slope: Number.isFinite(slope) && slope !== 0 ? slope : 1,
    intercept: Number.isFinite(intercept) ? intercept : 0,
  };
}

const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: readonly number[], b: readonly number[]): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: readonly number[]) => Math.hypot(a[0], a[1], a[2]);
const fmt = (v: number) => (Math.round(v * 1000) / 1000).toString();

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Geometry checks; returns slices sorted along the normal and their positions on it. */
function orderSlices(slices: Slice[]): { sorted: Slice[]; d: number[]; normal: Vec3 } {
  const first = slices[0];
  for (const s of slices) {
    if (s.rows !== first.rows || s.columns !== first.columns || Math.abs(s.pixelSpacing[0] - first.pixelSpacing[0]) > 1e-4 || Math.abs(s.pixelSpacing[1] - first.pixelSpacing[1]) > 1e-4) {
      throw new ImagingError("MIXED_GEOMETRY", `${s.p.name} is ${s.columns} x ${s.rows} pixels of ${s.pixelSpacing.join(" x ")} mm but ${first.p.name} is ${first.columns} x ${first.rows} of ${first.pixelSpacing.join(" x ")} mm; one series must share one image grid.`, { files: [first.p.name, s.p.name] });
    }
    if (s.iop.some((v, i) => Math.abs(v - first.iop[i]) > IOP_TOL)) {
      throw new ImagingError("MIXED_ORIENTATION", `${s.p.name} and ${first.p.name} have different ImageOrientationPatient (${s.iop.map(fmt).join("\\")} vs ${first.iop.map(fmt).join("\\")}); the series mixes image planes (e.g. a localizer or a reformat). Upload only the axial series.`, { files: [first.p.name, s.p.name] });
    }
  }
  if (slices.length < 2) {
    throw new ImagingError("TOO_FEW_SLICES", `The CT series has ${slices.length} slice; a volume needs at least 2. Upload the whole series.`);
  }
  const row = first.iop.slice(0, 3);
  const col = first.iop.slice(3, 6);
  const n = cross(row, col);
  const nn = norm(n);
  if (!(nn > 0.5)) {
    throw new ImagingError("MISSING_GEOMETRY", `ImageOrientationPatient ${first.iop.join("\\")} does not describe two perpendicular directions.`);
  }
  const normal: Vec3 = [n[0] / nn, n[1] / nn, n[2] / nn];
  const withD = slices.map((s) => ({ s, d: dot(s.ipp, normal) })).sort((a, b) => a.d - b.d);
  const sorted = withD.map((x) => x.s);
  const d = withD.map((x) => x.d);

  for (let k = 1; k < d.length; k++) {
    if (d[k] - d[k - 1] < DUPLICATE_TOL_MM) {
      throw new ImagingError("DUPLICATE_SLICES", `${sorted[k - 1].p.name} and ${sorted[k].p.name} are at the same position (${fmt(d[k])} mm along the slice normal). The upload contains a slice twice or mixes two acquisitions; remove the duplicates.`, { files: [sorted[k - 1].p.name, sorted[k].p.name] });
    }
  }

  // gantry tilt: positions must advance along the normal, not sideways in the image plane
  const p0 = sorted[0].ipp;
  for (let k = 1; k < sorted.length; k++) {
    const delta = sub(sorted[k].ipp, p0);
    const along = dot(delta, normal);
    const inPlane = norm(sub(delta, [normal[0] * along, normal[1] * along, normal[2] * along]));
    if (inPlane > 0.01 + Math.abs(along) * Math.tan((TILT_TOL_DEG * Math.PI) / 180)) {
      const deg = (Math.atan2(inPlane, Math.abs(along)) * 180) / Math.PI;
      throw new ImagingError("GANTRY_TILT", `The slice positions shift sideways by ${fmt(inPlane)} mm over ${fmt(Math.abs(along))} mm (a ${fmt(deg)}° gantry tilt), so the slices do not stack into a rectangular volume. Reconstruct the series without tilt, or resample it (e.g. dcm2niix corrects tilt) and upload the NIfTI.`, { tiltDegrees: deg });
    }
  }

  const steps = d.slice(1).map((v, k) => v - d[k]);
  const m = median(steps);
  for (let k = 0; k < steps.length; k++) {
    if (steps[k] > GAP_FACTOR * m) {
      const missing = Math.max(1, Math.round(steps[k] / m) - 1);
      throw new ImagingError("MISSING_SLICES", `There is a ${fmt(steps[k])} mm gap between ${sorted[k].p.name} and ${sorted[k + 1].p.name} where the series otherwise steps ${fmt(m)} mm: about ${missing} slice${missing === 1 ? " is" : "s are"} missing. Upload the complete series.`, { files: [sorted[k].p.name, sorted[k + 1].p.name], gapMm: steps[k], stepMm: m });
    }
  }
  const worst = steps.reduce((w, s) => Math.max(w, Math.abs(s - m) / m), 0);
  if (worst > SPACING_TOL) {
    throw new ImagingError("NONUNIFORM_SPACING", `Slice spacing varies from ${fmt(Math.min(...steps))} to ${fmt(Math.max(...steps))} mm (more than 1% around ${fmt(m)} mm); the slices cannot be stacked without resampling. Export a series with uniform spacing.`, { minStep: Math.min(...steps), maxStep: Math.max(...steps) });
  }
  return { sorted, d, normal };
}

/**
 * Load the CT series in `files` as an int16 HU volume with a RAS affine.
 * Voxel (i, j, k): i = column in the image, j = row, k = slice in order along the slice normal.
 */
export function loadDicomSeries(files: DicomFile[], opts: LoadDicomOptions = {}): DicomSeriesResult {
  const { groups, skipped } = groupSeries(files);
  if (groups.size === 0) {
    throw new ImagingError("NOT_DICOM", `None of the ${files.length} uploaded file${files.length === 1 ? " is" : "s are"} DICOM${skipped[0] ? ` (${skipped[0].name}: ${skipped[0].reason})` : ""}. Upload the CT series' DICOM files, or a NIfTI volume.`, { skippedFiles: skipped });
  }
  const warnings: string[] = [];
  const [, group] = chooseSeries(groups, opts, warnings);
  const slices = group.map((p) => sliceInfo(p, opts.decodeFrame));
  const { sorted, d } = orderSlices(slices);

  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const nz = sorted.length;
  const { rows, columns } = first;
  // LPS affine: column index i runs along the row direction cosine (IOP[0..2]) at the column
  // spacing PixelSpacing[1]; row index j along IOP[3..5] at PixelSpacing[0]; k by the position step.
  const rowDir = first.iop.slice(0, 3);
  const colDir = first.iop.slice(3, 6);
  const step = sub(last.ipp, first.ipp).map((v) => v / (nz - 1));
  const [dr, dc] = first.pixelSpacing;
  const lps = [
    rowDir[0] * dc, colDir[0] * dr, step[0], first.ipp[0],
    rowDir[1] * dc, colDir[1] * dr, step[1], first.ipp[1],
    rowDir[2] * dc, colDir[2] * dr, step[2], first.ipp[2],
    0, 0, 0, 1,
  ];
  const affine = lps.map((v, i) => (i < 8 ? -v : v) + 0); // LPS -> RAS: negate the x and y rows (+0 avoids -0)

  const plane = rows * columns;
  const data = new Int16Array(plane * nz);
  sorted.forEach((s, k) => {
    const stored = readStoredPixels(s.p.ds, s.p.transferSyntax, s.format, s.p.name, opts.decodeFrame);
    const out = data.subarray(k * plane, (k + 1) * plane);
    for (let i = 0; i < plane; i++) {
      const hu = Math.round(stored[i] * s.slope + s.intercept);
      out[i] = hu < -32768 ? -32768 : hu > 32767 ? 32767 : hu;
    }
  });

  const ds0 = first.p.ds;
  const sliceSpacing = (d[d.length - 1] - d[0]) / (nz - 1);
  const thickness = Number.parseFloat(str(ds0, "x00180050"));
  if (Number.isFinite(thickness) && Math.abs(thickness - sliceSpacing) > 0.01) {
    warnings.push(`SliceThickness is ${fmt(thickness)} mm but the slice positions step ${fmt(sliceSpacing)} mm; the volume uses ${fmt(sliceSpacing)} mm.`);
  }
  return {
    volume: { dims: [columns, rows, nz], spacing: columnNorms(affine), affine, data },
    meta: {
      seriesInstanceUid: str(ds0, "x0020000e"),
      studyInstanceUid: str(ds0, "x0020000d"),
      frameOfReferenceUid: str(ds0, "x00200052"),
      modality: str(ds0, "x00080060"),
      seriesDescription: str(ds0, "x0008103e"),
      sopInstanceUids: sorted.map((s) => str(s.p.ds, "x00080018") || str(s.p.ds, "x00020003")),
      fileNames: sorted.map((s) => s.p.name),
      transferSyntaxUid: first.p.transferSyntax,
      sliceSpacing,
      sliceThickness: Number.isFinite(thickness) ? thickness : null,
      warnings,
      skippedFiles: skipped,
    },
  };
}
