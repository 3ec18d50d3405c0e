// A small windowed grey-level picture of a volume's middle axial slice, in radiological display
// convention (patient's right on the image's left, anterior up), for case lists.
import type { Volume } from "./types";

export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Soft-tissue window by default (W 400, L 50). `size` bounds the longer side, aspect kept. */
export function axialThumbnail(ras: Volume, opts: { size?: number; width?: number; level?: number } = {}): GreyImage {
  const { width, height, index } = sliceSampling(ras, Math.floor(ras.dims[2] / 2), opts.size ?? 160);
  const ww = opts.width ?? 400;
  const lo = (opts.level ?? 50) - ww / 2;
  const out = new Uint8Array(width * height);
  for (let p = 0; p < out.length; p++) out[p] = grey(ras.data[index[p]], lo, ww);
  return { width, height, data: out };
}

export interface RgbImage {
  width: number;
  height: number;
  /** 3 bytes per pixel */
  data: Uint8Array;
}

/**
 * Axial slice `k` with a label map on the same grid blended in (label value -> colour), for a
 * gallery of candidates at the slice a reader is on. Same display convention as axialThumbnail.
 */
export function labelledSlice(
  ras: Volume,
  labels: ArrayLike<number>,
  k: number,
  opts: { size?: number; width?: number; level?: number; colors: Record<number, readonly [number, number, number]>; alpha?: number },
): RgbImage {
  const [nx, ny, nz] = ras.dims;
  if (labels.length !== nx * ny * nz) throw new RangeError(`label map has ${labels.length} voxels, the CT ${nx * ny * nz}.`);
  if (!Number.isInteger(k) || k < 0 || k >= nz) throw new RangeError(`slice ${k} is outside 0..${nz - 1}.`);
  const { width, height, index } = sliceSampling(ras, k, opts.size ?? 128);
  const ww = opts.width ?? 400;
  const lo = (opts.level ?? 50) - ww / 2;
  const alpha = opts.alpha ?? 0.45;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const g = grey(ras.data[index[p]], lo, ww);
    const c = opts.colors[labels[index[p]]];
    for (let ch = 0; ch < 3; ch++) out[p * 3 + ch] = c ? Math.round((1 - alpha) * g + alpha * c[ch]) : g;
  }
  return { width, height, data: out };
}

const grey = (hu: number, lo: number, ww: number) => {
  const v = (hu - lo) / ww;
  return v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
};

/** Voxel index of every pixel of slice k at `size`: physical aspect kept, patient's right on the left, anterior up. */
function sliceSampling(ras: Volume, k: number, size: number): { width: number; height: number; index: Int32Array } {
  const [nx, ny] = ras.dims;
  const [sx, sy] = ras.spacing;
  // physical aspect, so anisotropic pixels are not stretched
  const physW = nx * sx;
  const physH = ny * sy;
  const scale = size / Math.max(physW, physH);
  const width = Math.max(1, Math.round(physW * scale));
  const height = Math.max(1, Math.round(physH * scale));
  const index = new Int32Array(width * height);
  const plane = nx * ny * k;
  for (let r = 0; r < height; r++) {
    // RAS: j grows anteriorly, so the top row is the largest j
    const j = ny - 1 - Math.min(ny - 1, Math.floor(((r + 0.5) * ny) / height));
    for (let c = 0; c < width; c++) {
      // i grows toward the patient's right, which radiological display puts on the left
      const i = nx - 1 - Math.min(nx - 1, Math.floor(((c + 0.5) * nx) / width));
      index[r * width + c] = plane + j * nx + i;
    }
  }
  return { width, height, index };
}

/** Where continuous voxel coordinates (x, y) of a slice fall on an image made by labelledSlice / axialThumbnail. */
export function voxelToPixel(dims: readonly number[], img: { width: number; height: number }, x: number, y: number): [number, number] {
  const [nx, ny] = dims;
  // pixel c shows voxel nx - 1 - floor((c + 0.5) nx / width): the inverse, on continuous coordinates
  return [((nx - 0.5 - x) * img.width) / nx, ((ny - 0.5 - y) * img.height) / ny];
}

/** A straight line in image coordinates drawn onto an RGB image (e.g. a RECIST diameter). */
export function drawSegment(img: RgbImage, from: readonly [number, number], to: readonly [number, number], rgb: readonly [number, number, number]): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) * 2));
  for (let s = 0; s <= steps; s++) {
    const c = Math.round(from[0] + ((to[0] - from[0]) * s) / steps - 0.5);
    const r = Math.round(from[1] + ((to[1] - from[1]) * s) / steps - 0.5);
    if (c < 0 || r < 0 || c >= img.width || r >= img.height) continue;
    img.data.set(rgb, (r * img.width + c) * 3);
  }
}
