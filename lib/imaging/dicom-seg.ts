// DICOM Segmentation (SEG, SOP class 1.2.840.10008.5.1.4.1.1.66.4) export and import for our
// label maps (0 background, 1 liver, 2 tumour), so a PACS or viewer (OHIF, 3D Slicer, ...) shows a
// case's masks on its original DICOM series.
//
// encodeDicomSeg(mask, source, options) -> { bytes, warnings, ... }
//   - `mask` is on the DICOM series grid (loadDicomSeries' volume) or on the canonical RAS grid
//     (a permutation/flip of it, put back losslessly with labelMapToSourceGrid); anything else is
//     refused with GRID_MISMATCH.
//   - BINARY segmentation, 1 bit per pixel, explicit VR little endian, Part-10 with preamble.
//   - One segment per label value that is present (segments with no voxels are left out); frames
//     are written ONLY for slices where that segment has voxels (`includeEmptyFrames` writes every
//     slice for every present segment). Frames are ordered by segment, then along the slice normal.
//   - References: ReferencedSeriesSequence with every source SOP instance; per frame a
//     DerivationImageSequence/SourceImageSequence item naming the source slice; PlanePosition
//     (ImagePositionPatient, LPS) and SegmentIdentification per frame; PlaneOrientation and
//     PixelMeasures shared; the source's StudyInstanceUID and FrameOfReferenceUID; new
//     SeriesInstanceUID / SOPInstanceUID as 2.25.<random UUID as integer> (generateUid).
//   - Source UIDs that are blank (de-identified exports such as the patient-b fixture: Study and
//     Series UID) are replaced by new UIDs and reported in `warnings`: such a SEG cannot be matched
//     to the original series by UID in a PACS.
//
// decodeDicomSeg(bytes, targetGrid, options) -> { volume, segments, warnings, ... }
//   - Frames are stacked by their positions/orientation into the SEG's own voxel grid, then carried
//     onto `targetGrid` by world-space nearest neighbour (transferLabelToGrid): exact for the
//     source series grid or the canonical RAS grid, and usable for any other grid.
//   - Segments become label values by their coded type (liver SCT 10200004 -> 1; neoplasm / mass /
//     lesion -> 2), then by SegmentLabel text; unknown segments are skipped with a warning, or
//     mapped by `labelForSegment`. Where segments overlap, the higher label value wins.
//   - Errors (ImagingError; `details.reason` tells the SEG-specific cases apart):
//       NOT_DICOM                      not a DICOM Part-10 file, or damaged / truncated
//       UNSUPPORTED_DATATYPE  NOT_SEG  DICOM, but not a Segmentation
//       UNSUPPORTED_PIXEL_FORMAT       FRACTIONAL / LABELMAP segmentations, BitsAllocated != 1
//       UNSUPPORTED_TRANSFER_SYNTAX    encapsulated (RLE, JPEG ...) or big-endian pixel data
//       NO_PIXEL_DATA  NO_SEGMENTS | NO_FRAMES | NO_PIXEL_DATA
//       DIMS_MISMATCH                  pixel data shorter than Rows x Columns x NumberOfFrames bits,
//                                      or per-frame groups missing
//       MISSING_GEOMETRY               no position / orientation / pixel spacing for a frame
//       MIXED_ORIENTATION, MIXED_GEOMETRY   frames in different planes / pixel sizes
//       GRID_MISMATCH  FRAMES_OUTSIDE_GRID | IRREGULAR_FRAMES | FRAME_OF_REFERENCE
//       BAD_PIXEL_DATA  UNKNOWN_SEGMENT   a frame names a segment number not in SegmentSequence
import { inflateSync } from "fflate";
import type { DataSet } from "dicom-parser";
import { applyAffine, invertAffine, multiply4 } from "./affine";
import { dicomParser, inflateDeflatedDataset, isDicomPart10 } from "./dicom-pixels";
import { dcmjs, readPart10, writePart10, type NaturalDataset } from "./dicom-seg-dcmjs";
import { labelMapToSourceGrid } from "./label-export";
import { transferLabelToGrid } from "./labels";
import { ImagingError, type Grid, type ImagingErrorCode, type Vec3, type Volume } from "./types";

export const SEG_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.66.4";
export const CT_IMAGE_STORAGE_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const NATIVE_LE_SYNTAXES = new Set(["1.2.840.10008.1.2", EXPLICIT_LE, "1.2.840.10008.1.2.1.99"]);

/** SEG-specific reasons carried in ImagingError.details.reason. */
export type DicomSegProblem =
  | "NOT_SEG"
  | "NO_SEGMENTS"
  | "NO_FRAMES"
  | "NO_PIXEL_DATA"
  | "EMPTY_MASK"
  | "UNKNOWN_SEGMENT"
  | "FRAMES_OUTSIDE_GRID"
  | "IRREGULAR_FRAMES"
  | "FRAME_OF_REFERENCE";

/** A coded concept (DICOM Code Sequence item). */
export interface CodedConcept {
  value: string;
  scheme: string;
  meaning: string;
}

export type SegAlgorithmType = "MANUAL" | "AUTOMATIC" | "SEMIAUTOMATIC";

export interface SegmentDefinition {
  /** the voxel value of this structure in the mask (1..255) */
  labelValue: number;
  /** SegmentLabel, e.g. "Liver" */
  label: string;
  description?: string;
  category: CodedConcept;
  type: CodedConcept;
  typeModifier?: CodedConcept;
  anatomicRegion?: CodedConcept;
  /** sRGB 0..255, written as RecommendedDisplayCIELabValue */
  color?: [number, number, number];
  /** overrides the options' algorithmType / algorithmName for this segment */
  algorithmType?: SegAlgorithmType;
  algorithmName?: string;
}

