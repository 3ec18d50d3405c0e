// Simulated readers for the paper's comparison (method §6): a selection user who picks the shown
// mask closest to their target (perfectly, or noisily, since perfect robot users overstate
// results), a click user who clicks the deepest voxel of the largest error (RITM protocol),
// a MedSAM-style jittered first box, and the interaction-count metrics.
import { dice } from "../metrics/overlap";
import { UairError } from "./errors";
import { checkDims, connectedComponents3d, type Dims3 } from "./masks";
import type { Rng } from "./rng";

export interface PickOptions {
  mode: "perfect" | "noisy";
  /** noisy: softmax over Dice at this temperature (method: 0.02) */
  temperature?: number;
  /** noisy: this fraction of picks is uniformly random (method: 10%) */
  randomRate?: number;
  rng?: Rng;
}

export interface SimulatedPick {
  index: number;
  /** Dice of every shown mask to the target */
  dices: number[];
  /** the best Dice any shown mask reaches (what a perfect chooser gets) */
  best: number;
}

/** Which of the shown binary masks a reader with `target` in mind picks. */
export function simulatedPick(shown: readonly Uint8Array[], target: Uint8Array, opts: PickOptions): SimulatedPick {
  if (shown.length === 0) throw new UairError("EMPTY_SAMPLES", "nothing shown to pick from.");
  const dices = shown.map((m) => dice(m, target));
  const best = Math.max(...dices);
  let index = dices.indexOf(best);
  if (opts.mode === "noisy") {
    if (!opts.rng) throw new UairError("BAD_INPUT", "a noisy pick needs a seeded rng.");
    const t = opts.temperature ?? 0.02;
    if (!(t > 0)) throw new UairError("BAD_INPUT", `temperature must be > 0, got ${t}.`);
    if (opts.rng.uniform() < (opts.randomRate ?? 0.1)) index = Math.floor(opts.rng.uniform() * shown.length);
    else {
      const w = dices.map((d) => Math.exp((d - best) / t));
      let u = opts.rng.uniform() * w.reduce((a, b) => a + b, 0);
      index = w.findIndex((x) => (u -= x) < 0);
      if (index < 0) index = w.length - 1;
    }
  }
  return { index, dices, best };
}

export interface Click {
  x: number;
  y: number;
  z: number;
  /** true: the region is missed foreground (add); false: a false positive (remove) */
  positive: boolean;
}

/**
 * The next click of the RITM protocol: the voxel deepest inside the largest error region
 * (6-connected; depth = city-block distance to the region's outside, in voxel steps), positive
 * when that region is missed foreground. Null when prediction and target agree.
 */
export function nextClick(prediction: Uint8Array, target: Uint8Array, dims: Dims3): Click | null {
  const n = checkDims(dims, prediction.length, "prediction");
  checkDims(dims, target.length, "target");
  const fn = new Uint8Array(n);
  const fp = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (target[i] && !prediction[i]) fn[i] = 1;
    else if (!target[i] && prediction[i]) fp[i] = 1;
  }
  const a = connectedComponents3d(fn, dims);
  const b = connectedComponents3d(fp, dims);
  const bigA = a.sizes.length ? Math.max(...a.sizes) : 0;
  const bigB = b.sizes.length ? Math.max(...b.sizes) : 0;
  if (bigA === 0 && bigB === 0) return null;
  const positive = bigA >= bigB;
  const comp = positive ? a : b;
  const id = comp.sizes.indexOf(positive ? bigA : bigB) + 1;
  const region = new Uint8Array(n);
  for (let i = 0; i < n; i++) region[i] = comp.labels[i] === id ? 1 : 0;
  const depth = depthInside(region, dims);
  let best = -1;
  let at = 0;
  for (let i = 0; i < n; i++) if (region[i] && depth[i] > best) [best, at] = [depth[i], i];
  const [w, h] = dims;
  return { x: at % w, y: Math.floor(at / w) % h, z: Math.floor(at / (w * h)), positive };
}

/** Multi-source BFS from every voxel outside the mask (and beyond the volume's faces). */
function depthInside(mask: Uint8Array, dims: Dims3): Int32Array {
  const [w, h, d] = dims;
  const plane = w * h;
  const n = mask.length;
  const dist = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const x = i % w;
    const y = Math.floor(i / w) % h;
    const z = Math.floor(i / plane);
    // on the surface: next to an outside voxel or to the volume's faces (the z faces only for
    // a real volume: a single slice is all "face")
    const edge =
      x === 0 || x === w - 1 || y === 0 || y === h - 1 || (d > 1 && (z === 0 || z === d - 1)) ||
      !mask[i - 1] || !mask[i + 1] || !mask[i - w] || !mask[i + w] ||
      (z > 0 && !mask[i - plane]) || (z < d - 1 && !mask[i + plane]);
    if (edge) {
      dist[i] = 1;
      queue[tail++] = i;
    }
  }
  for (let head = 0; head < tail; head++) {
    const i = queue[head];
    const x = i % w;
    const y = Math.floor(i / w) % h;
    const z = Math.floor(i / plane);
    for (const [ok, j] of [
      [x > 0, i - 1],
      [x < w - 1, i + 1],
      [y > 0, i - w],
      [y < h - 1, i + w],
      [z > 0, i - plane],
      [z < d - 1, i + plane],
    ] as const) {
      if (ok && mask[j] && dist[j] < 0) {
        dist[j] = dist[i] + 1;
        queue[tail++] = j;
      }
    }
  }
  return dist;
}

export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  z0: number;
  z1: number;
}

/** The target's bounding box with each in-plane side pushed outward by 0..maxJitter px (MedSAM). */
export function jitteredBox(target: Uint8Array, dims: Dims3, maxJitter: number, rng: Rng): Box | null {
  checkDims(dims, target.length, "target");
  const [w, h] = dims;
  const box = { x0: Infinity, x1: -1, y0: Infinity, y1: -1, z0: Infinity, z1: -1 };
  for (let i = 0; i < target.length; i++) {
    if (!target[i]) continue;
    const x = i % w;
    const y = Math.floor(i / w) % h;
    const z = Math.floor(i / (w * h));
    box.x0 = Math.min(box.x0, x);
    box.x1 = Math.max(box.x1, x);
    box.y0 = Math.min(box.y0, y);
    box.y1 = Math.max(box.y1, y);
    box.z0 = Math.min(box.z0, z);
    box.z1 = Math.max(box.z1, z);
  }
  if (box.x1 < 0) return null;
  const j = () => Math.floor(rng.uniform() * (maxJitter + 1));
  return {
    x0: Math.max(0, box.x0 - j()),
    x1: Math.min(w - 1, box.x1 + j()),
    y0: Math.max(0, box.y0 - j()),
    y1: Math.min(h - 1, box.y1 + j()),
    z0: box.z0,
    z1: box.z1,
  };
}

/**
 * Interactions needed to reach a Dice threshold: dices[i] is the Dice after interaction i + 1.
 * Not reached within `within` interactions counts as `unreached` (method: 6 and 10).
 */
export function interactionsToReach(dices: readonly number[], threshold: number, within = 6, unreached = 10): number {
  const i = dices.slice(0, within).findIndex((d) => d >= threshold);
  return i < 0 ? unreached : i + 1;
}
