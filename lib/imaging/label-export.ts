// Label maps back onto a case's source grid, and NIfTI export of label maps.
//
// Masks are stored on the canonical RAS grid (uint8: 0 background, 1 liver, 2 tumour). A user who
// uploaded a NIfTI in, say, PLI order or a DICOM series (LPS) wants the mask back on *that* grid, so
// it overlays the original file voxel for voxel in any viewer. The canonical grid is a pure
// permutation/flip of the source grid (`toCanonicalCT`), so the way back is lossless too: reorient
// to the source's orientation code, then verify that the result *is* the source grid (dims and
// affine, compared as world positions of the grid's corner voxels). Anything else — a resampled
// mask, a mask of another case, the wrong source record — is refused with GRID_MISMATCH rather
// than exported misaligned. Use `transferLabelToGrid` first if a resampling is really intended.
//
//   labelMapToSourceGrid(maskRAS, source.affine, source.dims)  -> Volume<Uint8Array> on the source grid
//   exportLabelNifti(mask, { source, description })             -> .nii.gz bytes (uint8, intent LABEL)
import { applyAffine } from "./affine";
import { writeNifti } from "./nifti-write";
import { orientationCode, reorient } from "./orientation";
import { ImagingError, type Grid, type Vec3, type Volume } from "./types";

/** Label values a stored mask may hold: LABEL.background, LABEL.liver, LABEL.tumour. */
export const MASK_LABEL_VALUES: readonly number[] = [0, 1, 2];

export interface SourceGridOptions {
  /**
   * Largest allowed distance, in mm, between where a corner voxel of the reoriented mask lies and
   * where the same voxel of the source grid lies. Default 0.01 mm: far below any voxel size, far
   * above the float32 rounding of affines stored in NIfTI-1.
   */
  toleranceMm?: number;
}

const fmtDims = (d: readonly number[]) => d.join(" x ");

function assertMask(mask: Volume, what: string): asserts mask is Volume<Uint8Array> {
  if (!(mask.data instanceof Uint8Array)) {
    throw new ImagingError("UNSUPPORTED_DATATYPE", `The ${what} must be a uint8 label map (got ${mask.data.constructor.name}); convert it with relabel() or binarise() first.`);
  }
  const [nx, ny, nz] = mask.dims;
  if (mask.data.length !== nx * ny * nz) {
    throw new ImagingError("DIMS_MISMATCH", `The ${what} has dims ${fmtDims(mask.dims)} (${nx * ny * nz} voxels) but holds ${mask.data.length} values.`);
  }
  if (mask.affine.length !== 16 || !mask.affine.every(Number.isFinite)) {
    throw new ImagingError("BAD_AFFINE", `The ${what}'s affine must be 16 finite numbers.`);
  }
}

/** Largest world distance (mm) between the 8 corner voxel centres of two grids with equal dims. */
export function gridCornerDistance(a: readonly number[], b: readonly number[], dims: readonly number[]): number {
  let worst = 0;
  for (let c = 0; c < 8; c++) {
    const v = [c & 1 ? dims[0] - 1 : 0, c & 2 ? dims[1] - 1 : 0, c & 4 ? dims[2] - 1 : 0];
    const pa = applyAffine(a, v);
    const pb = applyAffine(b, v);
    worst = Math.max(worst, Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]));
  }
  return worst;
}

/**
 * The mask on the exact grid of the source volume (permute/flip only, no resampling): voxel
 * (i, j, k) of the result is voxel (i, j, k) of the source file. Throws GRID_MISMATCH when the mask
 * is not a permutation/flip of that grid (different dims, shifted, resampled, another case).
 */
