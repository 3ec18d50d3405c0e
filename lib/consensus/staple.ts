// STAPLE (Warfield, Zou & Wells, IEEE TMI 2004): the hidden true segmentation and every reader's
// performance, estimated together by EM from R readers' masks on one grid (x fastest).
//
// Model: truth T_i has a global prior f (binary: f = P(T = 1); multi-label: f_s = P(T = s)); reader
// j labels a voxel whose truth is s with label t with probability theta_j[s][t], independently of
// the other readers and voxels (binary: p_j = theta_j[1][1] sensitivity, q_j = theta_j[0][0]
// specificity).
//   E-step: W_i(s) = f_s prod_j theta_j[s][d_ij] / sum_s' (f_s' prod_j theta_j[s'][d_ij])
//   M-step: theta_j[s][t] = sum_{i: d_ij = t} W_i(s) / sum_i W_i(s)
//
// Pattern aggregation (exact, not an approximation): with a global prior, W_i depends on voxel i
// only through its vote pattern d_i = (d_i1..d_iR), and the M-step sums are sums over voxels of
// functions of the pattern. So EM runs on the distinct patterns and their voxel counts n_d:
//   W(d, s) = f_s prod_j theta_j[s][d_j],   theta_j[s][t] = sum_{d: d_j = t} n_d W(d, s) / sum_d n_d W(d, s)
// which are the same numbers, in a different order of summation. There are at most K^R patterns
// (binary, 5 readers: 32; 3 labels, 5 readers: 243), and only those that occur are kept, so an EM
// iteration costs O(patterns * R * K) however large the volume. The volume is read once (R - 1
// passes that give every voxel its pattern id, see patterns.ts) and written once (consensus, and
// the probability map, by table look-up). The all-background voxels far from everything are one
// pattern with a large count: they need no special region and no special case.
//
// Degenerate cases: a truth label that ends with no posterior mass anywhere (all masks empty:
// there is no foreground, so no sensitivity to speak of) gets NaN for its row of theta (binary:
// sensitivity NaN). One reader: the model cannot tell the reader's errors from the truth (EM
// would stay at its starting values), so by convention the reader's mask is the consensus, with
// probability 0/1 and theta the identity (sensitivity = specificity = 1), in 0 iterations.
import { ConsensusError } from "./errors";
import { checkLabelCount, checkMasks, encodePatterns, spread, type VotePatterns } from "./patterns";

export interface StapleOptions {
  /** EM iterations at most (default 50) */
  maxIterations?: number;
  /** stop once no reader parameter (theta entry) moves by more than this in an iteration (default 1e-6) */
  tolerance?: number;
}

export interface StapleBinaryOptions extends StapleOptions {
  /**
   * Global prior P(truth = 1) in [0, 1]. Default: the mean fraction of foreground over all readers
   * and all voxels of the grid (the region is the whole grid; crop the masks to choose another).
   */
  prior?: number;
  /** consensus = probability >= threshold (default 0.5) */
  threshold?: number;
  /** starting p_j and q_j, in (0, 1] (default 0.99 both) */
  initialSensitivity?: number;
  initialSpecificity?: number;
}

export interface StapleBinaryResult {
  /** W: P(truth = 1 | votes) per voxel */
  probability: Float32Array;
  /** 1 where probability >= threshold */
  consensus: Uint8Array;
  /** p_j = P(reader j says 1 | truth 1) per reader; NaN when the estimate has no foreground */
  sensitivity: number[];
  /** q_j = P(reader j says 0 | truth 0) per reader */
  specificity: number[];
  /** the prior used */
  prior: number;
  /** estimated fraction of the grid that is truly foreground (mean of probability) */
  foregroundFraction: number;
  /** EM iterations run */
  iterations: number;
  /** whether the parameters moved by at most `tolerance` in the last iteration */
  converged: boolean;
  /** distinct reader vote patterns in the volume (at most 2^R) */
  patterns: number;
}

export interface StapleMultiOptions extends StapleOptions {
  /**
   * Global prior P(truth = s) for s = 0..K-1 (non-negative, normalised to sum 1). Default: the mean
   * fraction of each label over all readers and voxels.
   */
  prior?: readonly number[];
  /** diagonal of the starting theta_j, in (0, 1] (default 0.99); the rest of each row is spread evenly */
  initialAgreement?: number;
  /** also return the posterior of every label per voxel (K Float32Arrays of the grid: 4 bytes a voxel each) */
  posterior?: boolean;
}

