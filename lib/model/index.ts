export { ModelError, isModelError } from "./errors";
export type { ModelErrorCode } from "./errors";
export {
  MODEL_FORMAT,
  PREPROCESS_VERSION,
  checkGraphAgainstManifest,
  featureChannels,
  inputChannels,
  manifestSchema,
  parseManifest,
  shapesAgree,
} from "./manifest";
export type { ModelManifest, PreprocessSpec, TensorSpec } from "./manifest";
export { bodyCentre, clickMaps, labelsToVolume, modelInput, prepareLabels, prepareVolume, sampleCoords, voxelToModel } from "./preprocess";
export type { ModelClick, PreparedVolume } from "./preprocess";
export { argmaxLabels, codesFor, seededNormals, softmaxProbabilities } from "./sampling";
export { readNpy } from "./npy";
export type { NpyArray } from "./npy";
export { segmentVolume } from "./segment";
export type { EncoderOutput, ModelRunner, SegmentOptions, SegmentResult } from "./segment";
