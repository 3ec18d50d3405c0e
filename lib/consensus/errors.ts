// Every way an input to the consensus functions (majority vote, STAPLE) can be unusable. `code` is
// stable (workers and the UI switch on it); `message` says what is wrong and what to do about it.
import { CodedError } from "../errors";

export type ConsensusErrorCode =
  /** no readers, or (STAPLE) no voxels */
  | "EMPTY"
  /** readers' masks do not share one grid (different voxel counts) */
  | "DIMS_MISMATCH"
  /** a mask that is not a Uint8Array, a label outside 0..labels-1, or an option out of range */
  | "BAD_INPUT";

export class ConsensusError extends CodedError<ConsensusErrorCode> {}

export function isConsensusError(e: unknown, code?: ConsensusErrorCode): e is ConsensusError {
  return e instanceof ConsensusError && (code === undefined || e.code === code);
}
