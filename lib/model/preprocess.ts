// The model-input preprocessing, re-implemented from the manifest's `preprocessing` block; it
// must match models/training/preprocess.py (the reference tensors check it to 1e-5). The same
// floating-point operations in the same order, in float64, stored as float32 like the Python.
import type { Volume } from "../imaging/types";
import { ModelError } from "./errors";
import { inputChannels, type PreprocessSpec } from "./manifest";

/** A canonical (RAS) volume on the model grid: HU slices [nz][size][size] and the way back. */
export interface PreparedVolume {
  /** resampled HU, slice-major: index = (k * size + r) * size + c */
  hu: Float32Array;
  size: number;
  nz: number;
  /** slice step (mm) of the source volume */
  sz: number;
  /** crop centre (y, x) in source voxel indices */
  centre: [number, number];
  /** source voxel size [sx, sy, sz] and dims [nx, ny, nz] */
  spacing: [number, number, number];
  dims: [number, number, number];
}

/** Model pixel (r, c) -> source voxel (y, x): step 4 of the contract. */
export function sampleCoords(spec: Pick<PreprocessSpec, "size" | "spacing_mm">, centre: [number, number], sy: number, sx: number): { ys: Float64Array; xs: Float64Array } {
  const half = (spec.size - 1) / 2;
  const ry = spec.spacing_mm / sy;
  const rx = spec.spacing_mm / sx;
  const ys = new Float64Array(spec.size);
  const xs = new Float64Array(spec.size);
  for (let i = 0; i < spec.size; i++) {
    ys[i] = centre[0] + (i - half) * ry;
    xs[i] = centre[1] + (i - half) * rx;
  }
  return { ys, xs };
}

/** Mean (y, x) index of voxels above the threshold over the whole volume; grid centre if none. */
export function bodyCentre(vol: Volume, threshold: number): [number, number] {
  const [nx, ny, nz] = vol.dims;
  const countY = new Float64Array(ny);
  const countX = new Float64Array(nx);
  const d = vol.data;
  let n = 0;
  for (let k = 0; k < nz; k++) {
    for (let y = 0; y < ny; y++) {
      const row = (k * ny + y) * nx;
      let inRow = 0;
      for (let x = 0; x < nx; x++) {
        if (d[row + x] > threshold) {
          countX[x]++;
          inRow++;
        }
      }
      countY[y] += inRow;
      n += inRow;
    }
  }
  if (n === 0) return [(ny - 1) / 2, (nx - 1) / 2];
  let sy = 0;
  let sx = 0;
  for (let y = 0; y < ny; y++) sy += countY[y] * y;
  for (let x = 0; x < nx; x++) sx += countX[x] * x;
  return [sy / n, sx / n];
}

interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  w: Float64Array;
  v0: Uint8Array;
  v1: Uint8Array;
}

function bilinearAxis(n: number, coords: Float64Array): Axis {
  const m = coords.length;
  const a: Axis = { i0: new Int32Array(m), i1: new Int32Array(m), w: new Float64Array(m), v0: new Uint8Array(m), v1: new Uint8Array(m) };
  for (let i = 0; i < m; i++) {
    const f = Math.floor(coords[i]);
    a.w[i] = coords[i] - f;
    a.v0[i] = f >= 0 && f < n ? 1 : 0;
    a.v1[i] = f + 1 >= 0 && f + 1 < n ? 1 : 0;
    a.i0[i] = Math.min(Math.max(f, 0), n - 1);
    a.i1[i] = Math.min(Math.max(f + 1, 0), n - 1);
  }
  return a;
}

function checkCanonical(vol: Volume): void {
  const [nx, ny, nz] = vol.dims;
  if (vol.data.length !== nx * ny * nz) throw new ModelError("BAD_INPUT", `volume data has ${vol.data.length} voxels, dims say ${nx * ny * nz}.`);
  if (!vol.spacing.every((s) => s > 0)) throw new ModelError("BAD_INPUT", `volume spacing [${vol.spacing.join(", ")}] must be positive.`);
}