export const SCT = {
  anatomicalStructure: { value: "123037004", scheme: "SCT", meaning: "Anatomical Structure" },
  morphologicallyAbnormalStructure: { value: "49755003", scheme: "SCT", meaning: "Morphologically Abnormal Structure" },
  liver: { value: "10200004", scheme: "SCT", meaning: "Liver" },
  neoplasm: { value: "108369006", scheme: "SCT", meaning: "Neoplasm" },
} as const satisfies Record<string, CodedConcept>;

export const LIVER_SEGMENT: SegmentDefinition = {
  labelValue: 1,
  label: "Liver",
  category: SCT.anatomicalStructure,
  type: SCT.liver,
  color: [221, 130, 101],
};

export const TUMOUR_SEGMENT: SegmentDefinition = {
  labelValue: 2,
  label: "Liver tumour",
  category: SCT.morphologicallyAbnormalStructure,
  type: SCT.neoplasm,
  anatomicRegion: SCT.liver,
  color: [255, 235, 59],
};

export const DEFAULT_SEGMENTS: readonly SegmentDefinition[] = [LIVER_SEGMENT, TUMOUR_SEGMENT];

/** The source series: its grid and the identifiers recorded at ingest (DicomSeriesMeta fields). */
export interface DicomSegSource {
  /** the DICOM series grid, i.e. loadDicomSeries' volume (dims [columns, rows, slices] + RAS affine) */
  grid: Grid;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  /** one per slice, in volume order (k = 0 first) */
  sopInstanceUids: readonly string[];
  /** SOP class of the source images; default CT Image Storage */
  sopClassUid?: string;
  /** SliceThickness of the source (informational; default: the slice step) */
  sliceThickness?: number | null;
  /** copied into the SEG's Patient module; without it those type-2 attributes are left empty */
  patient?: { name?: string; id?: string; birthDate?: string; sex?: string };
  /** copied into the SEG's General Study module */
  study?: { date?: string; time?: string; id?: string; accessionNumber?: string; referringPhysicianName?: string; description?: string };
}

export interface DicomSegOptions {
  /** structures to export, by mask value; default DEFAULT_SEGMENTS (1 liver, 2 tumour) */
  segments?: readonly SegmentDefinition[];
  algorithmType: SegAlgorithmType;
  /** required unless algorithmType is MANUAL (SegmentAlgorithmName is type 1C) */
  algorithmName?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  /** ContentLabel: CS, up to 16 of A-Z 0-9 space _ (sanitised); default "SEGMENTATION" */
  contentLabel?: string;
  contentDescription?: string;
  /** DICOM PN, e.g. "Doe^Jane" */
  contentCreatorName?: string;
  /** write a frame for every slice of every present segment, not only slices with voxels */
  includeEmptyFrames?: boolean;
  manufacturer?: string;
  manufacturerModelName?: string;
  deviceSerialNumber?: string;
  softwareVersions?: string;
  /** content/series/instance-creation date and time; default now */
  now?: Date;
  /** UID generator; default generateUid (2.25.<random UUID>) */
  uid?: () => string;
  sopInstanceUid?: string;
  seriesInstanceUid?: string;
}

export interface EncodedSegment {
  segmentNumber: number;
  labelValue: number;
  label: string;
  frames: number;
  voxels: number;
}

export interface DicomSegResult {
  /** Part-10 file bytes (128-byte preamble + DICM) */
  bytes: Uint8Array;
  warnings: string[];
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  /** the SeriesInstanceUID written in ReferencedSeriesSequence (generated when the source's was blank) */
  referencedSeriesInstanceUid: string;
  numberOfFrames: number;
  segments: EncodedSegment[];
}

/** A new UID under the 2.25 root: a random (version 4) UUID written as one decimal integer. */
export function generateUid(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return `2.25.${n.toString()}`;
}

const UID_RE = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && UID_RE.test(uid);
}

/** A DS string of at most 16 characters. */
function ds(v: number): string {
  if (Math.abs(v) < 1e-10) return "0";
  let s = String(v);
  for (let p = 15; s.length > 16 && p > 1; p--) s = String(Number(v.toPrecision(p)));
  return s;
}

const code = (c: CodedConcept) => ({ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning });

function dicomDate(d: Date): { date: string; time: string } {
  const iso = d.toISOString(); // UTC
  return { date: iso.slice(0, 10).replace(/-/g, ""), time: iso.slice(11, 19).replace(/:/g, "") };
}

function cieLab(rgb: readonly number[]): number[] {
  const lab = dcmjs.data.Colors.rgb2DICOMLAB(rgb.map((v) => Math.min(255, Math.max(0, v)) / 255));
  return lab.map((v) => Math.min(65535, Math.max(0, Math.round(v))));
}

const fail = (errorCode: ImagingErrorCode, reason: DicomSegProblem, message: string, details: Record<string, unknown> = {}) =>
  new ImagingError(errorCode, message, { reason, ...details });

interface SliceGeometry {
  rows: number;
  columns: number;
  slices: number;
  iop: number[];
  pixelSpacing: [number, number];
  step: number;
  /** ImagePositionPatient (LPS) of slice k */
  ipp(k: number): Vec3;
}

