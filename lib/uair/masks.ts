// Label-map helpers. Label maps are Uint8Array [w, h, d], x fastest (index = x + w * (y + h * z));
// 0 background, 1 liver, 2 tumour. Tumour lies inside the liver, so "liver" means label >= 1.
import { UairError } from "./errors";

export type Dims3 = readonly [number, number, number];
export type Structure = "liver" | "tumour";

export const STRUCTURES: readonly Structure[] = ["liver", "tumour"];

/** Throws DIMS_MISMATCH unless dims are positive integers whose product is `length`. */
export function checkDims(dims: Dims3, length: number, what = "mask"): number {
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new UairError("DIMS_MISMATCH", `${what}: dims must be three positive integers [w, h, d], got ${JSON.stringify(dims)}.`);
  }
  const n = dims[0] * dims[1] * dims[2];
  if (n !== length) {
    throw new UairError("DIMS_MISMATCH", `${what} has ${length} voxels but dims ${dims.join("x")} need ${n}.`);
  }
  return n;
}

export function checkStructure(structure: string): asserts structure is Structure {
  if (structure !== "liver" && structure !== "tumour") {
    throw new UairError("BAD_INPUT", `structure must be "liver" or "tumour", got ${JSON.stringify(structure)}.`);
  }
}

/**
 * Throws BAD_INPUT unless every value is 0, 1 or 2. Four labels at a time (this runs over every
 * voxel of every sample): a byte is bad when it has a bit above the lowest two, or both of them.
 */
export function checkLabels(labels: Uint8Array, what = "mask"): void {
  const bad = (from: number, to: number) => {
    for (let v = from; v < to; v++) {
      if (labels[v] > 2) throw new UairError("BAD_INPUT", `${what} has label ${labels[v]} at voxel ${v}; only 0 background, 1 liver, 2 tumour are allowed.`);
    }
  };
  const head = Math.min(labels.length, (4 - (labels.byteOffset % 4)) % 4);
  bad(0, head);
  const words = new Uint32Array(labels.buffer, labels.byteOffset + head, (labels.length - head) >> 2);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if ((w & 0xfcfcfcfc) !== 0 || (w & (w >>> 1) & 0x01010101) !== 0) bad(head + 4 * i, head + 4 * i + 4);
  }
  bad(head + 4 * words.length, labels.length);
}

/** 0/1 mask of one structure: liver = label >= 1 (tumour included), tumour = label 2. */
export function structureMask(labels: ArrayLike<number>, structure: Structure): Uint8Array {
  checkStructure(structure);
  const out = new Uint8Array(labels.length);
  if (structure === "liver") for (let i = 0; i < labels.length; i++) out[i] = labels[i] >= 1 ? 1 : 0;
  else for (let i = 0; i < labels.length; i++) out[i] = labels[i] === 2 ? 1 : 0;
  return out;
}

/**
 * The recommended mask: organ where more than half the samples say label >= 1, tumour where more
 * than half say 2. Tumour votes are also organ votes, so a tumour majority is always inside the organ.
 */
export function majorityLabels(samples: readonly Uint8Array[]): Uint8Array {
  if (samples.length === 0) throw new UairError("EMPTY_SAMPLES", "no samples to take a majority of; decode at least one code first.");
  const len = samples[0].length;
  for (let s = 1; s < samples.length; s++) {
    if (samples[s].length !== len) {
      throw new UairError("DIMS_MISMATCH", `sample ${s} has ${samples[s].length} voxels, sample 0 has ${len}; all samples must share one grid.`);
    }
  }
  if (samples.length > 65535) throw new UairError("BAD_INPUT", `majority of ${samples.length} samples: at most 65535 are supported.`);
  const organ = new Uint16Array(len);
  const tumour = new Uint16Array(len);
  for (const s of samples) {
    for (let i = 0; i < len; i++) {
      const v = s[i];
      if (v >= 1) organ[i]++;
      if (v === 2) tumour[i]++;
    }
  }
  const n = samples.length;
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = 2 * tumour[i] > n ? 2 : 2 * organ[i] > n ? 1 : 0;
  return out;
}

export interface SoftMask {
  data: Float32Array;
  dims: [number, number, number];
}

/**
 * Block means of a binary mask (non-zero = inside): a cheap soft mask for clustering distances.
 * Edge blocks that are cut short average over the voxels they actually hold.
 */
export function downsampleMask(mask: ArrayLike<number>, dims: Dims3, factor: Dims3): SoftMask {
  return downsampleWhere(mask, dims, factor, 0);
}

/** downsampleMask of structureMask(labels, structure), without building the full-size mask. */
export function downsampleStructure(labels: ArrayLike<number>, structure: Structure, dims: Dims3, factor: Dims3): SoftMask {
  checkStructure(structure);
  return downsampleWhere(labels, dims, factor, structure === "liver" ? 1 : 2);
}

