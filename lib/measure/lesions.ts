// Lesions of a label map: 6-connected tumour components, found only inside the tumour's bounding
// box, with their voxel statistics (count, HU, centroid, box) and RECIST diameters.
import type { Box3 } from "../box";
import { connectedComponents3d } from "../uair/masks";
import { RecistScratch, longAxisOf, shortAxisOf, type SliceRect } from "./recist";

export type Point3 = [number, number, number];

export interface Lesion {
  /** 1-based, in order of volume (largest first; equal volumes in scan order) */
  id: number;
  voxels: number;
  volumeMl: number;
  /** mean CT value over the lesion's voxels (HU) */
  huMean: number;
  /** population standard deviation (divides by the voxel count) of the CT values (HU) */
  huSd: number;
  /** mean voxel position mapped through the affine: world RAS mm */
  centroidMm: Point3;
  /** the lesion's voxel bounding box */
  bbox: Box3;
  /** RECIST 1.1 long axis (mm): the largest in-plane diameter over the lesion's axial slices */
  longAxisMm: number;
  /** RECIST short axis (mm): the longest extent perpendicular to the long axis on the same slice */
  shortAxisMm: number;
  /** the axial slice (z index) where the long axis was measured */
  slice: number;
  /** end points in continuous voxel coordinates (pixel centres are integers; ends lie on pixel edges); z = slice */
  longAxis: { from: Point3; to: Point3 };
  shortAxis: { from: Point3; to: Point3 };
}

export interface LesionGeometry {
  dims: readonly [number, number, number];
  spacing: readonly [number, number, number];
  affine: readonly number[];
}

/**
 * Every tumour component in `box` (the bounding box of all label-2 voxels) with at least
 * `minVoxels` voxels, largest first.
 */
export function findLesions(labels: Uint8Array, hu: ArrayLike<number>, g: LesionGeometry, box: Box3, minVoxels: number): Lesion[] {
  const [nx, ny] = g.dims;
  const plane = nx * ny;
  const { x0, y0, z0, w, h, d } = box;
  const cplane = w * h;
  const mask = new Uint8Array(cplane * d);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) {
      const src = x0 + nx * (y0 + y) + plane * (z0 + z);
      const dst = w * y + cplane * z;
      for (let x = 0; x < w; x++) mask[dst + x] = labels[src + x] === 2 ? 1 : 0;
    }
  const { labels: comp, sizes } = connectedComponents3d(mask, [w, h, d]);
  const nc = sizes.length;

  // one pass over the box: HU sums (shifted by the component's first value, for a stable
  // variance), coordinate sums, bounding boxes
  const first = new Float64Array(nc + 1);
  const s1 = new Float64Array(nc + 1);
  const s2 = new Float64Array(nc + 1);
  const cx = new Float64Array(nc + 1);
  const cy = new Float64Array(nc + 1);
  const cz = new Float64Array(nc + 1);
  const bx0 = new Int32Array(nc + 1).fill(w);
  const by0 = new Int32Array(nc + 1).fill(h);
  const bz0 = new Int32Array(nc + 1).fill(d);
  const bx1 = new Int32Array(nc + 1).fill(-1);
  const by1 = new Int32Array(nc + 1).fill(-1);
  const bz1 = new Int32Array(nc + 1).fill(-1);
  const seen = new Uint8Array(nc + 1);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) {
      const row = w * y + cplane * z;
      const src = x0 + nx * (y0 + y) + plane * (z0 + z);
      for (let x = 0; x < w; x++) {
        const c = comp[row + x];
        if (c === 0) continue;
        const v = hu[src + x];
        if (!seen[c]) {
          seen[c] = 1;
          first[c] = v;
        }
        const t = v - first[c];
        s1[c] += t;
        s2[c] += t * t;
        cx[c] += x;
        cy[c] += y;
        cz[c] += z;
        if (x < bx0[c]) bx0[c] = x;
        if (x > bx1[c]) bx1[c] = x;
        if (y < by0[c]) by0[c] = y;
        if (y > by1[c]) by1[c] = y;
        if (z < bz0[c]) bz0[c] = z;
        if (z > bz1[c]) bz1[c] = z;
      }
    }

  const keep: number[] = [];
  for (let c = 1; c <= nc; c++) if (sizes[c - 1] >= minVoxels) keep.push(c);
  keep.sort((a, b) => sizes[b - 1] - sizes[a - 1] || a - b);

  const [sx, sy, sz] = g.spacing;
  const A = g.affine;
  const voxelMl = (sx * sy * sz) / 1000;
  return keep.map((c, i) => {
    const n = sizes[c - 1];
    const mean = s1[c] / n;
    const huVar = Math.max(0, s2[c] / n - mean * mean);
    const px = x0 + cx[c] / n;
    const py = y0 + cy[c] / n;
    const pz = z0 + cz[c] / n;
    const lw = bx1[c] - bx0[c] + 1;
    const lh = by1[c] - by0[c] + 1;
    // RECIST: long axis on every slice of the lesion, keep the largest (ties: more pixels, then lower z)
    const scratch = new RecistScratch(lh);
    const rect = (z: number): SliceRect => ({ labels: comp, offset: bx0[c] + w * by0[c] + cplane * z, stride: w, w: lw, h: lh, value: c });
    let best: ReturnType<typeof longAxisOf> = null;
    let bestZ = bz0[c];
    for (let z = bz0[c]; z <= bz1[c]; z++) {
      const l = longAxisOf(rect(z), sx, sy, scratch);
      if (l && (!best || l.mm > best.mm || (l.mm === best.mm && l.pixels > best.pixels))) {
        best = l;
        bestZ = z;
      }
    }
    // a component has at least one voxel on every slice of its box, so best is set
    const long = best!;
    const short = shortAxisOf(rect(bestZ), sx, sy, long);
    const ox = x0 + bx0[c];
    const oy = y0 + by0[c];
    const slice = z0 + bestZ;
    return {
      id: i + 1,
      voxels: n,
      volumeMl: n * voxelMl,
      huMean: first[c] + mean,
      huSd: Math.sqrt(huVar),
      centroidMm: [
        A[0] * px + A[1] * py + A[2] * pz + A[3],
        A[4] * px + A[5] * py + A[6] * pz + A[7],
        A[8] * px + A[9] * py + A[10] * pz + A[11],
      ],
      bbox: { x0: ox, y0: oy, z0: z0 + bz0[c], w: lw, h: lh, d: bz1[c] - bz0[c] + 1 },
      longAxisMm: long.mm,
      shortAxisMm: short.mm,
      slice,
      longAxis: { from: [ox + long.ax / 2, oy + long.ay / 2, slice], to: [ox + long.bx / 2, oy + long.by / 2, slice] },
      shortAxis: { from: [ox + short.from[0], oy + short.from[1], slice], to: [ox + short.to[0], oy + short.to[1], slice] },
    };
  });
}