/** DICOM plane geometry of a grid whose voxel (i, j, k) = (column, row, slice), RAS affine. */
function sliceGeometry(grid: Grid): SliceGeometry {
  const a = grid.affine;
  const col = (c: number): Vec3 => [a[c], a[4 + c], a[8 + c]];
  const len = (v: Vec3) => Math.hypot(v[0], v[1], v[2]);
  const lps = (v: readonly number[]): Vec3 => [-v[0] + 0, -v[1] + 0, v[2] + 0];
  const c0 = col(0);
  const c1 = col(1);
  const dc = len(c0);
  const dr = len(c1);
  const rowDir = lps(c0.map((v) => v / dc));
  const colDir = lps(c1.map((v) => v / dr));
  return {
    columns: grid.dims[0],
    rows: grid.dims[1],
    slices: grid.dims[2],
    iop: [...rowDir, ...colDir],
    pixelSpacing: [dr, dc],
    step: len(col(2)),
    ipp: (k) => lps(applyAffine(a, [0, 0, k])),
  };
}

function contentLabelOf(s: string | undefined): string {
  const v = (s ?? "SEGMENTATION").toUpperCase().replace(/[^A-Z0-9 _]/g, "_").slice(0, 16).trim();
  return v || "SEGMENTATION";
}

/**
 * Encode a label map as a DICOM SEG referencing the source series. See the file comment for
 * what is written; throws GRID_MISMATCH (mask not on the series or canonical grid),
 * UNSUPPORTED_DATATYPE (mask values without a segment definition), NO_PIXEL_DATA (empty mask).
 */
