// Every way a model folder can be unusable. `code` is stable (workers and the UI switch on it);
// `message` says what is wrong and what to do about it.
import { CodedError } from "../errors";

export type ModelErrorCode =
  | "MANIFEST_MISSING"
  | "BAD_MANIFEST"
  | "UNSUPPORTED_FORMAT"
  | "FILE_MISSING"
  | "SHA256_MISMATCH"
  | "SHAPE_MISMATCH"
  | "DEVICE_UNAVAILABLE"
  | "BAD_NPY"
  | "BAD_INPUT";

export class ModelError extends CodedError<ModelErrorCode> {}

export function isModelError(e: unknown, code?: ModelErrorCode): e is ModelError {
  return e instanceof ModelError && (code === undefined || e.code === code);
}
