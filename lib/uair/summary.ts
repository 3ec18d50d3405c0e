// What a reader sees next to each mask: volumes, lesion count, and where it departs from the
// recommended mask (so the UI can jump to the slice that matters).
import { UairError } from "./errors";
import { checkDims, connectedComponents3d, structureMask, type Dims3, type Structure } from "./masks";

export interface MaskSummary {
  liverVoxels: number;
  tumourVoxels: number;
  /** liver including tumour, mL */
  liverMl: number;
  tumourMl: number;
  /** 6-connected tumour components of at least minLesionVoxels voxels */
  lesionCount: number;
}

export interface DifferenceSummary {
  structure: Structure;
  /** voxels of the structure in this mask but not in the reference */
  addedVoxels: number;
  removedVoxels: number;
  addedMl: number;
  removedMl: number;
  /** the slice with the most differing voxels (lowest z on ties) and their in-plane centroid; null when identical */
  differsAt: { z: number; x: number; y: number; voxels: number } | null;
}

export interface SummaryOptions {
  /** mL per voxel (product of the spacing in mm / 1000) */
  voxelMl: number;
  minLesionVoxels?: number;
}

export function checkVoxelMl(voxelMl: number): void {
  if (!(Number.isFinite(voxelMl) && voxelMl > 0)) {
    throw new UairError("BAD_INPUT", `voxelMl must be a positive number (mL per voxel = sx*sy*sz/1000), got ${voxelMl}.`);
  }
}

function checkMinLesion(minLesionVoxels: number): void {
  if (!Number.isInteger(minLesionVoxels) || minLesionVoxels < 1) {
    throw new UairError("BAD_INPUT", `minLesionVoxels must be a positive integer, got ${minLesionVoxels}.`);
  }
}

export function summariseMask(labels: Uint8Array, dims: Dims3, opts: SummaryOptions): MaskSummary {
  checkDims(dims, labels.length, "summary mask");
  checkVoxelMl(opts.voxelMl);
  const minLesion = opts.minLesionVoxels ?? 1;
  checkMinLesion(minLesion);
  let liverVoxels = 0;
  let tumourVoxels = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= 1) liverVoxels++;
    if (labels[i] === 2) tumourVoxels++;
  }
  const lesionCount = tumourVoxels === 0 ? 0 : connectedComponents3d(structureMask(labels, "tumour"), dims).sizes.filter((s) => s >= minLesion).length;
  return { liverVoxels, tumourVoxels, liverMl: liverVoxels * opts.voxelMl, tumourMl: tumourVoxels * opts.voxelMl, lesionCount };
}

/** How `labels` departs from `reference` in one structure. */
export function differenceFrom(labels: Uint8Array, reference: Uint8Array, dims: Dims3, structure: Structure, voxelMl: number): DifferenceSummary {
  checkDims(dims, labels.length, "mask");
  checkDims(dims, reference.length, "reference mask");
  checkVoxelMl(voxelMl);
  const a = structureMask(labels, structure);
  const b = structureMask(reference, structure);
  const [w, h, d] = dims;
  let added = 0;
  let removed = 0;
  let differsAt: DifferenceSummary["differsAt"] = null;
  for (let z = 0; z < d; z++) {
    let count = 0;
    let sx = 0;
    let sy = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = x + w * (y + h * z);
        if (a[i] === b[i]) continue;
        if (a[i]) added++;
        else removed++;
        count++;
        sx += x;
        sy += y;
      }
    }
    if (count > (differsAt?.voxels ?? 0)) differsAt = { z, x: sx / count, y: sy / count, voxels: count };
  }
  return { structure, addedVoxels: added, removedVoxels: removed, addedMl: added * voxelMl, removedMl: removed * voxelMl, differsAt };
}