export interface StapleMultiResult {
  /** argmax over labels of the posterior per voxel (ties to the lower label) */
  consensus: Uint8Array;
  /**
   * theta per reader: confusion[j][s][t] = P(reader j says t | truth s); rows (true labels) sum to
   * 1; a row is NaN when label s ends with no posterior mass.
   */
  confusion: number[][][];
  /** per reader and label: P(says s | truth s) = confusion[j][s][s] */
  labelSensitivity: number[][];
  /**
   * per reader and label: P(does not say s | truth is not s), weighting the other true labels by
   * their estimated fractions (NaN when no voxel is estimated to be another label)
   */
  labelSpecificity: number[][];
  /** estimated fraction of the grid truly of each label */
  labelFractions: number[];
  /** the prior used */
  prior: number[];
  /** posterior[s][i] = P(truth_i = s | votes); only with opts.posterior */
  posterior?: Float32Array[];
  iterations: number;
  converged: boolean;
  /** distinct reader vote patterns in the volume (at most K^R) */
  patterns: number;
}

interface EmResult {
  /** R * K * K, theta[(j * K + s) * K + t] */
  theta: Float64Array;
  /** patterns * K posterior per pattern */
  post: Float64Array;
  /** K: estimated fraction of the grid per true label */
  mass: Float64Array;
  iterations: number;
  converged: boolean;
}

function checkNumber(fn: string, name: string, v: unknown, lo: number, hi: number, loOpen = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v > hi || (loOpen ? v <= lo : v < lo)) {
    throw new ConsensusError("BAD_INPUT", `${fn}: ${name} must be a number in ${loOpen ? "(" : "["}${lo}, ${hi}], got ${String(v)}.`, { option: name });
  }
  return v;
}

function emOptions(fn: string, opts: StapleOptions): { maxIterations: number; tolerance: number } {
  const maxIterations = opts.maxIterations ?? 50;
  if (!Number.isInteger(maxIterations) || maxIterations < 1 || maxIterations > 1e6) {
    throw new ConsensusError("BAD_INPUT", `${fn}: maxIterations must be an integer from 1 to 1000000, got ${maxIterations}.`, { option: "maxIterations" });
  }
  const tolerance = checkNumber(fn, "tolerance", opts.tolerance ?? 1e-6, 0, 1);
  return { maxIterations, tolerance };
}

/** Mean fraction of each label over all readers and voxels. */
function labelPrior(p: VotePatterns): Float64Array {
  const { readers: R, labels: K, size, votes, count, voxels } = p;
  const f = new Float64Array(K);
  for (let q = 0; q < size; q++) for (let j = 0; j < R; j++) f[votes[q * R + j]] += count[q];
  for (let s = 0; s < K; s++) f[s] /= R * voxels;
  return f;
}

/** Posterior of every true label for every pattern, given theta and the prior. */
function eStep(p: VotePatterns, theta: Float64Array, prior: Float64Array, post: Float64Array): void {
  const { readers: R, labels: K, size, votes } = p;
  const logT = theta.map(Math.log);
  const logF = prior.map(Math.log);
  const l = new Float64Array(K);
  for (let q = 0; q < size; q++) {
    let max = -Infinity;
    for (let s = 0; s < K; s++) {
      let v = logF[s];
      for (let j = 0; j < R; j++) v += logT[(j * K + s) * K + votes[q * R + j]];
      l[s] = v;
      if (v > max) max = v;
    }
    if (max === -Infinity) {
      // impossible under every label with these parameters (only with 0/1 parameters): the prior
      for (let s = 0; s < K; s++) post[q * K + s] = prior[s];
      continue;
    }
    let sum = 0;
    for (let s = 0; s < K; s++) sum += l[s] = Math.exp(l[s] - max);
    for (let s = 0; s < K; s++) post[q * K + s] = l[s] / sum;
  }
}

/** theta from the posteriors; a row whose label has no mass keeps its old value. Returns max |change|. */
function mStep(p: VotePatterns, post: Float64Array, theta: Float64Array): number {
  const { readers: R, labels: K, size, votes, count } = p;
  const acc = new Float64Array(R * K * K);
  const den = new Float64Array(K);
  for (let q = 0; q < size; q++) {
    const c = count[q];
    if (c === 0) continue;
    for (let s = 0; s < K; s++) {
      const w = c * post[q * K + s];
      if (w === 0) continue;
      den[s] += w;
      for (let j = 0; j < R; j++) acc[(j * K + s) * K + votes[q * R + j]] += w;
    }
  }
  let delta = 0;
  for (let s = 0; s < K; s++) {
    if (den[s] === 0) continue;
    for (let j = 0; j < R; j++) {
      for (let t = 0; t < K; t++) {
        const k = (j * K + s) * K + t;
        const v = acc[k] / den[s];
        delta = Math.max(delta, Math.abs(v - theta[k]));
        theta[k] = v;
      }
    }
  }
  return delta;
}

