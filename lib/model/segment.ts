// One volume through the model: the encoder once per slice (kept in an EncodedVolume that a
// worker may cache while the case is under review), the decoder once per slice for a batch of
// codes. Slices can be done in any order, so the ones a reader is looking at come first. The
// ONNX runtime is injected (ModelRunner), so this stays pure and testable.
import type { Box3 } from "../box";
import { ModelError } from "./errors";
import { featureChannels, inputChannels, type ModelManifest } from "./manifest";
import { modelInput, type ModelClick, type PreparedVolume } from "./preprocess";
import { argmaxLabels, codesFor } from "./sampling";

export interface EncoderOutput {
  /** [n][features][size][size] */
  features: Float32Array;
  /** [n][latent] */
  mu: Float32Array;
  logvar: Float32Array;
}

export interface ModelRunner {
  readonly manifest: ModelManifest;
  /** images [n][channels][size][size] */
  encode(images: Float32Array, n: number): Promise<EncoderOutput>;
  /**
   * features [nFeatures][f][h][w] (nFeatures 1 broadcasts), z [nCodes][latent] -> logits
   * [nCodes][classes][h][w]; [h, w] is [size, size] unless the manifest's decoder takes crops
   */
  decode(features: Float32Array, nFeatures: number, z: Float32Array, nCodes: number, size?: readonly [number, number]): Promise<Float32Array>;
}

/** Encoder outputs of a volume's slices, filled in as slices are encoded. */
export interface EncodedVolume {
  nz: number;
  /** per slice [features][size][size], undefined until encoded */
  features: (Float32Array | undefined)[];
  /** per-slice prior, [nz][latent] (valid where features is set) */
  mu: Float32Array;
  logvar: Float32Array;
  /** bytes held by the features (for cache accounting) */
  bytes: number;
}

export interface Timings {
  preprocessMs: number;
  encodeMs: number;
  decodeMs: number;
}

/** A box of the model grid (x columns, y rows, z slices) to decode. */
export type DecodeBox = Box3;

/** [f][size][size] features -> [f][box.h][box.w], into `out` (reused across slices) */
function cropFeatures(features: Float32Array, f: number, size: number, box: DecodeBox, out: Float32Array): Float32Array {
  for (let c = 0; c < f; c++)
    for (let r = 0; r < box.h; r++) {
      const from = c * size * size + (box.y0 + r) * size + box.x0;
      out.set(features.subarray(from, from + box.w), (c * box.h + r) * box.w);
    }
  return out;
}

export function emptyEncoding(m: ModelManifest, nz: number): EncodedVolume {
  return { nz, features: new Array(nz).fill(undefined), mu: new Float32Array(nz * m.latent_size), logvar: new Float32Array(nz * m.latent_size), bytes: 0 };
}

interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

function checkSlices(slices: readonly number[], nz: number) {
  for (const k of slices) if (!Number.isInteger(k) || k < 0 || k >= nz) throw new ModelError("BAD_INPUT", `slice ${k} is outside 0..${nz - 1}.`);
}

/**
 * Encode the listed slices that are not encoded yet (clicks make a slice's input differ, so
 * clicked slices are always re-encoded and not kept in `enc`'s cache sense: pass a fresh one).
 */
