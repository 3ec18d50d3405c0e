// Public API of lib/consensus: consensus of several readers' masks on one grid (majority vote and
// STAPLE), pure and exact; see majority.ts and staple.ts for the rules and the pattern aggregation.
export { ConsensusError, isConsensusError } from "./errors";
export type { ConsensusErrorCode } from "./errors";
export { majorityBinary, majorityVote } from "./majority";
export type { MajorityOptions } from "./majority";
export { readerReport, stapleBinary, stapleMulti } from "./staple";
export type { StapleBinaryOptions, StapleBinaryResult, StapleMultiOptions, StapleMultiResult, StapleOptions } from "./staple";