function runEm(p: VotePatterns, prior: Float64Array, theta: Float64Array, maxIterations: number, tolerance: number): EmResult {
  const { labels: K, size, count, voxels } = p;
  const post = new Float64Array(size * K);
  const mass = new Float64Array(K);
  if (p.readers === 1) {
    // one reader: its errors cannot be told from the truth (EM would stay where it starts); by
    // convention the reader is its own consensus, with theta the identity
    theta.fill(0);
    for (let s = 0; s < K; s++) theta[s * K + s] = 1;
    for (let q = 0; q < size; q++) {
      post[q * K + p.votes[q]] = 1;
      mass[p.votes[q]] += count[q] / voxels;
    }
    return { theta, post, mass, iterations: 0, converged: true };
  }
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    eStep(p, theta, prior, post);
    const delta = mStep(p, post, theta);
    iterations++;
    if (delta <= tolerance) {
      converged = true;
      break;
    }
  }
  // the posteriors that go with the parameters reported
  eStep(p, theta, prior, post);
  for (let q = 0; q < size; q++) for (let s = 0; s < K; s++) mass[s] += count[q] * post[q * K + s];
  for (let s = 0; s < K; s++) mass[s] /= voxels;
  return { theta, post, mass, iterations, converged };
}

function initialTheta(R: number, K: number, diag: number[]): Float64Array {
  const theta = new Float64Array(R * K * K);
  for (let j = 0; j < R; j++) {
    for (let s = 0; s < K; s++) {
      for (let t = 0; t < K; t++) theta[(j * K + s) * K + t] = s === t ? diag[s] : (1 - diag[s]) / (K - 1);
    }
  }
  return theta;
}

/** patterns that at least one voxel has */
function occurring(p: VotePatterns): number {
  let n = 0;
  for (let q = 0; q < p.size; q++) if (p.count[q] > 0) n++;
  return n;
}

function noVoxels(fn: string): never {
  throw new ConsensusError("EMPTY", `${fn}: the masks have no voxels; STAPLE needs a non-empty grid.`);
}

/**
 * Binary STAPLE: any non-zero label is foreground. Returns the per-voxel probability of
 * foreground, the consensus (probability >= threshold) and each reader's sensitivity and
 * specificity. See the file comment for the model and the pattern aggregation that makes it fast.
 */
export function stapleBinary(masks: readonly Uint8Array[], opts: StapleBinaryOptions = {}): StapleBinaryResult {
  const fn = "stapleBinary";
  const voxels = checkMasks(masks, fn);
  const { maxIterations, tolerance } = emOptions(fn, opts);
  const threshold = checkNumber(fn, "threshold", opts.threshold ?? 0.5, 0, 1);
  const p0 = checkNumber(fn, "initialSensitivity", opts.initialSensitivity ?? 0.99, 0, 1, true);
  const q0 = checkNumber(fn, "initialSpecificity", opts.initialSpecificity ?? 0.99, 0, 1, true);
  if (opts.prior !== undefined) checkNumber(fn, "prior", opts.prior, 0, 1);
  if (voxels === 0) noVoxels(fn);

  const p = encodePatterns(masks, 2, true, fn);
  const R = p.readers;
  const f = opts.prior ?? labelPrior(p)[1];
  const prior = new Float64Array([1 - f, f]);
  const em = runEm(p, prior, initialTheta(R, 2, [q0, p0]), maxIterations, tolerance);

  const w64 = new Float64Array(p.size);
  const w = new Float32Array(p.size);
  const label = new Uint8Array(p.size);
  for (let q = 0; q < p.size; q++) {
    w64[q] = em.post[q * 2 + 1];
    w[q] = w64[q];
    label[q] = w64[q] >= threshold ? 1 : 0;
  }
  const noFg = em.mass[1] === 0;
  const noBg = em.mass[0] === 0;
  return {
    probability: spread(p.ids, w, new Float32Array(voxels)),
    consensus: spread(p.ids, label, new Uint8Array(voxels)),
    sensitivity: Array.from({ length: R }, (_, j) => (noFg ? NaN : em.theta[(j * 2 + 1) * 2 + 1])),
    specificity: Array.from({ length: R }, (_, j) => (noBg ? NaN : em.theta[j * 4])),
    prior: f,
    foregroundFraction: em.mass[1],
    iterations: em.iterations,
    converged: em.converged,
    patterns: occurring(p),
  };
}