/** inside: 0 = any non-zero value, 1 = label >= 1 (liver), 2 = label 2 (tumour) */
function downsampleWhere(mask: ArrayLike<number>, dims: Dims3, factor: Dims3, inside: 0 | 1 | 2): SoftMask {
  checkDims(dims, mask.length);
  if (!Array.isArray(factor) || factor.length !== 3 || !factor.every((f) => Number.isInteger(f) && f >= 1)) {
    throw new UairError("BAD_INPUT", `downsample factor must be three positive integers, got ${JSON.stringify(factor)}.`);
  }
  const [w, h, d] = dims;
  const [fx, fy, fz] = factor;
  const ow = Math.ceil(w / fx);
  const oh = Math.ceil(h / fy);
  const od = Math.ceil(d / fz);
  const sum = new Float32Array(ow * oh * od);
  // output column of each input column, computed once (this runs over every voxel of N samples)
  const ox = new Int32Array(w);
  for (let x = 0; x < w; x++) ox[x] = Math.floor(x / fx);
  const plane = w * h;
  const typed = ArrayBuffer.isView(mask) ? (mask as unknown as Uint8Array) : null;
  for (let z = 0; z < d; z++) {
    const oz = Math.floor(z / fz);
    // most slices hold no tumour (or no liver at all): a native scan skips them
    if (typed && inside !== 0) {
      const sl = typed.subarray(z * plane, (z + 1) * plane);
      if (sl.indexOf(2) < 0 && (inside === 2 || sl.indexOf(1) < 0)) continue;
    }
    for (let y = 0; y < h; y++) {
      const rowOut = ow * (Math.floor(y / fy) + oh * oz);
      const rowIn = w * (y + h * z);
      // one tight loop per test: a predicate call per voxel costs more than the counting
      if (inside === 2) for (let x = 0; x < w; x++) sum[rowOut + ox[x]] += mask[rowIn + x] === 2 ? 1 : 0;
      else if (inside === 1) for (let x = 0; x < w; x++) sum[rowOut + ox[x]] += mask[rowIn + x] >= 1 ? 1 : 0;
      else for (let x = 0; x < w; x++) sum[rowOut + ox[x]] += mask[rowIn + x] !== 0 ? 1 : 0;
    }
  }
  // block sizes: full blocks hold fx*fy*fz voxels, the last one along an axis may hold fewer
  const span = (n: number, f: number, o: number) => Math.min(f, n - o * f);
  for (let z = 0; z < od; z++)
    for (let y = 0; y < oh; y++) {
      const cyz = span(h, fy, y) * span(d, fz, z);
      for (let x = 0; x < ow; x++) sum[x + ow * (y + oh * z)] /= span(w, fx, x) * cyz;
    }
  return { data: sum, dims: [ow, oh, od] };
}

/** 2·Σab / (Σa + Σb) on soft masks; two empty masks agree perfectly (1). */
export function softDice(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new UairError("DIMS_MISMATCH", `softDice: masks of ${a.length} and ${b.length} values.`);
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] * b[i];
    sa += a[i];
    sb += b[i];
  }
  return sa + sb === 0 ? 1 : (2 * inter) / (sa + sb);
}

export interface Components {
  /** 0 outside the mask, else the component number 1..sizes.length (numbered in scan order) */
  labels: Int32Array;
  /** sizes[c - 1] = voxel count of component c */
  sizes: number[];
}

/** 6-connected components of a binary mask (non-zero = inside), by an explicit queue (no recursion). */
export function connectedComponents3d(mask: ArrayLike<number>, dims: Dims3): Components {
  const n = checkDims(dims, mask.length);
  const [w, h, d] = dims;
  const plane = w * h;
  const labels = new Int32Array(n);
  const sizes: number[] = [];
  const queue = new Int32Array(n);
  let c = 0;
  let tail = 0;
  const visit = (j: number) => {
    if (mask[j] !== 0 && labels[j] === 0) {
      labels[j] = c;
      queue[tail++] = j;
    }
  };
  for (let start = 0; start < n; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    c = sizes.length + 1;
    let head = 0;
    tail = 0;
    visit(start);
    while (head < tail) {
      const i = queue[head++];
      const x = i % w;
      const y = Math.floor(i / w) % h;
      const z = Math.floor(i / plane);
      if (x > 0) visit(i - 1);
      if (x < w - 1) visit(i + 1);
      if (y > 0) visit(i - w);
      if (y < h - 1) visit(i + w);
      if (z > 0) visit(i - plane);
      if (z < d - 1) visit(i + plane);
    }
    sizes.push(tail);
  }
  return { labels, sizes };
}

/** Voxel count of a structure in a label map. */
export function structureVoxels(labels: ArrayLike<number>, structure: Structure): number {
  let n = 0;
  if (structure === "liver") for (let i = 0; i < labels.length; i++) n += labels[i] >= 1 ? 1 : 0;
  else for (let i = 0; i < labels.length; i++) n += labels[i] === 2 ? 1 : 0;
  return n;
}
