// Every way an input to the preference engine can be unusable. `code` is stable (workers and the
// UI switch on it); `message` says what is wrong and what to do about it.
import { CodedError } from "../errors";

export type UairErrorCode =
  | "BAD_INPUT"
  | "EMPTY_SAMPLES"
  | "DIMS_MISMATCH"
  | "BAD_CODES"
  | "BAD_MIXTURE"
  | "BAD_PICK"
  | "BAD_PROFILE";

export class UairError extends CodedError<UairErrorCode> {}

export function isUairError(e: unknown, code?: UairErrorCode): e is UairError {
  return e instanceof UairError && (code === undefined || e.code === code);
}
