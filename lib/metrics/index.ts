// Segmentation metrics: overlap, volumes, surface distances and lesion detection (pure functions).
export { bestOfDice, dice, maskOf, meanPairwiseDice } from "./overlap";
export { jaccard, volumeDifference, volumeMl, voxelMl, type VolumeDifference } from "./volume";
export { distanceTransformSq, surfaceDice, surfaceDistances, surfaceVoxels, type SurfaceDistances } from "./surface";
export {
  matchLesions,
  selectStructure,
  structureMetrics,
  type Lesion,
  type LesionMatching,
  type LesionOptions,
  type LesionPair,
  type StructureMetrics,
  type StructureOptions,
} from "./lesions";
export { isMetricsError, MetricsError, type Dims3, type MetricsErrorCode, type Spacing3 } from "./errors";
