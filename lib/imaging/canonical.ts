// The canonical stored form of a CT volume (see docs/architecture.md): RAS voxel order, int16 HU.
// Lossless: axes are only permuted/flipped and values rounded to whole HU.
import { toInt16HU } from "./nifti-read";
import { reorientToRAS } from "./orientation";
import type { Volume } from "./types";

export function toCanonicalCT(volume: Volume): Volume<Int16Array> {
  const ras = reorientToRAS(toInt16HU(volume));
  return { dims: ras.dims, spacing: ras.spacing, affine: ras.affine, data: ras.data as Int16Array };
}
