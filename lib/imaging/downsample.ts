// Block-mean downsampling of a volume with its affine kept consistent: the preview the viewer
// shows first (a 512x512x300 CT becomes 128x128x75, ~50x fewer voxels) while the full volume loads.
import { multiply4 } from "./affine";
import type { Vec3, Volume } from "./types";

/** Integer factors that bring each axis to at most `maxDims`. */
export function previewFactors(dims: Vec3, maxDims: Vec3 = [128, 128, 96]): Vec3 {
  return dims.map((n, a) => Math.max(1, Math.ceil(n / maxDims[a]))) as Vec3;
}

export function downsampleMean(v: Volume, f: Vec3): Volume<Int16Array> {
  if (f[0] * f[1] * f[2] > 65535) throw new RangeError("downsampling factors too large");
  const [nx, ny, nz] = v.dims;
  const out: Vec3 = [Math.max(1, Math.floor(nx / f[0])), Math.max(1, Math.floor(ny / f[1])), Math.max(1, Math.floor(nz / f[2]))];
  const [ox, oy, oz] = out;
  // int32 sums are exact (a block of ≤ 65535 int16 voxels) and half the memory of float64
  const sums = new Int32Array(ox * oy * oz);
  const counts = new Uint16Array(ox * oy * oz);
  const src = v.data;
  // output column of every input column, computed once instead of a division per voxel
  const colOf = new Int32Array(ox * f[0]).map((_, i) => Math.floor(i / f[0]));
  const cols = Math.min(nx, ox * f[0]);
  for (let k = 0; k < oz * f[2] && k < nz; k++) {
    const kk = Math.floor(k / f[2]) * ox * oy;
    for (let j = 0; j < oy * f[1] && j < ny; j++) {
      const jj = kk + Math.floor(j / f[1]) * ox;
      const row = nx * (j + ny * k);
      for (let i = 0; i < cols; i++) {
        const o = jj + colOf[i];
        sums[o] += src[row + i];
        counts[o]++;
      }
    }
  }
  const data = new Int16Array(sums.length);
  for (let o = 0; o < data.length; o++) data[o] = Math.round(sums[o] / counts[o]);
  // new voxel (i', j', k') sits at the centre of old voxels i'f .. i'f + f - 1
  const m = [f[0], 0, 0, (f[0] - 1) / 2, 0, f[1], 0, (f[1] - 1) / 2, 0, 0, f[2], (f[2] - 1) / 2, 0, 0, 0, 1];
  return {
    dims: out,
    spacing: [v.spacing[0] * f[0], v.spacing[1] * f[1], v.spacing[2] * f[2]],
    affine: multiply4(v.affine, m),
    data,
  };
}
