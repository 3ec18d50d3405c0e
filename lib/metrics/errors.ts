// Every way an input to the metrics can be unusable. `code` is stable (callers and the UI switch on
// it); `message` says what is wrong and what to do about it. Also the shared input checks.
import { CodedError } from "../errors";

export type MetricsErrorCode = "BAD_INPUT" | "DIMS_MISMATCH" | "BAD_SPACING";

export class MetricsError extends CodedError<MetricsErrorCode> {}

export function isMetricsError(e: unknown, code?: MetricsErrorCode): e is MetricsError {
  return e instanceof MetricsError && (code === undefined || e.code === code);
}

/** Grid size [nx, ny, nz], x fastest: index = x + nx * (y + ny * z). */
export type Dims3 = readonly [number, number, number];
/** Voxel size [sx, sy, sz] in mm. */
export type Spacing3 = readonly [number, number, number];

/** DIMS_MISMATCH unless dims are three positive integers whose product is every mask's length. */
export function checkDims(dims: Dims3, ...masks: ArrayLike<number>[]): number {
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new MetricsError("DIMS_MISMATCH", `dims must be three positive integers [nx, ny, nz], got ${JSON.stringify(dims)}.`);
  }
  const n = dims[0] * dims[1] * dims[2];
  masks.forEach((m, k) => {
    if (!m || typeof m.length !== "number") throw new MetricsError("BAD_INPUT", `mask ${k} is not an array of voxels.`);
    if (m.length !== n) {
      throw new MetricsError("DIMS_MISMATCH", `mask ${k} has ${m.length} voxels but dims ${dims.join("x")} need ${n}.`, {
        mask: k,
        length: m.length,
        expected: n,
      });
    }
  });
  return n;
}

/** BAD_SPACING unless spacing is three finite positive numbers (mm). */
export function checkSpacing(spacing: Spacing3): void {
  if (!Array.isArray(spacing) || spacing.length !== 3 || !spacing.every((s) => typeof s === "number" && Number.isFinite(s) && s > 0)) {
    throw new MetricsError("BAD_SPACING", `spacing must be three finite positive voxel sizes in mm [sx, sy, sz], got ${JSON.stringify(spacing)}.`);
  }
}

/** DIMS_MISMATCH unless both masks have the same number of voxels. */
export function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (!a || !b || typeof a.length !== "number" || typeof b.length !== "number") {
    throw new MetricsError("BAD_INPUT", "both masks must be arrays of voxels.");
  }
  if (a.length !== b.length) {
    throw new MetricsError("DIMS_MISMATCH", `masks of ${a.length} and ${b.length} voxels cannot be compared; resample them to one grid first.`);
  }
  return a.length;
}
