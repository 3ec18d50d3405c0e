// k-medoids (PAM: greedy BUILD, then steepest-descent SWAP) on a precomputed distance matrix.
// Deterministic (ties go to the lower index), so no randomness is needed: with N <= ~50 samples
// and K ~ 4 the full SWAP search costs well under a millisecond.
import { UairError } from "./errors";

export interface Clustering {
  /** sample indices of the medoids, in BUILD order */
  medoids: number[];
  /** per sample: the position in `medoids` of its cluster (a medoid is always in its own cluster) */
  assignment: Int32Array;
  /** sum over samples of the distance to their medoid */
  cost: number;
  /** SWAP iterations that improved the cost */
  swaps: number;
}

/** dist: [n][n] symmetric, zero diagonal, non-negative. k is capped at n. */
export function kMedoids(dist: Float64Array, n: number, k: number, maxIterations = 50): Clustering {
  if (!Number.isInteger(n) || n < 1) throw new UairError("EMPTY_SAMPLES", `k-medoids needs at least one sample, got ${n}.`);
  if (dist.length !== n * n) throw new UairError("DIMS_MISMATCH", `distance matrix has ${dist.length} entries, ${n} samples need ${n * n}.`);
  if (!Number.isInteger(k) || k < 1) throw new UairError("BAD_INPUT", `k must be a positive integer, got ${k}.`);
  for (let i = 0; i < dist.length; i++) {
    if (!(dist[i] >= 0)) throw new UairError("BAD_INPUT", `distance ${i} is ${dist[i]}; distances must be finite and >= 0.`);
  }
  const kk = Math.min(k, n);

  // BUILD: the most central sample, then repeatedly the sample that lowers the total cost most
  let first = 0;
  let firstCost = Infinity;
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let j = 0; j < n; j++) c += dist[i * n + j];
    if (c < firstCost) {
      firstCost = c;
      first = i;
    }
  }
  const medoids = [first];
  const isMedoid = new Uint8Array(n);
  isMedoid[first] = 1;
  const nearest = new Float64Array(n);
  for (let j = 0; j < n; j++) nearest[j] = dist[first * n + j];
  while (medoids.length < kk) {
    let best = -1;
    let bestGain = -1;
    for (let i = 0; i < n; i++) {
      if (isMedoid[i]) continue;
      let gain = 0;
      for (let j = 0; j < n; j++) gain += Math.max(0, nearest[j] - dist[i * n + j]);
      if (gain > bestGain) {
        bestGain = gain;
        best = i;
      }
    }
    medoids.push(best);
    isMedoid[best] = 1;
    for (let j = 0; j < n; j++) nearest[j] = Math.min(nearest[j], dist[best * n + j]);
  }

  // SWAP: take the single best (medoid, non-medoid) exchange while it lowers the cost
  const costOf = (ms: readonly number[]) => {
    let c = 0;
    for (let j = 0; j < n; j++) {
      let m = Infinity;
      for (const med of ms) m = Math.min(m, dist[med * n + j]);
      c += m;
    }
    return c;
  };
  let cost = costOf(medoids);
  let swaps = 0;
  for (let it = 0; it < maxIterations; it++) {
    let bestCost = cost;
    let bestP = -1;
    let bestO = -1;
    for (let p = 0; p < medoids.length; p++) {
      for (let o = 0; o < n; o++) {
        if (isMedoid[o]) continue;
        const trial = medoids.slice();
        trial[p] = o;
        const c = costOf(trial);
        // a relative margin keeps float noise from swapping back and forth
        if (c < bestCost - 1e-12 * (1 + cost)) {
          bestCost = c;
          bestP = p;
          bestO = o;
        }
      }
    }
    if (bestP < 0) break;
    isMedoid[medoids[bestP]] = 0;
    isMedoid[bestO] = 1;
    medoids[bestP] = bestO;
    cost = bestCost;
    swaps++;
  }

  const assignment = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let bestP = 0;
    let bestD = Infinity;
    for (let p = 0; p < medoids.length; p++) {
      if (medoids[p] === j) {
        bestP = p;
        break;
      }
      const d = dist[medoids[p] * n + j];
      if (d < bestD) {
        bestD = d;
        bestP = p;
      }
    }
    assignment[j] = bestP;
  }
  return { medoids, assignment, cost, swaps };
}
