// One volume through the model: encoder once per slice, decoder once per slice for a batch of
// codes. The ONNX runtime is injected (ModelRunner), so this stays pure and testable.
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
  /** features [nFeatures][f][size][size] (nFeatures 1 broadcasts), z [nCodes][latent] -> logits [nCodes][classes][size][size] */
  decode(features: Float32Array, nFeatures: number, z: Float32Array, nCodes: number): Promise<Float32Array>;
}

export interface SegmentOptions {
  /** standard-normal draws [nCodes][latent]; one row = one 3-D candidate (fixed across slices) */
  eps?: Float32Array;
  /** also decode z = prior mean (the model's single best guess) */
  priorMean?: boolean;
  /** clicks per slice index, in model pixels */
  clicks?: ReadonlyMap<number, readonly ModelClick[]>;
  /** slices per encoder call (memory: features are size² x f x 4 bytes per slice) */
  encodeBatch?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface SegmentResult {
  /** one label map [nz][size][size] per eps row (0 background, then the manifest's classes) */
  samples: Uint8Array[];
  mean?: Uint8Array;
  /** per-slice prior, [nz][latent] */
  mu: Float32Array;
  logvar: Float32Array;
  timings: { preprocessMs: number; encodeMs: number; decodeMs: number; slices: number; codes: number };
}

export async function segmentVolume(runner: ModelRunner, prep: PreparedVolume, opts: SegmentOptions = {}): Promise<SegmentResult> {
  const m = runner.manifest;
  const spec = m.preprocessing;
  const d = m.latent_size;
  const classes = m.classes.length;
  const eps = opts.eps ?? new Float32Array(0);
  if (eps.length % d !== 0) throw new ModelError("BAD_INPUT", `eps has ${eps.length} values, not a multiple of the latent size ${d}.`);
  const nSamples = eps.length / d;
  const nCodes = nSamples + (opts.priorMean ? 1 : 0);
  if (nCodes === 0) throw new ModelError("BAD_INPUT", "ask for at least one code (eps rows or the prior mean).");
  const plane = spec.size * spec.size;
  const ch = inputChannels(spec);
  const f = featureChannels(m);
  const batch = Math.max(1, opts.encodeBatch ?? 4);
  const samples = Array.from({ length: nSamples }, () => new Uint8Array(prep.nz * plane));
  const mean = opts.priorMean ? new Uint8Array(prep.nz * plane) : undefined;
  const mu = new Float32Array(prep.nz * d);
  const logvar = new Float32Array(prep.nz * d);
  const timings = { preprocessMs: 0, encodeMs: 0, decodeMs: 0, slices: prep.nz, codes: nCodes };
  const labels = new Uint8Array(nCodes * plane);

  for (let k0 = 0; k0 < prep.nz; k0 += batch) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    const n = Math.min(batch, prep.nz - k0);
    let t = performance.now();
    const images = new Float32Array(n * ch * plane);
    for (let i = 0; i < n; i++) modelInput(prep, k0 + i, spec, opts.clicks?.get(k0 + i) ?? [], images.subarray(i * ch * plane, (i + 1) * ch * plane));
    timings.preprocessMs += performance.now() - t;
    t = performance.now();
    const enc = await runner.encode(images, n);
    timings.encodeMs += performance.now() - t;
    mu.set(enc.mu, k0 * d);
    logvar.set(enc.logvar, k0 * d);
    for (let i = 0; i < n; i++) {
      const k = k0 + i;
      const sMu = enc.mu.subarray(i * d, (i + 1) * d);
      const z = new Float32Array(nCodes * d);
      z.set(codesFor(sMu, enc.logvar.subarray(i * d, (i + 1) * d), eps));
      if (mean) z.set(sMu, nSamples * d);
      t = performance.now();
      const logits = await runner.decode(enc.features.subarray(i * f * plane, (i + 1) * f * plane), 1, z, nCodes);
      timings.decodeMs += performance.now() - t;
      argmaxLabels(logits, nCodes, classes, plane, labels);
      for (let s = 0; s < nSamples; s++) samples[s].set(labels.subarray(s * plane, (s + 1) * plane), k * plane);
      if (mean) mean.set(labels.subarray(nSamples * plane), k * plane);
    }
    opts.onProgress?.(k0 + n, prep.nz);
  }
  return { samples, mean, mu, logvar, timings };
}
