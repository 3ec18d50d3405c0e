export { ModelError, isModelError } from "./errors";
export type { ModelErrorCode } from "./errors";
export {
  MODEL_FORMAT,
  PREPROCESS_VERSION,
  checkGraphAgainstManifest,
  decoderTakesCrops,
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
export { decodeSlices, emptyEncoding, encodeSlices, segmentVolume } from "./segment";
export type { EncodedVolume, EncoderOutput, DecodeBox, ModelRunner, SegmentOptions, SegmentResult, Timings } from "./segment";
