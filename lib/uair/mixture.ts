// The preference distribution q_t: a mixture of diagonal Gaussians over the whitened latent code
// eps (z_k = mu_k + exp(logvar_k / 2) * eps for every slice k), so N(0, I) is the model's prior.
import { z } from "zod";
import { UairError } from "./errors";
import type { Rng } from "./rng";

export interface Mixture {
  dim: number;
  /** M component weights, summing to 1 */
  weights: Float64Array;
  /** [M][dim] */
  means: Float64Array;
  /** [M][dim] diagonal variances, all > 0 */
  variances: Float64Array;
}

/** How far the weights may drift from summing to 1 (float rounding after JSON or updates). */
const WEIGHT_SUM_TOLERANCE = 1e-6;

/** The model's own prior in whitened units: one component N(0, I). */
export function standardMixture(dim: number): Mixture {
  checkDim(dim);
  return { dim, weights: Float64Array.of(1), means: new Float64Array(dim), variances: new Float64Array(dim).fill(1) };
}

/** Throws BAD_MIXTURE unless every array is finite, consistent, variances > 0 and weights sum to 1. */
export function validateMixture(mix: Mixture): void {
  if (!Number.isInteger(mix.dim) || mix.dim < 1) {
    throw new UairError("BAD_MIXTURE", `mixture dim must be a positive integer, got ${mix.dim}.`);
  }
  const m = mix.weights.length;
  if (m < 1) throw new UairError("BAD_MIXTURE", "mixture has no components; start from standardMixture(dim).");
  if (mix.means.length !== m * mix.dim || mix.variances.length !== m * mix.dim) {
    throw new UairError(
      "BAD_MIXTURE",
      `mixture of ${m} components in ${mix.dim} dims needs ${m * mix.dim} means and variances, got ${mix.means.length} and ${mix.variances.length}.`,
    );
  }
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const w = mix.weights[j];
    if (!Number.isFinite(w) || w < 0) throw new UairError("BAD_MIXTURE", `mixture weight ${j} is ${w}; weights must be finite and >= 0.`);
    sum += w;
  }
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
    throw new UairError("BAD_MIXTURE", `mixture weights sum to ${sum}, not 1; normalise them before use.`);
  }
  for (let i = 0; i < mix.means.length; i++) {
    if (!Number.isFinite(mix.means[i])) throw new UairError("BAD_MIXTURE", `mixture mean ${i} is ${mix.means[i]}; means must be finite.`);
    const v = mix.variances[i];
    if (!Number.isFinite(v) || v <= 0) {
      throw new UairError("BAD_MIXTURE", `mixture variance ${i} is ${v}; variances must be finite and > 0 (floor them, e.g. at 0.05).`);
    }
  }
}

export interface MixtureSamples {
  /** [n][dim] whitened codes, the `eps` rows segmentVolume takes */
  codes: Float32Array;
  /** the component each code was drawn from (the update fits each component to its own draws) */
  component: Int32Array;
}

/** n draws from the mixture: a component by weight, then a Gaussian draw from it (a true mixture). */
export function sampleMixture(mix: Mixture, n: number, rng: Rng): MixtureSamples {
  validateMixture(mix);
  if (!Number.isInteger(n) || n < 1) throw new UairError("BAD_INPUT", `number of samples must be a positive integer, got ${n}.`);
  const { dim, weights, means, variances } = mix;
  const m = weights.length;
  const codes = new Float32Array(n * dim);
  const component = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const u = rng.uniform();
    // first component whose cumulative weight exceeds u; the last positive one catches rounding
    let j = -1;
    let acc = 0;
    for (let c = 0; c < m; c++) {
      if (weights[c] <= 0) continue;
      acc += weights[c];
      j = c;
      if (u < acc) break;
    }
    component[s] = j;
    for (let d = 0; d < dim; d++) {
      codes[s * dim + d] = means[j * dim + d] + Math.sqrt(variances[j * dim + d]) * rng.normal();
    }
  }
  return { codes, component };
}

export interface MixtureJSON {
  dim: number;
  weights: number[];
  means: number[];
  variances: number[];
}

const mixtureSchema = z.object({
  dim: z.number().int().positive(),
  weights: z.array(z.number()).min(1),
  means: z.array(z.number()),
  variances: z.array(z.number()),
});

/** Plain number arrays, for a database JSON column. */
export function mixtureToJSON(mix: Mixture): MixtureJSON {
  validateMixture(mix);
  return { dim: mix.dim, weights: Array.from(mix.weights), means: Array.from(mix.means), variances: Array.from(mix.variances) };
}

/** Parses and validates a stored mixture; throws BAD_MIXTURE with the first problem. */
export function mixtureFromJSON(json: unknown): Mixture {
  const parsed = mixtureSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UairError("BAD_MIXTURE", `stored mixture is malformed at "${issue.path.join(".")}": ${issue.message}.`);
  }
  const p = parsed.data;
  const mix: Mixture = {
    dim: p.dim,
    weights: Float64Array.from(p.weights),
    means: Float64Array.from(p.means),
    variances: Float64Array.from(p.variances),
  };
  validateMixture(mix);
  return mix;
}

function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new UairError("BAD_INPUT", `latent dimension must be a positive integer, got ${dim}.`);
}
