// Method §5: an institution's preference profile per structure: the running mean and covariance
// (Welford) of the accepted codes' offsets from the image's prior mean, in whitened units (so an
// offset of 1 is one prior standard deviation on every slice), plus the accepted/default volume ratio.
import { z } from "zod";
import { UairError } from "./errors";
import { checkStructure, type Structure } from "./masks";
import { standardMixture, validateMixture, type Mixture } from "./mixture";

export interface RunningScalar {
  n: number;
  mean: number;
  /** Welford sum of squared deviations */
  m2: number;
}

export interface ProfileStats {
  structure: Structure;
  dim: number;
  /** accepted cases observed */
  n: number;
  /** mean accepted eps (the offset from the prior mean in whitened units) */
  mean: Float64Array;
  /** [dim][dim] Welford co-moment: covariance = m2 / (n - 1) */
  m2: Float64Array;
  /** accepted structure volume / the model default's (prior-mean) structure volume */
  volumeRatio: RunningScalar;
}

export function emptyProfile(structure: Structure, dim: number): ProfileStats {
  checkStructure(structure);
  if (!Number.isInteger(dim) || dim < 1) throw new UairError("BAD_INPUT", `latent dimension must be a positive integer, got ${dim}.`);
  return { structure, dim, n: 0, mean: new Float64Array(dim), m2: new Float64Array(dim * dim), volumeRatio: { n: 0, mean: 0, m2: 0 } };
}

/**
 * One accepted case (immutable: returns a new profile). `volumeRatio` may be null when the model
 * default has none of the structure (the ratio is undefined); the code offset still counts.
 */
export function addObservation(profile: ProfileStats, deltaEps: Float32Array | readonly number[], volumeRatio: number | null): ProfileStats {
  validateProfile(profile);
  const { dim } = profile;
  if (deltaEps.length !== dim) {
    throw new UairError("DIMS_MISMATCH", `the accepted offset has ${deltaEps.length} values, the ${profile.structure} profile has ${dim} latent dims.`);
  }
  for (let d = 0; d < dim; d++) {
    if (!Number.isFinite(deltaEps[d])) throw new UairError("BAD_CODES", `accepted offset value ${d} is ${deltaEps[d]}; it must be finite.`);
  }
  if (volumeRatio !== null && !(Number.isFinite(volumeRatio) && volumeRatio >= 0)) {
    throw new UairError("BAD_INPUT", `volume ratio must be a finite number >= 0 (accepted / default volume) or null, got ${volumeRatio}.`);
  }
  const n = profile.n + 1;
  const delta = new Float64Array(dim);
  const mean = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    delta[d] = deltaEps[d] - profile.mean[d];
    mean[d] = profile.mean[d] + delta[d] / n;
  }
  const m2 = profile.m2.slice();
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) m2[a * dim + b] += delta[a] * (deltaEps[b] - mean[b]);
  let vr = { ...profile.volumeRatio };
  if (volumeRatio !== null) {
    const vn = vr.n + 1;
    const dv = volumeRatio - vr.mean;
    const vmean = vr.mean + dv / vn;
    vr = { n: vn, mean: vmean, m2: vr.m2 + dv * (volumeRatio - vmean) };
  }
  return { structure: profile.structure, dim, n, mean, m2, volumeRatio: vr };
}

export interface ProfilePriorOptions {
  /** fewer accepted cases than this: use the model's own prior; default 2 */
  minObservations?: number;
  /** k0 in the shrinkage n / (n + k0) toward the model prior; default 2 */
  shrinkage?: number;
  /** variance floor; default 0.05 */
  sMin?: number;
}

/**
 * Round 0 for a new case of this institution: one Gaussian with mean lambda * profile mean and
 * variances lambda * sample variance + (1 - lambda) * 1, lambda = n / (n + k0), floored at sMin.
 * The shrinkage keeps two or three idiosyncratic cases from pinning every new case.
 */
export function profilePrior(profile: ProfileStats, opts: ProfilePriorOptions = {}): Mixture {
  validateProfile(profile);
  const minObservations = opts.minObservations ?? 2;
  const k0 = opts.shrinkage ?? 2;
  const sMin = opts.sMin ?? 0.05;
  if (!Number.isInteger(minObservations) || minObservations < 2) {
    throw new UairError("BAD_INPUT", `minObservations must be an integer >= 2 (a covariance needs two cases), got ${minObservations}.`);
  }
  if (!(k0 >= 0 && Number.isFinite(k0))) throw new UairError("BAD_INPUT", `shrinkage must be a finite number >= 0, got ${k0}.`);
  if (!(sMin > 0 && Number.isFinite(sMin))) throw new UairError("BAD_INPUT", `sMin must be > 0, got ${sMin}.`);
  const { dim, n } = profile;
  if (n < minObservations) return standardMixture(dim);
  const lambda = n / (n + k0);
  const mix: Mixture = { dim, weights: Float64Array.of(1), means: new Float64Array(dim), variances: new Float64Array(dim) };
  for (let d = 0; d < dim; d++) {
    mix.means[d] = lambda * profile.mean[d];
    const sampleVar = Math.max(0, profile.m2[d * dim + d] / (n - 1));
    mix.variances[d] = Math.max(sMin, lambda * sampleVar + (1 - lambda));
  }
  validateMixture(mix);
  return mix;
}