/** Steps 1-4: a canonical RAS HU volume (x fastest) resampled onto the model grid, every slice. */
export function prepareVolume(vol: Volume, spec: PreprocessSpec): PreparedVolume {
  checkCanonical(vol);
  const [nx, ny, nz] = vol.dims;
  const [sx, sy, sz] = vol.spacing;
  const size = spec.size;
  const fill = spec.fill_hu;
  const centre = bodyCentre(vol, spec.body_threshold_hu);
  const { ys, xs } = sampleCoords(spec, centre, sy, sx);
  const ay = bilinearAxis(ny, ys);
  const ax = bilinearAxis(nx, xs);
  const hu = new Float32Array(nz * size * size);
  const d = vol.data;
  // rows[c] for one model row r: the y-interpolated source row at x0(c) and x1(c)
  for (let k = 0; k < nz; k++) {
    const base = k * ny * nx;
    for (let r = 0; r < size; r++) {
      const wy = ay.w[r];
      const row0 = base + ay.i0[r] * nx;
      const row1 = base + ay.i1[r] * nx;
      const vy0 = ay.v0[r];
      const vy1 = ay.v1[r];
      const out = (k * size + r) * size;
      for (let c = 0; c < size; c++) {
        const x0 = ax.i0[c];
        const x1 = ax.i1[c];
        const c0 = ax.v0[c] ? (1 - wy) * (vy0 ? d[row0 + x0] : fill) + wy * (vy1 ? d[row1 + x0] : fill) : fill;
        const c1 = ax.v1[c] ? (1 - wy) * (vy0 ? d[row0 + x1] : fill) + wy * (vy1 ? d[row1 + x1] : fill) : fill;
        const wx = ax.w[c];
        hu[out + c] = (1 - wx) * c0 + wx * c1;
      }
    }
  }
  return { hu, size, nz, sz, centre, spacing: [sx, sy, sz], dims: [nx, ny, nz] };
}

/** A label map on the same grid (nearest: index floor(v + 0.5), 0 outside), slice-major like `hu`. */
export function prepareLabels(labels: Volume, prep: PreparedVolume, spec: Pick<PreprocessSpec, "size" | "spacing_mm">): Uint8Array {
  const [nx, ny, nz] = labels.dims;
  if (nx !== prep.dims[0] || ny !== prep.dims[1] || nz !== prep.dims[2]) {
    throw new ModelError("BAD_INPUT", `label dims [${labels.dims.join(", ")}] differ from the volume's [${prep.dims.join(", ")}].`);
  }
  const { ys, xs } = sampleCoords(spec, prep.centre, prep.spacing[1], prep.spacing[0]);
  const size = spec.size;
  const yi = Array.from(ys, (v) => Math.floor(v + 0.5));
  const xi = Array.from(xs, (v) => Math.floor(v + 0.5));
  const out = new Uint8Array(nz * size * size);
  for (let k = 0; k < nz; k++) {
    for (let r = 0; r < size; r++) {
      if (yi[r] < 0 || yi[r] >= ny) continue;
      const row = (k * ny + yi[r]) * nx;
      const o = (k * size + r) * size;
      for (let c = 0; c < size; c++) if (xi[c] >= 0 && xi[c] < nx) out[o + c] = labels.data[row + xi[c]];
    }
  }
  return out;
}

/** A click in model pixels (row, column) of one slice. */
export interface ModelClick {
  r: number;
  c: number;
  positive: boolean;
}

