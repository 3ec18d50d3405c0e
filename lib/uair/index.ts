// Public API of lib/uair: the preference engine (sampling, candidates, update, profiles).
export { UairError, isUairError } from "./errors";
export type { UairErrorCode } from "./errors";
export { createRng } from "./rng";
export type { Rng } from "./rng";
export { mixtureFromJSON, mixtureToJSON, sampleMixture, standardMixture, validateMixture } from "./mixture";
export type { Mixture, MixtureJSON, MixtureSamples } from "./mixture";
export {
  STRUCTURES, checkDims, checkLabels, connectedComponents3d, downsampleMask,
  downsampleStructure, majorityLabels, softDice, structureMask, structureVoxels,
} from "./masks";
export type { Components, Dims3, SoftMask, Structure } from "./masks";
export { kMedoids } from "./kmedoids";
export type { Clustering } from "./kmedoids";
export { differenceFrom, summariseMask } from "./summary";
export type { DifferenceSummary, MaskSummary, SummaryOptions } from "./summary";
export { selectCandidates } from "./candidates";
export type { Candidate, CandidateOptions, CandidateSet, CandidateSummary, PrunedCandidate } from "./candidates";
export { pickToVotes, updateFromVotes } from "./update";
export type { UpdateOptions, UpdateResult, Votes } from "./update";
export { derivedPointPrompt } from "./prompt";
export type { PointPrompt } from "./prompt";
export {
  addObservation, describeProfile, emptyProfile, profileCovariance, profileFromJSON, profilePrior, profileToJSON, validateProfile,
} from "./profile";
export type { ProfileJSON, ProfilePriorOptions, ProfileStats, RunningScalar } from "./profile";
export { buildRound, embedRound, planRound } from "./round";
export { checkBox, cropLabels, embedLabels, labelBox, organBox, wholeBox } from "./box";
export type { Box3 } from "./box";
export type { BuildRoundInput, PlanRoundInput, Round, RoundCandidate } from "./round";
export { interactionsToReach, jitteredBox, nextClick, simulatedPick } from "./simulate";
export type { Box, Click, PickOptions, SimulatedPick } from "./simulate";
export { choiceKey, consensus, quorumCount } from "./consensus";
export type { Adjudication, Choice, ConsensusInput, ConsensusResult, ConsensusRule } from "./consensus";
export { disagreementMap } from "./uncertainty";
