// Shared types for lib/imaging. Voxel order everywhere is x fastest: index = i + nx * (j + ny * k),
// the NIfTI order, so one affine maps voxel (i, j, k) to RAS world millimetres for every format.
import { CodedError } from "../errors";


export type VoxelArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export type Vec3 = [number, number, number];

export interface Volume<T extends VoxelArray = VoxelArray> {
  /** voxel counts along i, j, k */
  dims: Vec3;
  /** voxel size in mm along i, j, k (the lengths of the affine's first three columns) */
  spacing: Vec3;
  /** 4x4 row-major matrix, voxel (i, j, k, 1) -> RAS world mm */
  affine: number[];
  data: T;
}

/** The geometry of a volume without its voxels: enough to resample something onto it. */
export type Grid = Pick<Volume, "dims" | "affine">;

export type ImagingErrorCode =
  | "TRUNCATED_GZIP"
  | "CORRUPT_GZIP"
  | "BAD_MAGIC"
  | "UNSUPPORTED_DATATYPE"
  | "DIMS_MISMATCH"
  | "GRID_MISMATCH"
  | "BAD_DIMS"
  | "BAD_SPACING"
  | "BAD_AFFINE"
  | "BAD_ORIENTATION"
  | "NOT_DICOM"
  | "NOT_CT"
  | "MULTIPLE_SERIES"
  | "SERIES_NOT_FOUND"
  | "NO_PIXEL_DATA"
  | "BAD_PIXEL_DATA"
  | "UNSUPPORTED_TRANSFER_SYNTAX"
  | "UNSUPPORTED_PIXEL_FORMAT"
  | "UNSUPPORTED_MULTIFRAME"
  | "MISSING_GEOMETRY"
  | "MIXED_GEOMETRY"
  | "TOO_FEW_SLICES"
  | "GANTRY_TILT"
  | "MIXED_ORIENTATION"
  | "MISSING_SLICES"
  | "DUPLICATE_SLICES"
  | "NONUNIFORM_SPACING"
  | "ZIP_UNSAFE_PATH"
  | "ZIP_BOMB"
  | "ZIP_CORRUPT"
  | "UPLOAD_TOO_LARGE";

/**
 * Every failure a user's file can cause. `code` is stable (callers and the UI switch on it);
 * `message` says what is wrong with the file and what to do about it; `details` carries
 * structured facts (file names, series list) for a UI that wants to offer a choice.
 */
export class ImagingError extends CodedError<ImagingErrorCode> {}

export function isImagingError(e: unknown, code?: ImagingErrorCode): e is ImagingError {
  return e instanceof ImagingError && (code === undefined || e.code === code);
}
