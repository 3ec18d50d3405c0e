// What an upload holds: one NIfTI volume or the files of a DICOM series. Decides by content
// (magic bytes), not by file name, and returns the source volume with the facts to record.
import { isDicomPart10 } from "./dicom-pixels";
import { loadDicomSeries, type DicomFile, type LoadDicomOptions } from "./dicom-series";
import { isGzip } from "./gzip";
import { readNifti } from "./nifti-read";
import { ImagingError, type Volume } from "./types";
import { DEFAULT_ZIP_LIMITS, isZip, unzipUpload, type ZipLimits } from "./zip";

export type SourceFormat = "nifti" | "dicom";

export interface DecodedUpload {
  format: SourceFormat;
  volume: Volume;
  seriesUids: string[];
  metadata: Record<string, unknown>;
}


/** NIfTI-1/2 signature of a plain (already inflated) header: sizeof_hdr 348 or 540, either endianness. */
function isNiftiHeader(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const le = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  const be = b[3] | (b[2] << 8) | (b[1] << 16) | (b[0] << 24);
  return le === 348 || le === 540 || be === 348 || be === 540;
}

export function detectFormat(files: DicomFile[]): SourceFormat {
  if (files.length === 0) throw new ImagingError("NOT_DICOM", "The upload is empty. Upload a .nii/.nii.gz volume or the files of a DICOM series.");
  if (files.length === 1) {
    const b = files[0].bytes;
    if (isDicomPart10(b)) return "dicom";
    if (isGzip(b) || isNiftiHeader(b)) return "nifti";
    // neither: let the NIfTI reader explain what is wrong with the file
    return /\.nii(\.gz)?$/i.test(files[0].name) || !/\.dcm$/i.test(files[0].name) ? "nifti" : "dicom";
  }
  const nifti = files.filter((f) => isGzip(f.bytes) || isNiftiHeader(f.bytes));
  if (nifti.length > 0) {
    throw new ImagingError(
      "MULTIPLE_SERIES",
      `The upload mixes ${nifti.length} NIfTI file(s) (${nifti.slice(0, 3).map((f) => f.name).join(", ")}) with other files. Upload one volume per case: a single NIfTI file, or one DICOM series.`,
    );
  }
  return "dicom";
}

export interface DecodeUploadOptions extends LoadDicomOptions {
  zipLimits?: ZipLimits;
}

/** Zips are expanded in place (a zip of a series, or several zips of one series' parts). */
function expandZips(files: DicomFile[], limits: ZipLimits): DicomFile[] {
  if (!files.some((f) => isZip(f.bytes))) return files;
  let budget = limits.maxExpandedBytes;
  return files.flatMap((f) => {
    if (!isZip(f.bytes)) return [f];
    const inner = unzipUpload(f.bytes, { ...limits, maxExpandedBytes: budget });
    budget -= inner.reduce((a, x) => a + x.bytes.byteLength, 0);
    if (inner.some((x) => isZip(x.bytes))) throw new ImagingError("ZIP_CORRUPT", `${f.name} contains another zip; upload the series files or one zip of them.`);
    return inner;
  });
}

export function decodeUpload(input: DicomFile[], opts: DecodeUploadOptions = {}): DecodedUpload {
  const files = expandZips(input, opts.zipLimits ?? DEFAULT_ZIP_LIMITS);
  if (detectFormat(files) === "nifti") {
    const v = readNifti(files[0].bytes);
    return { format: "nifti", volume: v, seriesUids: [], metadata: { fileName: files[0].name, nifti: v.nifti } };
  }
  const { volume, meta } = loadDicomSeries(files, opts);
  // de-identified exports may blank the UID (patient B): record none rather than ""
  return { format: "dicom", volume, seriesUids: meta.seriesInstanceUid ? [meta.seriesInstanceUid] : [], metadata: { dicom: meta } };
}