/** Covariance m2 / (n - 1) as [dim][dim]; zeros with fewer than two cases. */
export function profileCovariance(profile: ProfileStats): Float64Array {
  if (profile.n < 2) return new Float64Array(profile.dim * profile.dim);
  return profile.m2.map((v) => v / (profile.n - 1));
}

const pct = (x: number) => `${x >= 0 ? "+" : "-"}${Math.abs(x * 100).toFixed(0)}%`;
const signed = (x: number) => `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(2)}`;

/**
 * Human terms, e.g. "tumour: +12% volume vs model default (n = 5, ±4%). Latent shift 0.84 prior SD
 * (dims: +0.80, -0.10, ...)." The ± is the sample standard deviation of the per-case volume change.
 */
export function describeProfile(profile: ProfileStats): string {
  validateProfile(profile);
  const { structure, n, dim, volumeRatio: vr } = profile;
  if (n === 0) return `${structure}: no accepted cases yet; new cases start from the model default.`;
  const volume =
    vr.n === 0
      ? `${structure}: volume change not recorded (n = ${n})`
      : `${structure}: ${pct(vr.mean - 1)} volume vs model default (n = ${vr.n}${vr.n >= 2 ? `, ±${(Math.sqrt(vr.m2 / (vr.n - 1)) * 100).toFixed(0)}%` : ""})`;
  const norm = Math.sqrt(profile.mean.reduce((s, v) => s + v * v, 0));
  const dims = Array.from(profile.mean, signed).join(", ");
  return `${volume}. Latent shift ${norm.toFixed(2)} prior SD over ${dim} dims (${dims}), from ${n} accepted case${n === 1 ? "" : "s"}.`;
}

export interface ProfileJSON {
  structure: Structure;
  dim: number;
  n: number;
  mean: number[];
  m2: number[];
  volumeRatio: RunningScalar;
}

const profileSchema = z.object({
  structure: z.enum(["liver", "tumour"]),
  dim: z.number().int().positive(),
  n: z.number().int().nonnegative(),
  mean: z.array(z.number()),
  m2: z.array(z.number()),
  volumeRatio: z.object({ n: z.number().int().nonnegative(), mean: z.number(), m2: z.number() }),
});

export function profileToJSON(profile: ProfileStats): ProfileJSON {
  validateProfile(profile);
  return { ...profile, mean: Array.from(profile.mean), m2: Array.from(profile.m2), volumeRatio: { ...profile.volumeRatio } };
}

/** Parses and validates a stored profile; throws BAD_PROFILE with the first problem. */
export function profileFromJSON(json: unknown): ProfileStats {
  const parsed = profileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UairError("BAD_PROFILE", `stored profile is malformed at "${issue.path.join(".")}": ${issue.message}.`);
  }
  const p = parsed.data;
  const profile: ProfileStats = { ...p, mean: Float64Array.from(p.mean), m2: Float64Array.from(p.m2), volumeRatio: { ...p.volumeRatio } };
  validateProfile(profile);
  return profile;
}

/** Throws BAD_PROFILE unless the arrays fit dim, are finite and the co-moment diagonals are >= 0. */
export function validateProfile(profile: ProfileStats): void {
  const { dim, n, mean, m2, volumeRatio: vr } = profile;
  if (profile.structure !== "liver" && profile.structure !== "tumour") throw new UairError("BAD_PROFILE", `profile structure ${JSON.stringify(profile.structure)} is not liver or tumour.`);
  if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(n) || n < 0) throw new UairError("BAD_PROFILE", `profile dim ${dim} / n ${n} must be integers (dim >= 1, n >= 0).`);
  if (mean.length !== dim || m2.length !== dim * dim) {
    throw new UairError("BAD_PROFILE", `profile of ${dim} dims needs ${dim} means and ${dim * dim} co-moments, got ${mean.length} and ${m2.length}.`);
  }
  if (!mean.every(Number.isFinite) || !m2.every(Number.isFinite)) throw new UairError("BAD_PROFILE", "profile mean or co-moment holds a non-finite value.");
  for (let d = 0; d < dim; d++) {
    if (m2[d * dim + d] < -1e-9) throw new UairError("BAD_PROFILE", `profile co-moment diagonal ${d} is negative (${m2[d * dim + d]}); the stored profile is corrupt.`);
  }
  if (!Number.isInteger(vr.n) || vr.n < 0 || vr.n > n || !Number.isFinite(vr.mean) || !Number.isFinite(vr.m2) || vr.m2 < -1e-9) {
    throw new UairError("BAD_PROFILE", `profile volume ratio ${JSON.stringify(vr)} is inconsistent (n must be 0..${n}, finite mean, m2 >= 0).`);
  }
}
