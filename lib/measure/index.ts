// Public API of lib/measure: clinical measurements of a label map on its CT (volumes, burden,
// lesions with HU statistics and RECIST 1.1 diameters, target lesions). Pure.
export { MeasureError, isMeasureError } from "./errors";
export type { MeasureErrorCode } from "./errors";
export { measureLabels } from "./measure";
export type { MeasureInput, MeasureOptions, Measurements } from "./measure";
export type { Lesion, Point3 } from "./lesions";
export { sliceDiameters } from "./recist";
export type { Diameter2d, SliceDiameters } from "./recist";
