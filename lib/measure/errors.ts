// Every way an input to the measurements can be unusable. `code` is stable (workers and the UI
// switch on it); `message` says what is wrong and what to do about it.
import { CodedError } from "../errors";

export type MeasureErrorCode =
  /** dims are not three positive integers */
  | "BAD_DIMS"
  /** the label map or the CT does not hold dims[0]·dims[1]·dims[2] values */
  | "DIMS_MISMATCH"
  /** spacing is not three positive finite millimetre values */
  | "BAD_SPACING"
  /** the affine is not 16 finite numbers (4x4 row-major) */
  | "BAD_AFFINE"
  /** labels is not a Uint8Array, or holds a value other than 0, 1, 2 */
  | "BAD_LABELS"
  /** an option is out of range */
  | "BAD_OPTIONS";

export class MeasureError extends CodedError<MeasureErrorCode> {}

export function isMeasureError(e: unknown, code?: MeasureErrorCode): e is MeasureError {
  return e instanceof MeasureError && (code === undefined || e.code === code);
}
