// Public API of lib/imaging: volumes, NIfTI and DICOM codecs, orientation, labels, statistics.
export { ImagingError, isImagingError } from "./types";
export type { Grid, ImagingErrorCode, Vec3, Volume, VoxelArray } from "./types";

export { affinesClose, applyAffine, columnNorms, invertAffine, multiply4 } from "./affine";
export { gunzip, isGzip } from "./gzip";

export { MAX_DIMS, readNifti, toInt16HU, qformToAffine } from "./nifti-read";
export type { AffineSource, NiftiInfo, NiftiVolume } from "./nifti-read";
export { affineToQuaternion, encodeNifti, writeNifti } from "./nifti-write";
export type { NiftiWriteOptions } from "./nifti-write";

export { toCanonicalCT } from "./canonical";
export { orientationCode, reorient, reorientFromRAS, reorientToRAS } from "./orientation";
export type { AxisLetter } from "./orientation";

export { listDicomSeries, loadDicomSeries } from "./dicom-series";
export type { DicomFile, DicomSeriesMeta, DicomSeriesResult, LoadDicomOptions, SeriesSummary } from "./dicom-series";
export { transferSyntaxName } from "./dicom-pixels";
export type { DecodedFrame, FrameDecoder } from "./dicom-pixels";

export { LABEL, TOTALSEG_LIVER, binarise, gridMapping, labelCounts, relabel, transferLabelToGrid } from "./labels";
export type { GridMapping } from "./labels";
export { huRange, maskVolume, meanInMask, valueRange } from "./stats";

export { MASK_LABEL_VALUES, assertLabelValues, exportLabelNifti, gridCornerDistance, labelMapToSourceGrid } from "./label-export";
export type { LabelNiftiOptions, SourceGridOptions } from "./label-export";
export {
  CT_IMAGE_STORAGE_SOP_CLASS_UID, DEFAULT_SEGMENTS, LIVER_SEGMENT, SCT, SEG_SOP_CLASS_UID, TUMOUR_SEGMENT,
  decodeDicomSeg, defaultLabelForSegment, encodeDicomSeg, generateUid, isValidUid,
} from "./dicom-seg";
export type {
  CodedConcept, DecodeDicomSegOptions, DecodedDicomSeg, DecodedSegment, DicomSegOptions, DicomSegProblem, DicomSegResult,
  DicomSegSource, EncodedSegment, SegAlgorithmType, SegmentDefinition,
} from "./dicom-seg";
