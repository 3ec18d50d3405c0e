// Intensity statistics on volumes and masks. A mask given as a Volume must share the image's
// grid (dims and affine): statistics across mismatched grids are silently wrong, so we refuse.
import { affinesClose } from "./affine";
import { ImagingError, type Volume, type VoxelArray } from "./types";

export function valueRange(data: VoxelArray): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** HU min / max of a CT volume. */
export function huRange(volume: Volume): { min: number; max: number } {
  return valueRange(volume.data);
}

function maskData(image: Volume, mask: Volume | VoxelArray): VoxelArray {
  if (ArrayBuffer.isView(mask)) {
    if (mask.length !== image.data.length) {
      throw new ImagingError("DIMS_MISMATCH", `The mask has ${mask.length} voxels but the image has ${image.data.length}; they are not on the same grid.`);
    }
    return mask;
  }
  if (mask.dims.some((d, i) => d !== image.dims[i])) {
    throw new ImagingError("DIMS_MISMATCH", `The mask is ${mask.dims.join(" x ")} but the image is ${image.dims.join(" x ")}; transfer the mask onto the image grid first.`);
  }
  if (!affinesClose(mask.affine, image.affine, 1e-2)) {
    throw new ImagingError("GRID_MISMATCH", "The mask and the image have the same size but different positions or orientations in space; transfer the mask onto the image grid first.");
  }
  return mask.data;
}

/** Mean value (HU) over voxels where the mask is non-zero (or equal to `label` when given). */
export function meanInMask(image: Volume, mask: Volume | VoxelArray, label?: number): { mean: number; count: number } {
  const m = maskData(image, mask);
  const d = image.data;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < d.length; i++) {
    if (label === undefined ? m[i] !== 0 : m[i] === label) {
      sum += d[i];
      count++;
    }
  }
  return { mean: count ? sum / count : NaN, count };
}

/** Number of non-zero voxels and their volume in millilitres. */
export function maskVolume(mask: Volume): { voxels: number; ml: number } {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] !== 0) n++;
  const [sx, sy, sz] = mask.spacing;
  return { voxels: n, ml: (n * sx * sy * sz) / 1000 };
}