/** Steps 5-7: the encoder input [C][size][size] for slice k. */
export function modelInput(prep: PreparedVolume, k: number, spec: PreprocessSpec, clicks: readonly ModelClick[] = [], out?: Float32Array): Float32Array {
  const size = spec.size;
  const plane = size * size;
  const channels = inputChannels(spec);
  if (!Number.isInteger(k) || k < 0 || k >= prep.nz) throw new ModelError("BAD_INPUT", `slice ${k} is outside 0..${prep.nz - 1}.`);
  if (prep.size !== size) throw new ModelError("BAD_INPUT", `prepared volume is ${prep.size} px, the model wants ${size} px.`);
  const x = out ?? new Float32Array(channels * plane);
  const [lo, hi] = spec.window;
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  spec.slab_offsets_mm.forEach((o, ch) => {
    const zf = Math.min(Math.max(k + o / prep.sz, 0), prep.nz - 1);
    const z0 = Math.floor(zf);
    const z1 = Math.min(z0 + 1, prep.nz - 1);
    const t = zf - z0;
    const a = prep.hu.subarray(z0 * plane, (z0 + 1) * plane);
    const b = prep.hu.subarray(z1 * plane, (z1 + 1) * plane);
    const dst = ch * plane;
    for (let i = 0; i < plane; i++) {
      const v = t === 0 ? a[i] : (1 - t) * a[i] + t * b[i];
      x[dst + i] = (Math.min(Math.max(v, lo), hi) - mid) / half;
    }
  });
  if (spec.clicks) clickMaps(clicks, size, spec.click_radius_px, x.subarray(spec.slab_offsets_mm.length * plane));
  else if (clicks.length) throw new ModelError("BAD_INPUT", "this model has no click channels.");
  return x;
}

/** Positive / negative click disks: [2][size][size], 1 inside radius of a click. */
export function clickMaps(clicks: readonly ModelClick[], size: number, radius: number, out: Float32Array<ArrayBufferLike> = new Float32Array(2 * size * size)): Float32Array<ArrayBufferLike> {
  out.fill(0);
  const r2 = radius * radius;
  for (const { r, c, positive } of clicks) {
    const base = positive ? 0 : size * size;
    const rLo = Math.max(0, Math.ceil(r - radius));
    const rHi = Math.min(size - 1, Math.floor(r + radius));
    for (let i = rLo; i <= rHi; i++) {
      for (let j = Math.max(0, Math.ceil(c - radius)); j <= Math.min(size - 1, Math.floor(c + radius)); j++) {
        if ((i - r) ** 2 + (j - c) ** 2 <= r2) out[base + i * size + j] = 1;
      }
    }
  }
  return out;
}

/** Source voxel (y, x) -> model pixel (r, c): the inverse of step 4 (for clicks on the viewer). */
export function voxelToModel(prep: PreparedVolume, spec: Pick<PreprocessSpec, "size" | "spacing_mm">, y: number, x: number): { r: number; c: number } {
  const half = (spec.size - 1) / 2;
  return {
    r: ((y - prep.centre[0]) * prep.spacing[1]) / spec.spacing_mm + half,
    c: ((x - prep.centre[1]) * prep.spacing[0]) / spec.spacing_mm + half,
  };
}

/**
 * Model-grid label slices [nz][size][size] back onto the source grid (x fastest), nearest
 * model pixel for each voxel; voxels outside the model's field of view get 0.
 */
export function labelsToVolume(labels: Uint8Array, prep: PreparedVolume, spec: Pick<PreprocessSpec, "size" | "spacing_mm">): Uint8Array {
  const [nx, ny, nz] = prep.dims;
  const size = spec.size;
  if (labels.length !== nz * size * size) throw new ModelError("BAD_INPUT", `expected ${nz}x${size}x${size} labels, got ${labels.length} values.`);
  const rowOf = new Int32Array(ny);
  const colOf = new Int32Array(nx);
  for (let y = 0; y < ny; y++) rowOf[y] = Math.round(voxelToModel(prep, spec, y, 0).r);
  for (let x = 0; x < nx; x++) colOf[x] = Math.round(voxelToModel(prep, spec, 0, x).c);
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let y = 0; y < ny; y++) {
      const r = rowOf[y];
      if (r < 0 || r >= size) continue;
      const src = (k * size + r) * size;
      const dst = (k * ny + y) * nx;
      for (let x = 0; x < nx; x++) {
        const c = colOf[x];
        if (c >= 0 && c < size) out[dst + x] = labels[src + c];
      }
    }
  }
  return out;
}
