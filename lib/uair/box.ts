// Axis-aligned boxes of a label volume. Samples differ from each other only near the organ, so a
// round is decoded and clustered inside the box around the prior mean's liver and put back into
// the whole volume afterwards: the same round for a fraction of the voxels.
import type { Box3 } from "../box";
import { UairError } from "./errors";
import { checkDims, connectedComponents3d, type Dims3 } from "./masks";

export type { Box3 };

export const wholeBox = (dims: Dims3): Box3 => ({ x0: 0, y0: 0, z0: 0, w: dims[0], h: dims[1], d: dims[2] });

export function checkBox(box: Box3, dims: Dims3): void {
  const ok =
    [box.x0, box.y0, box.z0, box.w, box.h, box.d].every(Number.isInteger) &&
    box.x0 >= 0 &&
    box.y0 >= 0 &&
    box.z0 >= 0 &&
    box.w >= 1 &&
    box.h >= 1 &&
    box.d >= 1 &&
    box.x0 + box.w <= dims[0] &&
    box.y0 + box.h <= dims[1] &&
    box.z0 + box.d <= dims[2];
  if (!ok) throw new UairError("BAD_INPUT", `box ${JSON.stringify(box)} is not inside a ${dims.join("x")} volume.`);
}

/**
 * The box of the non-zero voxels on slices [zFrom, zTo), grown by `margin` voxels in-plane, its
 * in-plane edges moved out to multiples of `align` (or the volume's edge) and clipped to the
 * volume; its z extent is [zFrom, zTo). null when those slices hold nothing. Aligned to the
 * clustering's block size, a box's blocks are the whole volume's blocks, so clustering inside
 * it gives the same round.
 */
export function labelBox(labels: Uint8Array, dims: Dims3, zFrom: number, zTo: number, margin: number, align = 1): Box3 | null {
  checkDims(dims, labels.length);
  const [w, h, d] = dims;
  if (!(Number.isInteger(zFrom) && Number.isInteger(zTo) && 0 <= zFrom && zFrom < zTo && zTo <= d)) {
    throw new UairError("BAD_INPUT", `slice range [${zFrom}, ${zTo}) is not inside 0..${d}.`);
  }
  let [x0, y0, x1, y1] = [w, h, -1, -1];
  for (let z = zFrom; z < zTo; z++)
    for (let y = 0; y < h; y++) {
      const row = (z * h + y) * w;
      let first = -1;
      let last = -1;
      for (let x = 0; x < w; x++)
        if (labels[row + x] !== 0) {
          if (first < 0) first = x;
          last = x;
        }
      if (first < 0) continue;
      x0 = Math.min(x0, first);
      x1 = Math.max(x1, last);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  if (x1 < 0) return null;
  if (!(Number.isInteger(margin) && margin >= 0 && Number.isInteger(align) && align >= 1)) {
    throw new UairError("BAD_INPUT", `margin must be a non-negative integer and align a positive one, got ${margin} and ${align}.`);
  }
  const down = (v: number) => Math.max(0, Math.floor(v / align) * align);
  const up = (v: number, n: number) => Math.min(n, Math.ceil(v / align) * align);
  const gx0 = down(x0 - margin);
  const gy0 = down(y0 - margin);
  return { x0: gx0, y0: gy0, z0: zFrom, w: up(x1 + 1 + margin, w) - gx0, h: up(y1 + 1 + margin, h) - gy0, d: zTo - zFrom };
}

/** The box's voxels as their own [w, h, d] volume. */
export function cropLabels(labels: Uint8Array, dims: Dims3, box: Box3): Uint8Array {
  checkDims(dims, labels.length);
  checkBox(box, dims);
  const [w, h] = dims;
  const out = new Uint8Array(box.w * box.h * box.d);
  for (let z = 0; z < box.d; z++)
    for (let y = 0; y < box.h; y++) {
      const from = (box.z0 + z) * w * h + (box.y0 + y) * w + box.x0;
      out.set(labels.subarray(from, from + box.w), (z * box.h + y) * box.w);
    }
  return out;
}

/** A box's volume put back into a whole volume of `dims` (0 outside the box). */
export function embedLabels(sub: Uint8Array, box: Box3, dims: Dims3): Uint8Array {
  checkBox(box, dims);
  checkDims([box.w, box.h, box.d], sub.length, "box volume");
  const [w, h, d] = dims;
  const out = new Uint8Array(w * h * d);
  for (let z = 0; z < box.d; z++)
    for (let y = 0; y < box.h; y++) out.set(sub.subarray((z * box.h + y) * box.w, (z * box.h + y + 1) * box.w), (box.z0 + z) * w * h + (box.y0 + y) * w + box.x0);
  return out;
}

/**
 * labelBox of the organ (label >= 1) on slices [zFrom, zTo), counting only its 6-connected parts
 * of at least `minShare` of the largest: a model's stray pixels in the spleen or kidney would
 * otherwise stretch the box across the abdomen, while a lobe the prediction splits off is kept.
 */
export function organBox(labels: Uint8Array, dims: Dims3, zFrom: number, zTo: number, margin: number, align = 1, minShare = 0.02): Box3 | null {
  checkDims(dims, labels.length);
  const [w, h, d] = dims;
  if (!(Number.isInteger(zFrom) && Number.isInteger(zTo) && 0 <= zFrom && zFrom < zTo && zTo <= d)) {
    throw new UairError("BAD_INPUT", `slice range [${zFrom}, ${zTo}) is not inside 0..${d}.`);
  }
  const slab = labels.subarray(zFrom * w * h, zTo * w * h);
  const slabDims: Dims3 = [w, h, zTo - zFrom];
  const { labels: parts, sizes } = connectedComponents3d(slab, slabDims);
  if (!sizes.length) return null;
  const keep = Uint8Array.from(sizes, (n) => (n >= minShare * Math.max(...sizes) ? 1 : 0));
  const organ = Uint8Array.from(parts, (c) => (c > 0 ? keep[c - 1] : 0));
  const box = labelBox(organ, slabDims, 0, zTo - zFrom, margin, align);
  return box && { ...box, z0: zFrom };
}