export async function encodeSlices(
  runner: ModelRunner,
  prep: PreparedVolume,
  enc: EncodedVolume,
  slices: readonly number[],
  opts: RunOptions & { clicks?: ReadonlyMap<number, readonly ModelClick[]>; batch?: number; timings?: Timings } = {},
): Promise<void> {
  const m = runner.manifest;
  const spec = m.preprocessing;
  const plane = spec.size * spec.size;
  const ch = inputChannels(spec);
  const f = featureChannels(m);
  const d = m.latent_size;
  checkSlices(slices, prep.nz);
  if (enc.nz !== prep.nz) throw new ModelError("BAD_INPUT", `encoding has ${enc.nz} slices, the volume ${prep.nz}.`);
  const todo = [...new Set(slices)].filter((k) => !enc.features[k]);
  const batch = Math.max(1, opts.batch ?? 4);
  for (let b0 = 0; b0 < todo.length; b0 += batch) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    const ks = todo.slice(b0, b0 + batch);
    let t = performance.now();
    const images = new Float32Array(ks.length * ch * plane);
    ks.forEach((k, i) => modelInput(prep, k, spec, opts.clicks?.get(k) ?? [], images.subarray(i * ch * plane, (i + 1) * ch * plane)));
    if (opts.timings) opts.timings.preprocessMs += performance.now() - t;
    t = performance.now();
    const out = await runner.encode(images, ks.length);
    if (opts.timings) opts.timings.encodeMs += performance.now() - t;
    ks.forEach((k, i) => {
      // copy: the runtime's output buffer holds the whole batch
      enc.features[k] = out.features.slice(i * f * plane, (i + 1) * f * plane);
      enc.bytes += f * plane * 4;
      enc.mu.set(out.mu.subarray(i * d, (i + 1) * d), k * d);
      enc.logvar.set(out.logvar.subarray(i * d, (i + 1) * d), k * d);
    });
    opts.onProgress?.(Math.min(b0 + batch, todo.length), todo.length);
  }
}

/**
 * Decode eps rows (one 3-D candidate each: z_k = mu_k + sigma_k * eps on every slice k) on the
 * listed slices, writing argmax labels into `out[code]` ([nz][size][size] each). With
 * `priorMean`, one more output (the last) gets z = mu_k. With `box` (a decoder that takes crops),
 * only the box is decoded and `out` maps are box-shaped ([box.d][box.h][box.w]; the slices must
 * lie inside it): a round near the liver needs neither the pixels nor the memory of the rest.
 */
export async function decodeSlices(
  runner: ModelRunner,
  enc: EncodedVolume,
  eps: Float32Array,
  slices: readonly number[],
  out: Uint8Array[],
  opts: RunOptions & { priorMean?: boolean; timings?: Timings; box?: DecodeBox } = {},
): Promise<void> {
  const m = runner.manifest;
  const d = m.latent_size;
  const size = m.preprocessing.size;
  const classes = m.classes.length;
  if (eps.length % d !== 0) throw new ModelError("BAD_INPUT", `eps has ${eps.length} values, not a multiple of the latent size ${d}.`);
  const nSamples = eps.length / d;
  const nCodes = nSamples + (opts.priorMean ? 1 : 0);
  if (nCodes === 0) throw new ModelError("BAD_INPUT", "ask for at least one code (eps rows or the prior mean).");
  checkSlices(slices, enc.nz);
  const box = opts.box ?? { x0: 0, y0: 0, z0: 0, w: size, h: size, d: enc.nz };
  const { x0, y0, z0, w, h } = box;
  if (![x0, y0, z0, w, h, box.d].every(Number.isInteger) || x0 < 0 || y0 < 0 || z0 < 0 || w < 1 || h < 1 || box.d < 1 || x0 + w > size || y0 + h > size || z0 + box.d > enc.nz) {
    throw new ModelError("BAD_INPUT", `box ${JSON.stringify(box)} is not inside the ${size}x${size}x${enc.nz} model grid.`);
  }
  const outside = slices.find((k) => k < z0 || k >= z0 + box.d);
  if (outside !== undefined) throw new ModelError("BAD_INPUT", `slice ${outside} is outside the box's slices ${z0}..${z0 + box.d - 1}.`);
  const plane = w * h;
  if (out.length !== nCodes || out.some((o) => o.length !== box.d * plane)) throw new ModelError("BAD_INPUT", `need ${nCodes} output maps of ${box.d}x${plane} labels.`);
  const whole = w === size && h === size;
  const f = featureChannels(m);
  const crop = whole ? null : new Float32Array(f * plane);
  const labels = new Uint8Array(nCodes * plane);
  const z = new Float32Array(nCodes * d);
  let done = 0;
  for (const k of slices) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    const features = enc.features[k];
    if (!features) throw new ModelError("BAD_INPUT", `slice ${k} is not encoded yet.`);
    const mu = enc.mu.subarray(k * d, (k + 1) * d);
    z.set(codesFor(mu, enc.logvar.subarray(k * d, (k + 1) * d), eps));
    if (opts.priorMean) z.set(mu, nSamples * d);
    const t = performance.now();
    const logits = crop ? await runner.decode(cropFeatures(features, f, size, box, crop), 1, z, nCodes, [h, w]) : await runner.decode(features, 1, z, nCodes);
    if (opts.timings) opts.timings.decodeMs += performance.now() - t;
    argmaxLabels(logits, nCodes, classes, plane, labels);
    for (let s = 0; s < nCodes; s++) out[s].set(labels.subarray(s * plane, (s + 1) * plane), (k - z0) * plane);
    opts.onProgress?.(++done, slices.length);
  }
}