export function labelMapToSourceGrid(
  maskRAS: Volume<Uint8Array>,
  sourceAffine: readonly number[],
  sourceDims: Vec3 | readonly number[],
  opts: SourceGridOptions = {},
): Volume<Uint8Array> {
  assertMask(maskRAS, "mask");
  if (sourceAffine.length !== 16 || !sourceAffine.every(Number.isFinite)) {
    throw new ImagingError("BAD_AFFINE", "The recorded source affine must be 16 finite numbers.");
  }
  const tol = opts.toleranceMm ?? 0.01;
  const code = orientationCode(sourceAffine);
  const out = reorient(maskRAS, code);
  const dimsOk = out.dims.length === 3 && out.dims.every((n, i) => n === sourceDims[i]);
  const distance = dimsOk ? gridCornerDistance(out.affine, sourceAffine, sourceDims) : Number.POSITIVE_INFINITY;
  if (!dimsOk || !(distance <= tol)) {
    throw new ImagingError(
      "GRID_MISMATCH",
      dimsOk
        ? `The mask reoriented to the source's ${code} order lies up to ${distance.toFixed(3)} mm away from the source grid (tolerance ${tol} mm): it was not made on this case's canonical grid. Check that the mask and the source record belong to the same case, or resample it with transferLabelToGrid.`
        : `The mask reoriented to the source's ${code} order is ${fmtDims(out.dims)} voxels but the source grid is ${fmtDims(sourceDims)}: it was not made on this case's canonical grid. Check that the mask and the source record belong to the same case, or resample it with transferLabelToGrid.`,
      { orientation: code, maskDims: out.dims, sourceDims: [...sourceDims], distanceMm: dimsOk ? distance : null },
    );
  }
  // the source affine is the record of truth: return it verbatim, not the recomputed product
  return { dims: [sourceDims[0], sourceDims[1], sourceDims[2]], spacing: out.spacing, affine: [...sourceAffine], data: out.data };
}

export interface LabelNiftiOptions extends SourceGridOptions {
  /** write the mask on this grid (the source volume's dims + affine); omit to write it as it is */
  source?: Grid;
  /** NIfTI descrip, up to 79 ASCII characters */
  description?: string;
  /** values the mask may contain (default 0, 1, 2); anything else is refused */
  allowedLabels?: readonly number[];
  /** gzip level, default 6 */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/** Throws UNSUPPORTED_DATATYPE when the mask holds a value outside `allowed`. */
export function assertLabelValues(data: Uint8Array, allowed: readonly number[] = MASK_LABEL_VALUES): void {
  const ok = new Uint8Array(256);
  for (const v of allowed) if (Number.isInteger(v) && v >= 0 && v < 256) ok[v] = 1;
  const seen = new Uint8Array(256);
  for (let i = 0; i < data.length; i++) seen[data[i]] = 1;
  const bad: number[] = [];
  for (let v = 0; v < 256; v++) if (seen[v] && !ok[v]) bad.push(v);
  if (bad.length) {
    throw new ImagingError("UNSUPPORTED_DATATYPE", `The label map contains value${bad.length > 1 ? "s" : ""} ${bad.slice(0, 8).join(", ")}; only ${allowed.join(", ")} are allowed (0 background, 1 liver, 2 tumour). Relabel the mask first.`, { values: bad });
  }
}

/**
 * A label map as gzip NIfTI-1 bytes: uint8, intent NIFTI_INTENT_LABEL, affine in sform and qform.
 * With `source`, the mask is first put back on the source grid (labelMapToSourceGrid) and written
 * with the source affine, so the file overlays the originally uploaded volume.
 */
export function exportLabelNifti(mask: Volume<Uint8Array>, opts: LabelNiftiOptions = {}): Uint8Array {
  assertMask(mask, "mask");
  assertLabelValues(mask.data, opts.allowedLabels ?? MASK_LABEL_VALUES);
  const out = opts.source ? labelMapToSourceGrid(mask, opts.source.affine, opts.source.dims, opts) : mask;
  return writeNifti(out, { isLabel: true, description: opts.description ?? "label map: 0 background, 1 liver, 2 tumour", level: opts.level });
}