/**
 * Multi-label STAPLE over labels 0..labels-1 (a label >= labels throws BAD_INPUT). Returns the
 * consensus (argmax of the posterior), each reader's confusion matrix theta_j with per-label
 * sensitivity and specificity, and the per-label posterior maps only when opts.posterior is set.
 */
export function stapleMulti(masks: readonly Uint8Array[], labels: number, opts: StapleMultiOptions = {}): StapleMultiResult {
  const fn = "stapleMulti";
  const voxels = checkMasks(masks, fn);
  const K = checkLabelCount(labels, fn);
  const { maxIterations, tolerance } = emOptions(fn, opts);
  const a0 = checkNumber(fn, "initialAgreement", opts.initialAgreement ?? 0.99, 0, 1, true);
  let given: Float64Array | null = null;
  if (opts.prior !== undefined) {
    const pr = opts.prior;
    if (!Array.isArray(pr) || pr.length !== K || !pr.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0) || pr.reduce((a, b) => a + b, 0) <= 0) {
      throw new ConsensusError("BAD_INPUT", `${fn}: prior must be ${K} non-negative numbers (one per label) with a positive sum, got ${JSON.stringify(pr)}.`, { option: "prior" });
    }
    const sum = pr.reduce((a, b) => a + b, 0);
    given = Float64Array.from(pr, (v) => v / sum);
  }
  if (voxels === 0) noVoxels(fn);

  const p = encodePatterns(masks, K, false, fn);
  const R = p.readers;
  const prior = given ?? labelPrior(p);
  const em = runEm(p, prior, initialTheta(R, K, Array(K).fill(a0)), maxIterations, tolerance);

  // consensus per pattern: argmax, ties to the lower label
  const label = new Uint8Array(p.size);
  for (let q = 0; q < p.size; q++) {
    let best = 0;
    for (let s = 1; s < K; s++) if (em.post[q * K + s] > em.post[q * K + best]) best = s;
    label[q] = best;
  }
  const confusion = Array.from({ length: R }, (_, j) =>
    Array.from({ length: K }, (_, s) => Array.from({ length: K }, (_, t) => (em.mass[s] === 0 ? NaN : em.theta[(j * K + s) * K + t]))),
  );
  const labelSensitivity = confusion.map((c) => c.map((row, s) => row[s]));
  const labelSpecificity = confusion.map((c) =>
    Array.from({ length: K }, (_, s) => {
      let num = 0;
      let den = 0;
      for (let t = 0; t < K; t++) {
        if (t === s || em.mass[t] === 0) continue;
        num += em.mass[t] * (1 - c[t][s]);
        den += em.mass[t];
      }
      return den === 0 ? NaN : num / den;
    }),
  );
  const result: StapleMultiResult = {
    consensus: spread(p.ids, label, new Uint8Array(voxels)),
    confusion,
    labelSensitivity,
    labelSpecificity,
    labelFractions: Array.from(em.mass),
    prior: Array.from(prior),
    iterations: em.iterations,
    converged: em.converged,
    patterns: occurring(p),
  };
  if (opts.posterior) {
    result.posterior = Array.from({ length: K }, (_, s) => {
      const table = new Float32Array(p.size);
      for (let q = 0; q < p.size; q++) table[q] = em.post[q * K + s];
      return spread(p.ids, table, new Float32Array(voxels));
    });
  }
  return result;
}

const fmt = (v: number) => (Number.isNaN(v) ? "n/a" : v.toFixed(4));

/** One line per reader: the estimated performance, for logs and reports. */
export function readerReport(result: StapleBinaryResult | StapleMultiResult): string[] {
  if ("sensitivity" in result) {
    return result.sensitivity.map((p, j) => `reader ${j + 1}: sensitivity ${fmt(p)}, specificity ${fmt(result.specificity[j])}`);
  }
  return result.labelSensitivity.map(
    (sens, j) => `reader ${j + 1}: ${sens.map((v, s) => `label ${s} sensitivity ${fmt(v)} specificity ${fmt(result.labelSpecificity[j][s])}`).join("; ")}`,
  );
}
