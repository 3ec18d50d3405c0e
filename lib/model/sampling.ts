// Latent codes and logits: the pure arithmetic between the encoder and decoder graphs.
import { createRng } from "../random";
import { ModelError } from "./errors";

/** Deterministic standard normals (lib/random): the same seed gives the same candidates. */
export function seededNormals(seed: number, count: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => rng.normal());
}

/**
 * z = mu + exp(logvar / 2) * eps for each row of eps ([n][d]); mu and logvar are one slice's
 * prior. Keeping eps fixed across slices makes one coherent 3-D candidate per row.
 */
export function codesFor(mu: Float32Array, logvar: Float32Array, eps: Float32Array): Float32Array {
  const d = mu.length;
  if (logvar.length !== d || eps.length % d !== 0) {
    throw new ModelError("BAD_INPUT", `codes: mu has ${d} values, logvar ${logvar.length}, eps ${eps.length} (must be a multiple of ${d}).`);
  }
  const z = new Float32Array(eps.length);
  for (let i = 0; i < eps.length; i++) {
    const j = i % d;
    z[i] = mu[j] + Math.exp(0.5 * logvar[j]) * eps[i];
  }
  return z;
}

/** Per-pixel argmax over classes of logits [n][classes][plane] -> labels [n][plane]. */
export function argmaxLabels(logits: Float32Array, n: number, classes: number, plane: number, out = new Uint8Array(n * plane)): Uint8Array {
  if (logits.length !== n * classes * plane) throw new ModelError("BAD_INPUT", `logits: ${logits.length} values for ${n}x${classes}x${plane}.`);
  for (let s = 0; s < n; s++) {
    const base = s * classes * plane;
    for (let p = 0; p < plane; p++) {
      let best = 0;
      let bestV = logits[base + p];
      for (let c = 1; c < classes; c++) {
        const v = logits[base + c * plane + p];
        if (v > bestV) {
          bestV = v;
          best = c;
        }
      }
      out[s * plane + p] = best;
    }
  }
  return out;
}

/** Softmax(logits / temperature) over classes: [n][classes][plane] float32 probabilities. */
export function softmaxProbabilities(logits: Float32Array, n: number, classes: number, plane: number, temperature = 1): Float32Array {
  if (!(temperature > 0)) throw new ModelError("BAD_INPUT", `temperature must be > 0, got ${temperature}.`);
  const out = new Float32Array(logits.length);
  for (let s = 0; s < n; s++) {
    const base = s * classes * plane;
    for (let p = 0; p < plane; p++) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c * plane + p] / temperature);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c * plane + p] / temperature - max);
      for (let c = 0; c < classes; c++) out[base + c * plane + p] = Math.exp(logits[base + c * plane + p] / temperature - max) / sum;
    }
  }
  return out;
}
