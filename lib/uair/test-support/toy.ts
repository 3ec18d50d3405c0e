// Test support only: a toy "decoder" whose answer is known. eps[0] grows the liver and the tumour,
// eps[1] slides the tumour along x; eps[2..] are nuisance dims the masks ignore (as real latent
// dims may be). 24 x 24 x 8 voxels, slices twice as thick as the in-plane spacing.
import type { Dims3 } from "../masks";

export const TOY_DIMS: Dims3 = [24, 24, 8];
export const TOY_DIM = 6;
/** mL per voxel for 1 x 1 x 2 mm voxels */
export const TOY_VOXEL_ML = 0.002;

export function toyDecode(eps: ArrayLike<number>): Uint8Array {
  const [w, h, d] = TOY_DIMS;
  const liverR = clamp(7 + 1.5 * eps[0], 3, 11);
  const tumourR = clamp(4 + 1.2 * eps[0], 0.8, liverR);
  const tx = 11.5 + 2.5 * eps[1];
  const out = new Uint8Array(w * h * d);
  for (let z = 0; z < d; z++) {
    const dz = 2 * (z - 3.5);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = x + w * (y + h * z);
        const rl = (x - 11.5) ** 2 + (y - 11.5) ** 2 + dz * dz;
        if (rl > liverR * liverR) continue;
        const rt = (x - tx) ** 2 + (y - 11.5) ** 2 + dz * dz;
        out[i] = rt <= tumourR * tumourR ? 2 : 1;
      }
    }
  }
  return out;
}

/** Decode every row of codes ([n][dim]). */
export function toyDecodeAll(codes: Float32Array, dim = TOY_DIM): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < codes.length / dim; i++) out.push(toyDecode(codes.subarray(i * dim, (i + 1) * dim)));
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
