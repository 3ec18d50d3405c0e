// Label-map codecs: pick or renumber labels (TotalSegmentator 5 -> our 1 = liver), and carry a
// label map from its own grid onto another volume's grid by world-space nearest neighbour.
// The transfer never trusts voxel order or header orientation letters: every target voxel centre
// is mapped through target affine -> world -> inverse label affine, so a label stored LAS lands
// correctly on a DICOM series stored LPS (flipped rows) or with reversed slices.
import { invertAffine, multiply4 } from "./affine";
import { ImagingError, type Grid, type Volume, type VoxelArray } from "./types";

/** Our canonical label values in stored masks. */
export const LABEL = { background: 0, liver: 1, tumour: 2 } as const;

/** Display colour of each label, the same in the viewer and in rendered slices. */
export const LABEL_COLOURS: Record<number, readonly [number, number, number]> = { [LABEL.liver]: [232, 142, 52], [LABEL.tumour]: [70, 226, 96] };

/** TotalSegmentator's liver class; the same in v1 and v2 label maps. */
export const TOTALSEG_LIVER = 5;

/** 1 (or `value`) where the label is in `labels`, else 0. */
export function binarise<V extends Volume>(label: V, labels: number | readonly number[], value = 1): Omit<V, "data"> & Volume<Uint8Array> {
  const wanted = new Set(typeof labels === "number" ? [labels] : labels);
  const src = label.data;
  const out = new Uint8Array(src.length);
  if (wanted.size === 1) {
    const w = [...wanted][0];
    for (let i = 0; i < src.length; i++) if (src[i] === w) out[i] = value;
  } else {
    for (let i = 0; i < src.length; i++) if (wanted.has(src[i])) out[i] = value;
  }
  return { ...label, data: out };
}

/**
 * Renumber labels: `mapping[old] = new`; labels not in the mapping become `fallback` (default 0).
 * E.g. relabel(seg, { 5: LABEL.liver }) keeps only the liver, as 1.
 */
export function relabel<V extends Volume>(label: V, mapping: Readonly<Record<number, number>> | ReadonlyMap<number, number>, fallback = 0): Omit<V, "data"> & Volume<Uint8Array> {
  const map = mapping instanceof Map ? mapping : new Map(Object.entries(mapping).map(([k, v]) => [Number(k), v] as [number, number]));
  for (const v of [...map.values(), fallback]) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new ImagingError("UNSUPPORTED_DATATYPE", `Label value ${v} does not fit a uint8 label map (0..255).`);
  }
  const lut = new Map(map);
  const src = label.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const m = lut.get(src[i]);
    out[i] = m === undefined ? fallback : m;
  }
  return { ...label, data: out };
}

/** Distinct values present and their voxel counts, ascending by value. */
export function labelCounts(data: VoxelArray): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < data.length; i++) counts.set(data[i], (counts.get(data[i]) ?? 0) + 1);
  return new Map([...counts.entries()].sort((a, b) => a[0] - b[0]));
}

export interface GridMapping {
  /** 4x4 map from target voxel index to label voxel index */
  indexMap: number[];
  /** true when target voxel centres fall on label voxel centres (pure permute/flip/shift) */
  aligned: boolean;
}

/** How target voxels map into the label's voxel grid. */
export function gridMapping(labelAffine: readonly number[], target: Grid): GridMapping {
  const indexMap = multiply4(invertAffine(labelAffine), target.affine);
  let aligned = true;
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      const v = indexMap[r * 4 + c];
      if (Math.abs(v - Math.round(v)) > 1e-3) aligned = false;
    }
  }
  return { indexMap, aligned };
}

/**
 * Nearest-neighbour transfer of a label map onto `target`'s grid (no interpolation: labels stay
 * labels). Target voxels whose centre falls outside the label grid get 0. Output type follows the
 * input label's array type (Uint8 for ordinary label maps).
 */
export function transferLabelToGrid<T extends VoxelArray>(label: Volume<T>, target: Grid): Volume<T> & { aligned: boolean; insideFraction: number } {
  const [lx, ly, lz] = label.dims;
  const [tx, ty, tz] = target.dims;
  const { indexMap: m, aligned } = gridMapping(label.affine, target);
  const src = label.data;
  const out = new (src.constructor as new (n: number) => T)(tx * ty * tz);
  const lxy = lx * ly;
  let inside = 0;
  let o = 0;
  // nudge away from exact .5 ties so both sides of a flip round the same way
  const eps = 1e-6;
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      let x = m[1] * j + m[2] * k + m[3] + 0.5 + eps;
      let y = m[5] * j + m[6] * k + m[7] + 0.5 + eps;
      let z = m[9] * j + m[10] * k + m[11] + 0.5 + eps;
      for (let i = 0; i < tx; i++, o++, x += m[0], y += m[4], z += m[8]) {
        const si = Math.floor(x);
        const sj = Math.floor(y);
        const sk = Math.floor(z);
        if (si < 0 || sj < 0 || sk < 0 || si >= lx || sj >= ly || sk >= lz) continue;
        inside++;
        out[o] = src[si + lx * sj + lxy * sk];
      }
    }
  }
  const spacing = [...target.dims].map((_, c) => Math.hypot(target.affine[c], target.affine[4 + c], target.affine[8 + c])) as Volume["spacing"];
  return { dims: [tx, ty, tz], spacing, affine: [...target.affine], data: out, aligned, insideFraction: inside / out.length };
}

export interface LabelEdit {
  /** voxels whose label changed */
  changed: number;
  /** per label value: voxels that gained / lost it */
  added: Record<number, number>;
  removed: Record<number, number>;
}

/** What an edit did to a label map: how many voxels changed, and which labels gained or lost them. */
export function labelEdit(before: ArrayLike<number>, after: ArrayLike<number>): LabelEdit {
  if (before.length !== after.length) throw new ImagingError("DIMS_MISMATCH", `the edited label map has ${after.length} voxels, the original ${before.length}.`);
  const out: LabelEdit = { changed: 0, added: {}, removed: {} };
  for (let i = 0; i < before.length; i++) {
    const a = before[i];
    const b = after[i];
    if (a === b) continue;
    out.changed++;
    if (b !== 0) out.added[b] = (out.added[b] ?? 0) + 1;
    if (a !== 0) out.removed[a] = (out.removed[a] ?? 0) + 1;
  }
  return out;
}