export interface SegmentOptions extends RunOptions {
  /** standard-normal draws [nCodes][latent]; one row = one 3-D candidate (fixed across slices) */
  eps?: Float32Array;
  /** also decode z = prior mean (the model's single best guess) */
  priorMean?: boolean;
  /** clicks per slice index, in model pixels */
  clicks?: ReadonlyMap<number, readonly ModelClick[]>;
  /** slices per encoder call (memory: features are size² x f x 4 bytes per slice) */
  encodeBatch?: number;
}

export interface SegmentResult {
  /** one label map [nz][size][size] per eps row (0 background, then the manifest's classes) */
  samples: Uint8Array[];
  mean?: Uint8Array;
  /** per-slice prior, [nz][latent] */
  mu: Float32Array;
  logvar: Float32Array;
  timings: Timings & { slices: number; codes: number };
}

/** Every slice, encoder then decoder, with progress over the whole volume. */
export async function segmentVolume(runner: ModelRunner, prep: PreparedVolume, opts: SegmentOptions = {}): Promise<SegmentResult> {
  const m = runner.manifest;
  const d = m.latent_size;
  const eps = opts.eps ?? new Float32Array(0);
  if (eps.length % d !== 0) throw new ModelError("BAD_INPUT", `eps has ${eps.length} values, not a multiple of the latent size ${d}.`);
  const nSamples = eps.length / d;
  const nCodes = nSamples + (opts.priorMean ? 1 : 0);
  if (nCodes === 0) throw new ModelError("BAD_INPUT", "ask for at least one code (eps rows or the prior mean).");
  const plane = m.preprocessing.size * m.preprocessing.size;
  const timings = { preprocessMs: 0, encodeMs: 0, decodeMs: 0, slices: prep.nz, codes: nCodes };
  const enc = emptyEncoding(m, prep.nz);
  const out = Array.from({ length: nCodes }, () => new Uint8Array(prep.nz * plane));
  const batch = Math.max(1, opts.encodeBatch ?? 4);
  // in blocks, so features of the whole volume are never held at once
  for (let k0 = 0; k0 < prep.nz; k0 += batch) {
    const ks = Array.from({ length: Math.min(batch, prep.nz - k0) }, (_, i) => k0 + i);
    await encodeSlices(runner, prep, enc, ks, { clicks: opts.clicks, batch, signal: opts.signal, timings });
    await decodeSlices(runner, enc, eps, ks, out, { priorMean: opts.priorMean, signal: opts.signal, timings });
    for (const k of ks) enc.features[k] = undefined;
    opts.onProgress?.(k0 + ks.length, prep.nz);
  }
  return { samples: out.slice(0, nSamples), mean: opts.priorMean ? out[nSamples] : undefined, mu: enc.mu, logvar: enc.logvar, timings };
}