export function encodeDicomSeg(mask: Volume<Uint8Array>, source: DicomSegSource, options: DicomSegOptions): DicomSegResult {
  const warnings: string[] = [];
  const newUid = options.uid ?? generateUid;
  const defs = options.segments ?? DEFAULT_SEGMENTS;
  const seen = new Set<number>();
  for (const d of defs) {
    if (!Number.isInteger(d.labelValue) || d.labelValue < 1 || d.labelValue > 255 || seen.has(d.labelValue)) {
      throw new TypeError(`Segment "${d.label}": labelValue must be a unique integer 1..255 (got ${d.labelValue}).`);
    }
    seen.add(d.labelValue);
    const type = d.algorithmType ?? options.algorithmType;
    if (type !== "MANUAL" && !(d.algorithmName ?? options.algorithmName)) {
      throw new TypeError(`Segment "${d.label}" is ${type}: an algorithmName is required (SegmentAlgorithmName is type 1C).`);
    }
  }

  const [nx, ny, nz] = source.grid.dims;
  if (source.sopInstanceUids.length !== nz) {
    throw new ImagingError("DIMS_MISMATCH", `The source series record lists ${source.sopInstanceUids.length} SOP instance UIDs for ${nz} slices; it does not describe this grid.`);
  }
  const onGrid = labelMapToSourceGrid(mask, source.grid.affine, source.grid.dims);
  const data = onGrid.data;
  const plane = nx * ny;

  // voxels per label value and slice
  const perSlice = new Map<number, Uint32Array>();
  for (const d of defs) perSlice.set(d.labelValue, new Uint32Array(nz));
  const unknown = new Map<number, number>();
  for (let k = 0; k < nz; k++) {
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const v = data[base + p];
      if (v === 0) continue;
      const row = perSlice.get(v);
      if (row) row[k]++;
      else unknown.set(v, (unknown.get(v) ?? 0) + 1);
    }
  }
  if (unknown.size) {
    const vals = [...unknown.keys()].sort((a, b) => a - b);
    throw new ImagingError("UNSUPPORTED_DATATYPE", `The mask contains value${vals.length > 1 ? "s" : ""} ${vals.join(", ")} with no segment definition (defined: ${defs.map((d) => `${d.labelValue} ${d.label}`).join(", ")}). Relabel the mask or pass a definition.`, { values: vals });
  }
  const present = defs.filter((d) => perSlice.get(d.labelValue)!.some((c) => c > 0));
  if (present.length === 0) {
    throw fail("NO_PIXEL_DATA", "EMPTY_MASK", "The mask has no voxels for any segment; a DICOM SEG needs at least one segment with content.");
  }

  // UIDs
  const studyUid = source.studyInstanceUid.trim() || newUid();
  if (!source.studyInstanceUid.trim()) warnings.push(`The source StudyInstanceUID is blank; the SEG was given a new study UID ${studyUid}, so a PACS will not file it with the original study.`);
  const refSeriesUid = source.seriesInstanceUid.trim() || newUid();
  if (!source.seriesInstanceUid.trim()) warnings.push(`The source SeriesInstanceUID is blank; ReferencedSeriesSequence uses a generated placeholder ${refSeriesUid} that matches no stored series (the SOP instance references are the originals).`);
  const forUid = source.frameOfReferenceUid.trim() || newUid();
  if (!source.frameOfReferenceUid.trim()) warnings.push(`The source FrameOfReferenceUID is blank; the SEG was given a new one (${forUid}), so viewers will not register it to the source by UID.`);
  const sopUids = source.sopInstanceUids.map((u, k) => {
    const t = u.trim();
    if (t) return t;
    const g = newUid();
    warnings.push(`Slice ${k} has no SOPInstanceUID; its frames reference a generated placeholder ${g}.`);
    return g;
  });
  for (const [what, uid] of [["StudyInstanceUID", studyUid], ["SeriesInstanceUID", refSeriesUid], ["FrameOfReferenceUID", forUid], ...sopUids.map((u, k) => [`SOPInstanceUID of slice ${k}`, u])] as [string, string][]) {
    if (!isValidUid(uid)) warnings.push(`The source ${what} "${uid}" is not a valid DICOM UID; it was copied as it is.`);
  }
  const sopClass = source.sopClassUid?.trim() || CT_IMAGE_STORAGE_SOP_CLASS_UID;
  const seriesUid = options.seriesInstanceUid ?? newUid();
  const sopInstanceUid = options.sopInstanceUid ?? newUid();
  if (!source.patient) warnings.push("No patient attributes were given: PatientName/PatientID are empty, so a PACS may file the SEG apart from the source images. Pass source.patient to copy them.");

  // frames: by segment, then along the slice normal (k ascending)
  const geom = sliceGeometry(onGrid);
  const frames: { seg: number; def: SegmentDefinition; k: number }[] = [];
  present.forEach((def, s) => {
    const counts = perSlice.get(def.labelValue)!;
    for (let k = 0; k < nz; k++) if (options.includeEmptyFrames || counts[k] > 0) frames.push({ seg: s + 1, def, k });
  });
  const usedSlices = [...new Set(frames.map((f) => f.k))].sort((a, b) => a - b);
  const positionIndex = new Map(usedSlices.map((k, i) => [k, i + 1]));

  // pixel data: 1 bit per pixel, first pixel in the least significant bit, frames packed without
  // padding between them (PS3.5 8.1.1), whole value padded to an even length
  const totalBits = frames.length * plane;
  const pixelBytes = new Uint8Array(Math.ceil(totalBits / 8) + (Math.ceil(totalBits / 8) % 2));
  frames.forEach((f, fi) => {
    const base = f.k * plane;
    const v = f.def.labelValue;
    let bit = fi * plane;
    for (let p = 0; p < plane; p++, bit++) if (data[base + p] === v) pixelBytes[bit >>> 3] |= 1 << (bit & 7);
  });

  const { date, time } = dicomDate(options.now ?? new Date());
  const dimensionOrganizationUid = newUid();
  const derivationCode = { CodeValue: "113076", CodingSchemeDesignator: "DCM", CodeMeaning: "Segmentation" };
  const purposeCode = { CodeValue: "121322", CodingSchemeDesignator: "DCM", CodeMeaning: "Source image for image processing operation" };

  const segmentSequence = present.map((d, s) => {
    const algorithmType = d.algorithmType ?? options.algorithmType;
    const algorithmName = d.algorithmName ?? options.algorithmName;
    const item: NaturalDataset = {
      SegmentNumber: s + 1,
      SegmentLabel: d.label.slice(0, 64),
      SegmentAlgorithmType: algorithmType,
      SegmentedPropertyCategoryCodeSequence: [code(d.category)],
      SegmentedPropertyTypeCodeSequence: [
        d.typeModifier ? { ...code(d.type), SegmentedPropertyTypeModifierCodeSequence: [code(d.typeModifier)] } : code(d.type),
      ],
    };
    if (d.description) item.SegmentDescription = d.description.slice(0, 64);
    if (algorithmName) item.SegmentAlgorithmName = algorithmName.slice(0, 64);
    if (d.anatomicRegion) item.AnatomicRegionSequence = [code(d.anatomicRegion)];
    if (d.color) item.RecommendedDisplayCIELabValue = cieLab(d.color);
    return item;
  });

  const pixelMeasures: NaturalDataset = {
    PixelSpacing: geom.pixelSpacing.map(ds),
    SliceThickness: ds(source.sliceThickness && source.sliceThickness > 0 ? source.sliceThickness : geom.step),
    SpacingBetweenSlices: ds(geom.step),
  };

  const perFrame = frames.map((f) => ({
    DerivationImageSequence: [
      {
        SourceImageSequence: [{ ReferencedSOPClassUID: sopClass, ReferencedSOPInstanceUID: sopUids[f.k], PurposeOfReferenceCodeSequence: [purposeCode] }],
        DerivationCodeSequence: [derivationCode],
      },
    ],
    FrameContentSequence: [{ DimensionIndexValues: [f.seg, positionIndex.get(f.k)!] }],
    PlanePositionSequence: [{ ImagePositionPatient: geom.ipp(f.k).map(ds) }],
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.seg }],
  }));

  const patient = source.patient ?? {};
  const study = source.study ?? {};
  const texts = [options.seriesDescription, options.contentDescription, options.contentCreatorName, patient.name, patient.id, study.description, ...present.map((d) => d.label + (d.description ?? ""))];
  const nonAscii = texts.some((t) => t !== undefined && /[^\x20-\x7e]/.test(t));

  const dataset: NaturalDataset = {
    ...(nonAscii ? { SpecificCharacterSet: "ISO_IR 192" } : {}),
    ImageType: ["DERIVED", "PRIMARY"],
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    SOPClassUID: SEG_SOP_CLASS_UID,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: study.date ?? "",
    SeriesDate: date,
    ContentDate: date,
    StudyTime: study.time ?? "",
    SeriesTime: time,
    ContentTime: time,
    AccessionNumber: study.accessionNumber ?? "",
    Modality: "SEG",
    Manufacturer: options.manufacturer ?? "uAIR",
    ReferringPhysicianName: study.referringPhysicianName ?? "",
    ...(study.description ? { StudyDescription: study.description.slice(0, 64) } : {}),
    SeriesDescription: (options.seriesDescription ?? "Segmentation").slice(0, 64),
    ManufacturerModelName: options.manufacturerModelName ?? "uAIR imaging",
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: refSeriesUid,
        ReferencedInstanceSequence: sopUids.map((u) => ({ ReferencedSOPClassUID: sopClass, ReferencedSOPInstanceUID: u })),
      },
    ],
    PatientName: patient.name ?? "",
    PatientID: patient.id ?? "",
    PatientBirthDate: patient.birthDate ?? "",
    PatientSex: patient.sex ?? "",
    DeviceSerialNumber: options.deviceSerialNumber ?? "0",
    SoftwareVersions: options.softwareVersions ?? "1",
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    StudyID: study.id ?? "",
    SeriesNumber: options.seriesNumber ?? 300,
    InstanceNumber: options.instanceNumber ?? 1,
    FrameOfReferenceUID: forUid,
    PositionReferenceIndicator: "",
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimensionOrganizationUid, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: "ReferencedSegmentNumber" },
      { DimensionOrganizationUID: dimensionOrganizationUid, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: "ImagePositionPatient" },
    ],
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    NumberOfFrames: frames.length,
    Rows: ny,
    Columns: nx,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: "00",
    SegmentationType: "BINARY",
    ContentLabel: contentLabelOf(options.contentLabel),
    ContentDescription: (options.contentDescription ?? "").slice(0, 64),
    ContentCreatorName: options.contentCreatorName ?? "",
    SegmentsOverlap: "NO",
    SegmentSequence: segmentSequence,
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: geom.iop.map(ds) }],
        PixelMeasuresSequence: [pixelMeasures],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    PixelData: [pixelBytes.buffer],
    _vrMap: { PixelData: "OB" },
  };

  const bytes = writePart10(dataset, EXPLICIT_LE);
  return {
    bytes,
    warnings,
    sopInstanceUid,
    seriesInstanceUid: seriesUid,
    studyInstanceUid: studyUid,
    frameOfReferenceUid: forUid,
    referencedSeriesInstanceUid: refSeriesUid,
    numberOfFrames: frames.length,
    segments: present.map((d, s) => {
      const counts = perSlice.get(d.labelValue)!;
      return {
        segmentNumber: s + 1,
        labelValue: d.labelValue,
        label: d.label,
        frames: frames.filter((f) => f.seg === s + 1).length,
        voxels: counts.reduce((a, b) => a + b, 0),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// decoding

export interface DecodedSegment {
  segmentNumber: number;
  label: string;
  description?: string;
  algorithmType: string;
  algorithmName?: string;
  category: CodedConcept | null;
  type: CodedConcept | null;
  anatomicRegion: CodedConcept | null;
  /** the label value its voxels got in the output, null when skipped */
  labelValue: number | null;
  frames: number;
  /** foreground voxels in the SEG's own frames */
  voxels: number;
}

export interface DecodeDicomSegOptions {
  /** segment number -> label value (0 skips), or a function of the segment; overrides the default mapping */
  labelForSegment?: Readonly<Record<number, number>> | ((segment: Omit<DecodedSegment, "labelValue" | "frames" | "voxels">) => number | null);
  /** drop SEG voxels that fall outside the target grid instead of refusing (GRID_MISMATCH) */
  allowOutside?: boolean;
  /** the target's FrameOfReferenceUID: a SEG in another frame of reference is refused */
  frameOfReferenceUid?: string;
}

export interface DecodedDicomSeg {
  /** uint8 label map on the target grid */
  volume: Volume<Uint8Array>;
  /** true when the SEG's frames fall exactly on target voxels (no resampling happened) */
  aligned: boolean;
  segments: DecodedSegment[];
  warnings: string[];
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  referencedSeriesInstanceUids: string[];
  /** ReferencedSOPInstanceUID of each frame's source image ("" when absent) */
  frameSourceSopInstanceUids: string[];
  /** the SEG's frames stacked into their own grid (before transfer to the target) */
  segGrid: Grid;
}

const LIVER_CODES = new Set(["SCT:10200004", "SRT:T-62000"]);
const TUMOUR_CODES = new Set(["SCT:108369006", "SCT:4147007", "SCT:52988006", "SCT:372087000", "SRT:M-80003", "SRT:M-80000", "SRT:M-03000"]);

/** Default segment -> label value: coded type first, then the SegmentLabel text; null = unknown. */
export function defaultLabelForSegment(s: { label: string; type: CodedConcept | null; description?: string }): number | null {
  if (s.type) {
    const key = `${s.type.scheme.toUpperCase()}:${s.type.value}`;
    if (LIVER_CODES.has(key)) return 1;
    if (TUMOUR_CODES.has(key)) return 2;
  }
  const text = `${s.label} ${s.description ?? ""}`;
  if (/tumou?r|neoplas|lesion|metasta|carcinoma|\bhcc\b|\bmass\b/i.test(text)) return 2;
  if (/liver|hepat/i.test(text)) return 1;
  return null;
}

const items = (v: unknown): NaturalDataset[] => (Array.isArray(v) ? (v as NaturalDataset[]) : v && typeof v === "object" ? [v as NaturalDataset] : []);
const first = (v: unknown): NaturalDataset | undefined => items(v)[0];
const str = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.length ? str(v[0]) : "";
  if (typeof v === "object") return String((v as { Alphabetic?: unknown }).Alphabetic ?? "");
  return String(v).trim();
};
const num = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : v === null || v === undefined || v === "" ? Number.NaN : Number(v));
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : v === null || v === undefined || v === "" ? [] : [Number(v)]);
const concept = (v: unknown): CodedConcept | null => {
  const c = first(v);
  return c ? { value: str(c.CodeValue), scheme: str(c.CodingSchemeDesignator), meaning: str(c.CodeMeaning) } : null;
};

const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * Decode a BINARY DICOM SEG into a uint8 label map on `target` (see the file comment for the
 * label mapping, resampling and error codes).
 */
export function decodeDicomSeg(bytes: Uint8Array, target: Grid, opts: DecodeDicomSegOptions = {}): DecodedDicomSeg {
  const warnings: string[] = [];
  if (!isDicomPart10(bytes)) throw new ImagingError("NOT_DICOM", "The file is not a DICOM Part-10 file (no DICM prefix after the 128-byte preamble); upload the DICOM SEG file itself.");
  // dicom-parser checks the element structure (dcmjs silently returns partial or padded values for
  // a truncated file) and gives the pixel bytes; dcmjs gives the naturalized attributes
  let dp: DataSet;
  try {
    dp = dicomParser.parseDicom(bytes, { inflater: inflateDeflatedDataset((d) => inflateSync(d)) });
  } catch (e) {
    const why = typeof e === "string" ? e : ((e as { exception?: string }).exception ?? (e as Error).message);
    throw new ImagingError("NOT_DICOM", `The DICOM file cannot be parsed (${why}); it is damaged or truncated. Export or copy the SEG again.`);
  }
  let ds: NaturalDataset;
  let meta: NaturalDataset;
  try {
    ({ dataset: ds, meta } = readPart10(bytes));
  } catch (e) {
    throw new ImagingError("NOT_DICOM", `The DICOM file cannot be parsed (${(e as Error).message}); it is damaged or truncated. Export or copy the SEG again.`);
  }

  const sopClass = str(ds.SOPClassUID) || str(meta.MediaStorageSOPClassUID);
  if (sopClass !== SEG_SOP_CLASS_UID) {
    const modality = str(ds.Modality) || "unknown modality";
    throw fail("UNSUPPORTED_DATATYPE", "NOT_SEG", `This DICOM file is not a Segmentation (SOP class ${sopClass || "missing"}, ${modality}); upload a DICOM SEG object (SOP class ${SEG_SOP_CLASS_UID}).`, { sopClassUid: sopClass, modality });
  }
  const ts = str(meta.TransferSyntaxUID) || EXPLICIT_LE;
  if (!NATIVE_LE_SYNTAXES.has(ts)) {
    throw new ImagingError("UNSUPPORTED_TRANSFER_SYNTAX", `The SEG's pixel data uses transfer syntax ${ts}; only uncompressed little-endian (implicit, explicit or deflated) SEGs are read. Re-export it uncompressed.`, { transferSyntaxUid: ts });
  }
  const pixelElement = dp.elements.x7fe00010;
  if (!pixelElement || pixelElement.length === 0) {
    throw fail("NO_PIXEL_DATA", "NO_PIXEL_DATA", "The SEG has no PixelData (if it should have, the file is truncated).");
  }
  if (pixelElement.encapsulatedPixelData) {
    throw new ImagingError("UNSUPPORTED_TRANSFER_SYNTAX", "The SEG's pixel data is encapsulated (compressed); only uncompressed SEGs are read. Re-export it uncompressed.", { transferSyntaxUid: ts });
  }
  const pixels = (dp.byteArray as Uint8Array).subarray(pixelElement.dataOffset, pixelElement.dataOffset + pixelElement.length);
  const segType = str(ds.SegmentationType).toUpperCase();
  const bitsAllocated = num(ds.BitsAllocated);
  if (segType !== "BINARY" || bitsAllocated !== 1) {
    throw new ImagingError("UNSUPPORTED_PIXEL_FORMAT", `Only BINARY segmentations with 1 bit per pixel are read; this SEG is ${segType || "of unknown type"} with BitsAllocated ${Number.isFinite(bitsAllocated) ? bitsAllocated : "missing"}.`, { segmentationType: segType, bitsAllocated });
  }

  const segItems = items(ds.SegmentSequence);
  if (segItems.length === 0) throw fail("NO_PIXEL_DATA", "NO_SEGMENTS", "The SEG has no SegmentSequence items: it defines no segments.");
  const rows = num(ds.Rows);
  const columns = num(ds.Columns);
  const nFrames = Number.isFinite(num(ds.NumberOfFrames)) ? num(ds.NumberOfFrames) : 1;
  if (!(rows > 0 && columns > 0 && Number.isInteger(rows) && Number.isInteger(columns))) {
    throw new ImagingError("BAD_DIMS", `The SEG's Rows x Columns (${str(ds.Rows)} x ${str(ds.Columns)}) are not positive integers.`);
  }
  if (!(nFrames >= 1)) throw fail("NO_PIXEL_DATA", "NO_FRAMES", "The SEG has no frames (NumberOfFrames is 0).");
  const plane = rows * columns;
  const needBytes = Math.ceil((plane * nFrames) / 8);
  if (pixels.length < needBytes) {
    throw new ImagingError("DIMS_MISMATCH", `The SEG's PixelData holds ${pixels.length} bytes but ${nFrames} frames of ${columns} x ${rows} one-bit pixels need ${needBytes}; the file is truncated or inconsistent.`, { bytes: pixels.length, needed: needBytes });
  }

  // segments
  const segments = new Map<number, DecodedSegment>();
  for (const it of segItems) {
    const n = num(it.SegmentNumber);
    const s: DecodedSegment = {
      segmentNumber: n,
      label: str(it.SegmentLabel),
      algorithmType: str(it.SegmentAlgorithmType),
      category: concept(it.SegmentedPropertyCategoryCodeSequence),
      type: concept(it.SegmentedPropertyTypeCodeSequence),
      anatomicRegion: concept(it.AnatomicRegionSequence),
      labelValue: null,
      frames: 0,
      voxels: 0,
    };
    const desc = str(it.SegmentDescription);
    if (desc) s.description = desc;
    const alg = str(it.SegmentAlgorithmName);
    if (alg) s.algorithmName = alg;
    const m = opts.labelForSegment;
    let value: number | null;
    if (typeof m === "function") value = m(s);
    else if (m && n in m) value = m[n];
    else value = defaultLabelForSegment(s);
    if (value !== null && (!Number.isInteger(value) || value < 0 || value > 255)) {
      throw new TypeError(`labelForSegment gave ${value} for segment ${n}; label values are integers 0..255.`);
    }
    s.labelValue = value === 0 ? null : value;
    if (s.labelValue === null) warnings.push(`Segment ${n} "${s.label}" (${s.type ? `${s.type.scheme} ${s.type.value} ${s.type.meaning}` : "no type code"}) has no label value here and was skipped.`);
    segments.set(n, s);
  }

  // per-frame geometry and segment
  const shared = first(ds.SharedFunctionalGroupsSequence) ?? {};
  const perFrame = items(ds.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== nFrames) {
    throw new ImagingError("DIMS_MISMATCH", `The SEG has ${nFrames} frames but ${perFrame.length} PerFrameFunctionalGroupsSequence items.`, { frames: nFrames, perFrameItems: perFrame.length });
  }
  const group = (f: number, name: string): NaturalDataset | undefined => first(perFrame[f][name]) ?? first(shared[name]);
  const frameSeg: number[] = [];
  const frameIpp: Vec3[] = [];
  const frameSource: string[] = [];
  let iop: number[] | null = null;
  let spacing: number[] | null = null;
  let sliceSpacing = Number.NaN;
  for (let f = 0; f < nFrames; f++) {
    const segNo = num(group(f, "SegmentIdentificationSequence")?.ReferencedSegmentNumber);
    if (!segments.has(segNo)) {
      throw fail("BAD_PIXEL_DATA", "UNKNOWN_SEGMENT", `Frame ${f + 1} belongs to segment ${Number.isFinite(segNo) ? segNo : "(none)"}, which SegmentSequence does not define.`, { frame: f + 1, segmentNumber: segNo });
    }
    frameSeg.push(segNo);
    const ipp = nums(group(f, "PlanePositionSequence")?.ImagePositionPatient);
    const o = nums(group(f, "PlaneOrientationSequence")?.ImageOrientationPatient ?? ds.ImageOrientationPatient);
    const measures = group(f, "PixelMeasuresSequence");
    const ps = nums(measures?.PixelSpacing ?? ds.PixelSpacing);
    if (ipp.length < 3 || !ipp.slice(0, 3).every(Number.isFinite) || o.length < 6 || !o.slice(0, 6).every(Number.isFinite) || ps.length < 2 || !(ps[0] > 0 && ps[1] > 0)) {
      throw new ImagingError("MISSING_GEOMETRY", `Frame ${f + 1} of the SEG lacks ${ipp.length < 3 ? "ImagePositionPatient" : o.length < 6 ? "ImageOrientationPatient" : "PixelSpacing"} in its functional groups; it cannot be placed in space.`, { frame: f + 1 });
    }
    frameIpp.push([ipp[0], ipp[1], ipp[2]]);
    if (!iop) iop = o.slice(0, 6);
    else if (o.slice(0, 6).some((v, i) => Math.abs(v - iop![i]) > 1e-3)) {
      throw new ImagingError("MIXED_ORIENTATION", `Frame ${f + 1} of the SEG lies in another plane (ImageOrientationPatient ${o.join("\\")} vs ${iop.join("\\")}); only SEGs whose frames share one orientation are read.`, { frame: f + 1 });
    }
    if (!spacing) spacing = ps.slice(0, 2);
    else if (Math.abs(ps[0] - spacing[0]) > 1e-4 || Math.abs(ps[1] - spacing[1]) > 1e-4) {
      throw new ImagingError("MIXED_GEOMETRY", `Frame ${f + 1} of the SEG has pixel spacing ${ps.join("\\")} but frame 1 has ${spacing.join("\\")}.`, { frame: f + 1 });
    }
    if (f === 0) sliceSpacing = num(measures?.SpacingBetweenSlices ?? ds.SpacingBetweenSlices);
    const src = first(first(group(f, "DerivationImageSequence")?.SourceImageSequence));
    frameSource.push(str(src?.ReferencedSOPInstanceUID));
  }

  // stack the frames into the SEG's own grid: column i, row j, plane k along the normal
  const rowDir = iop!.slice(0, 3);
  const colDir = iop!.slice(3, 6);
  const n = [rowDir[1] * colDir[2] - rowDir[2] * colDir[1], rowDir[2] * colDir[0] - rowDir[0] * colDir[2], rowDir[0] * colDir[1] - rowDir[1] * colDir[0]];
  const nn = Math.hypot(n[0], n[1], n[2]);
  if (!(nn > 0.5)) throw new ImagingError("MISSING_GEOMETRY", `The SEG's ImageOrientationPatient ${iop!.join("\\")} does not describe two perpendicular directions.`);
  const normal = n.map((v) => v / nn);
  const [dr, dc] = spacing!;
  const d = frameIpp.map((p) => dot(p, normal));
  const dmin = Math.min(...d);
  const dmax = Math.max(...d);
  const ref = frameIpp[0];
  const inPlaneTol = 0.1 * Math.min(dr, dc);
  for (let f = 1; f < nFrames; f++) {
    const delta = [frameIpp[f][0] - ref[0], frameIpp[f][1] - ref[1], frameIpp[f][2] - ref[2]];
    const along = dot(delta, normal);
    const side = Math.hypot(delta[0] - normal[0] * along, delta[1] - normal[1] * along, delta[2] - normal[2] * along);
    if (side > inPlaneTol) {
      throw fail("GRID_MISMATCH", "IRREGULAR_FRAMES", `Frame ${f + 1} of the SEG is shifted ${side.toFixed(3)} mm sideways from frame 1 within the image plane; its frames do not stack into one grid.`, { frame: f + 1, shiftMm: side });
    }
  }
  const planes = [...new Set(d.map((v) => Math.round((v - dmin) * 1e4) / 1e4))].sort((a, b) => a - b);
  let minGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < planes.length; i++) minGap = Math.min(minGap, planes[i] - planes[i - 1]);
  let step0 = sliceSpacing > 0 ? sliceSpacing : Number.isFinite(minGap) ? minGap : num(first(shared.PixelMeasuresSequence)?.SliceThickness);
  if (!(step0 > 0)) step0 = Math.min(dr, dc);
  const fitLattice = (s0: number): { step: number; nk: number } | null => {
    const span = dmax - dmin;
    const nk = Math.round(span / s0);
    const step = nk > 0 ? span / nk : s0;
    for (const v of d) {
      const t = (v - dmin) / step;
      if (Math.abs(t - Math.round(t)) > 0.1) return null;
    }
    return { step, nk: nk + 1 };
  };
  const lattice = fitLattice(step0) ?? (Number.isFinite(minGap) ? fitLattice(minGap) : null);
  if (!lattice) {
    throw fail("GRID_MISMATCH", "IRREGULAR_FRAMES", "The SEG's frame positions are not evenly spaced along the slice normal; they cannot be stacked into a grid.", { planesMm: planes });
  }
  const { step, nk } = lattice;
  if (nk > 4096 || columns > 2048 * 8 || rows > 2048 * 8) {
    throw new ImagingError("BAD_DIMS", `The SEG's frames span ${columns} x ${rows} x ${nk} voxels; that is beyond what this reader accepts.`);
  }
  const origin = [ref[0] + normal[0] * (dmin - d[0]), ref[1] + normal[1] * (dmin - d[0]), ref[2] + normal[2] * (dmin - d[0])];
  const lpsAffine = [
    rowDir[0] * dc, colDir[0] * dr, normal[0] * step, origin[0],
    rowDir[1] * dc, colDir[1] * dr, normal[1] * step, origin[1],
    rowDir[2] * dc, colDir[2] * dr, normal[2] * step, origin[2],
    0, 0, 0, 1,
  ];
  const segAffine = lpsAffine.map((v, i) => (i < 8 ? -v : v) + 0);
  const segData = new Uint8Array(plane * nk);
  for (let f = 0; f < nFrames; f++) {
    const s = segments.get(frameSeg[f])!;
    s.frames++;
    const k = Math.round((d[f] - dmin) / step);
    const value = s.labelValue;
    const out = k * plane;
    let voxels = 0;
    const start = f * plane;
    const end = start + plane;
    for (let bit = start; bit < end; ) {
      const byte = pixels[bit >>> 3];
      if (byte === 0 && (bit & 7) === 0 && bit + 8 <= end) {
        bit += 8;
        continue;
      }
      if (byte & (1 << (bit & 7))) {
        voxels++;
        if (value !== null) {
          const o = out + (bit - start);
          if (value > segData[o]) segData[o] = value;
        }
      }
      bit++;
    }
    s.voxels += voxels;
  }

  const forUid = str(ds.FrameOfReferenceUID);
  if (opts.frameOfReferenceUid && forUid && opts.frameOfReferenceUid !== forUid) {
    throw fail("GRID_MISMATCH", "FRAME_OF_REFERENCE", `The SEG is in frame of reference ${forUid}, the target volume in ${opts.frameOfReferenceUid}: they belong to different acquisitions.`, { segFrameOfReferenceUid: forUid });
  }

  // refuse SEG voxels that would be lost outside the target grid
  const toTarget = multiply4(invertAffine(target.affine), segAffine);
  const [tx, ty, tz] = target.dims;
  let outside = 0;
  let total = 0;
  for (let k = 0, o = 0; k < nk; k++) {
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < columns; i++, o++) {
        if (segData[o] === 0) continue;
        total++;
        const p = applyAffine(toTarget, [i, j, k]);
        if (p[0] < -0.5 || p[1] < -0.5 || p[2] < -0.5 || p[0] > tx - 0.5 || p[1] > ty - 0.5 || p[2] > tz - 0.5) outside++;
      }
    }
  }
  if (outside > 0) {
    const msg = `${outside} of the SEG's ${total} labelled voxels lie outside the target volume's grid: the SEG was made on another series or region.`;
    if (!opts.allowOutside) throw fail("GRID_MISMATCH", "FRAMES_OUTSIDE_GRID", `${msg} Check that it belongs to this series.`, { outsideVoxels: outside, labelledVoxels: total });
    warnings.push(`${msg} They were dropped.`);
  }

  const segVolume: Volume<Uint8Array> = { dims: [columns, rows, nk], spacing: [dc, dr, step], affine: segAffine, data: segData };
  const onTarget = transferLabelToGrid(segVolume, target);
  const refSeries = items(ds.ReferencedSeriesSequence).map((it) => str(it.SeriesInstanceUID)).filter(Boolean);
  return {
    volume: { dims: onTarget.dims, spacing: onTarget.spacing, affine: onTarget.affine, data: onTarget.data },
    aligned: onTarget.aligned,
    segments: [...segments.values()],
    warnings,
    sopInstanceUid: str(ds.SOPInstanceUID),
    seriesInstanceUid: str(ds.SeriesInstanceUID),
    studyInstanceUid: str(ds.StudyInstanceUID),
    frameOfReferenceUid: forUid,
    referencedSeriesInstanceUids: refSeries,
    frameSourceSopInstanceUids: frameSource,
    segGrid: { dims: segVolume.dims, affine: segAffine },
  };
}
