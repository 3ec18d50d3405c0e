// The canonical stored form of a CT volume (see docs/architecture.md): RAS voxel order, int16 HU.
// Lossless: axes are only permuted/flipped and values rounded to whole HU.
import { toInt16HU } from "./nifti-read";
import { orientationCode, reorientToRAS } from "./orientation";
import type { Volume } from "./types";

export function toCanonicalCT(volume: Volume): Volume<Int16Array> {
  const hu = toInt16HU(volume);
  // already canonical (most NIfTI exports): no 150 MB copy for a large CT
  if (orientationCode(hu.affine) === "RAS") return { dims: hu.dims, spacing: hu.spacing, affine: hu.affine, data: hu.data };
  const ras = reorientToRAS(hu);
  return { dims: ras.dims, spacing: ras.spacing, affine: ras.affine, data: ras.data as Int16Array };
}
