// Axis orientation codes and lossless reorientation (axis permutation and flips only, never
// resampling). A code names, for voxel axes i, j, k in turn, the world direction the index
// increases towards: R/L (x), A/P (y), S/I (z) in RAS world space. "LAS" = i runs to patient
// left, j to anterior, k to superior. DICOM's usual axial grid comes out as "LPS" in this sense.
import { multiply4 } from "./affine";
import { ImagingError, type Vec3, type Volume, type VoxelArray } from "./types";

export type AxisLetter = "R" | "L" | "A" | "P" | "S" | "I";

const POSITIVE = ["R", "A", "S"] as const;
const NEGATIVE = ["L", "P", "I"] as const;

/** World axis (0 x, 1 y, 2 z) and sign for each voxel axis, chosen greedily by the largest cosine. */
function axisMap(affine: readonly number[]): { world: number[]; sign: number[] } {
  const world = [-1, -1, -1];
  const sign = [0, 0, 0];
  const usedWorld = new Set<number>();
  const usedVoxel = new Set<number>();
  for (let round = 0; round < 3; round++) {
    let best = -1;
    let bv = -1;
    let bw = -1;
    for (let c = 0; c < 3; c++) {
      if (usedVoxel.has(c)) continue;
      const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
      for (let r = 0; r < 3; r++) {
        if (usedWorld.has(r)) continue;
        const cos = Math.abs(affine[r * 4 + c]) / (norm || 1);
        if (cos > best) {
          best = cos;
          bv = c;
          bw = r;
        }
      }
    }
    if (!(best > 0)) {
      throw new ImagingError("BAD_AFFINE", "The volume's affine has a zero or invalid axis, so its orientation cannot be determined.");
    }
    world[bv] = bw;
    sign[bv] = affine[bw * 4 + bv] > 0 ? 1 : -1;
    usedVoxel.add(bv);
    usedWorld.add(bw);
  }
  return { world, sign };
}

/** e.g. "RAS", "LAS", "PLI", "LPS" (for oblique grids: the closest axis-aligned code). */
export function orientationCode(affine: readonly number[]): string {
  const { world, sign } = axisMap(affine);
  return world.map((w, i) => (sign[i] > 0 ? POSITIVE[w] : NEGATIVE[w])).join("");
}

function parseCode(code: string): { world: number[]; sign: number[] } {
  const up = code.toUpperCase();
  const world: number[] = [];
  const sign: number[] = [];
  for (const ch of up) {
    const p = (POSITIVE as readonly string[]).indexOf(ch);
    const n = (NEGATIVE as readonly string[]).indexOf(ch);
    if (p >= 0) {
      world.push(p);
      sign.push(1);
    } else if (n >= 0) {
      world.push(n);
      sign.push(-1);
    } else {
      world.push(-1);
    }
  }
  if (up.length !== 3 || world.includes(-1) || new Set(world).size !== 3) {
    throw new ImagingError("BAD_ORIENTATION", `"${code}" is not an orientation code: use three letters, one from each of R/L, A/P, S/I (e.g. RAS, LPS).`);
  }
  return { world, sign };
}

/**
 * Permute and flip voxel axes so that the volume has orientation `target`. The world position of
 * every voxel is unchanged: the affine is updated to match (new affine = old affine x index map).
 */
export function reorient<V extends Volume>(volume: V, target: string): V {
  const from = axisMap(volume.affine);
  const to = parseCode(target);
  const [nx, ny] = volume.dims;
  // src[t]: which old axis becomes new axis t; flip[t]: whether it runs the other way
  const src = [0, 0, 0];
  const flip = [false, false, false];
  for (let t = 0; t < 3; t++) {
    const s = from.world.indexOf(to.world[t]);
    src[t] = s;
    flip[t] = from.sign[s] !== to.sign[t];
  }
  if (src[0] === 0 && src[1] === 1 && src[2] === 2 && !flip.some(Boolean)) {
    return { ...volume, dims: [...volume.dims] as Vec3, spacing: [...volume.spacing] as Vec3, affine: [...volume.affine], data: volume.data.slice() };
  }
  const oldDims = volume.dims;
  const newDims: Vec3 = [oldDims[src[0]], oldDims[src[1]], oldDims[src[2]]];
  const newSpacing: Vec3 = [volume.spacing[src[0]], volume.spacing[src[1]], volume.spacing[src[2]]];

  // index map M: new voxel (i', j', k', 1) -> old voxel (i, j, k, 1)
  const M = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  for (let t = 0; t < 3; t++) {
    const s = src[t];
    M[s * 4 + t] = flip[t] ? -1 : 1;
    M[s * 4 + 3] = flip[t] ? oldDims[s] - 1 : 0;
  }
  const affine = multiply4(volume.affine, M);

  // old linear index = base + a*stride for each new axis, walked incrementally
  const oldStride = [1, nx, nx * ny];
  const step = [0, 1, 2].map((t) => (flip[t] ? -oldStride[src[t]] : oldStride[src[t]]));
  let start = 0;
  for (let t = 0; t < 3; t++) if (flip[t]) start += (oldDims[src[t]] - 1) * oldStride[src[t]];
  const data = volume.data;
  const out = new (data.constructor as new (n: number) => VoxelArray)(data.length);
  let o = 0;
  for (let k = 0, pk = start; k < newDims[2]; k++, pk += step[2]) {
    for (let j = 0, pj = pk; j < newDims[1]; j++, pj += step[1]) {
      for (let i = 0, p = pj; i < newDims[0]; i++, p += step[0]) out[o++] = data[p];
    }
  }
  return { ...volume, dims: newDims, spacing: newSpacing, affine, data: out };
}

export function reorientToRAS<V extends Volume>(volume: V): V {
  return reorient(volume, "RAS");
}

/** Undo reorientToRAS: bring a RAS volume back to a file's original axis order, e.g. "PLI". */
export function reorientFromRAS<V extends Volume>(volume: V, targetCode: string): V {
  return reorient(volume, targetCode);
}
