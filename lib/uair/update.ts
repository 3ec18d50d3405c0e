// Method §3 step 7 and §4: move q_t toward what the reader(s) picked, cross-entropy-method style,
// without training anything. Coordinates are whitened codes eps (see mixture.ts).
import { UairError } from "./errors";
import { validateMixture, type Mixture } from "./mixture";

/** Votes per candidate index: a Map (candidate -> weight) or a dense array indexed by candidate. */
export type Votes = ReadonlyMap<number, number> | readonly number[];

export interface UpdateOptions {
  /** step toward the fitted statistics (1 = forget the old mixture); default 0.7 */
  alpha?: number;
  /** variance floor in whitened units, so later rounds still offer real choices; default 0.05 */
  sMin?: number;
  /** weight of samples outside the voted candidate, so nothing collapses onto a handful of draws; default 0.02 */
  epsilon?: number;
  /** components lighter than this after the update are dropped; default 0.01 */
  minWeight?: number;
  /** keep at most this many (heaviest) components, so repeated split votes cannot grow q_t without bound; default 8 */
  maxComponents?: number;
}

export interface UpdateResult {
  mixture: Mixture;
  /** normalised vote share per candidate index (0 for candidates without votes) */
  shares: number[];
  /** per new component: the old component it came from and the voted candidate it was fitted to (null: no voted member among its draws) */
  origin: { parent: number; candidate: number | null }[];
}

/** One reader picked candidate k. */
export function pickToVotes(k: number): Map<number, number> {
  if (!Number.isInteger(k) || k < 0) throw new UairError("BAD_PICK", `a pick must be a candidate index (integer >= 0), got ${k}.`);
  return new Map([[k, 1]]);
}

/**
 * The update, for each voted candidate c with vote share v_c (single pick: v = 1):
 *   sample weights w_i = 1 if sample i is in c, epsilon otherwise;
 *   each old component j is fitted to ITS OWN draws S_j with those weights:
 *     mean' = (1 - alpha) m_j + alpha * weighted mean,  var' = max(sMin, (1 - alpha) s²_j + alpha * weighted variance),
 *     weight' = v_c * ((1 - alpha) pi_j + alpha * W_jc / sum_j W_jc)   (W_jc = sum of w_i over S_j).
 * With one voted candidate this is exactly one CEM step per component. With several, every
 * component that drew members of more than one voted candidate splits into one child per such
 * candidate, each fitted to that candidate's members, so a 2:1 split keeps both modes with 2:1
 * mass instead of averaging them into one broad Gaussian. A component with no voted member among
 * its draws gets one child fitted to its epsilon-weighted draws (it decays rather than vanishes);
 * children for a voted candidate with no members in a component are not created (they would only
 * copy the parent). Undrawn components keep their parameters with weight (1 - alpha) pi_j.
 * Finally weights are renormalised, components under minWeight dropped and at most maxComponents kept.
 */
export function updateFromVotes(
  mix: Mixture,
  sampleCodes: Float32Array,
  sampleComponent: Int32Array,
  membership: Int32Array,
  votes: Votes,
  opts: UpdateOptions = {},
): UpdateResult {
  validateMixture(mix);
  const alpha = opts.alpha ?? 0.7;
  const sMin = opts.sMin ?? 0.05;
  const epsilon = opts.epsilon ?? 0.02;
  const minWeight = opts.minWeight ?? 0.01;
  const maxComponents = opts.maxComponents ?? 8;
  if (!(alpha > 0 && alpha <= 1)) throw new UairError("BAD_INPUT", `alpha must be in (0, 1], got ${alpha}.`);
  if (!(sMin > 0 && Number.isFinite(sMin))) throw new UairError("BAD_INPUT", `sMin (variance floor) must be > 0, got ${sMin}.`);
  if (!(epsilon >= 0 && epsilon <= 1)) throw new UairError("BAD_INPUT", `epsilon must be in [0, 1], got ${epsilon}.`);
  if (!(minWeight >= 0 && minWeight < 1)) throw new UairError("BAD_INPUT", `minWeight must be in [0, 1), got ${minWeight}.`);
  if (!Number.isInteger(maxComponents) || maxComponents < 1) throw new UairError("BAD_INPUT", `maxComponents must be a positive integer, got ${maxComponents}.`);

  const { dim } = mix;
  const m = mix.weights.length;
  const n = membership.length;
  if (n === 0) throw new UairError("EMPTY_SAMPLES", "no samples to update from; pass the round's codes, components and membership.");
  if (sampleComponent.length !== n || sampleCodes.length !== n * dim) {
    throw new UairError(
      "DIMS_MISMATCH",
      `update: ${n} memberships, ${sampleComponent.length} components and ${sampleCodes.length} code values (need ${n} x ${dim}); pass all three from the same round.`,
    );
  }
  for (let i = 0; i < sampleCodes.length; i++) {
    if (!Number.isFinite(sampleCodes[i])) throw new UairError("BAD_CODES", `code value ${i} (sample ${Math.floor(i / dim)}) is ${sampleCodes[i]}; codes must be finite.`);
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    const c = sampleComponent[i];
    if (c < 0 || c >= m) throw new UairError("BAD_INPUT", `sample ${i} names component ${c}, the mixture has ${m}; use the components planRound returned with these codes.`);
    if (membership[i] < 0) throw new UairError("BAD_INPUT", `sample ${i} has membership ${membership[i]}; every sample must belong to a candidate.`);
    k = Math.max(k, membership[i] + 1);
  }
  const shares = voteShares(votes, k);
  const memberCount = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) memberCount[membership[i]]++;
  const voted = shares.flatMap((v, c) => (v > 0 ? [c] : []));
  for (const c of voted) {
    if (memberCount[c] === 0) throw new UairError("BAD_PICK", `candidate ${c} got votes but has no member samples; pass the membership of this round.`);
  }

  const draws: number[][] = Array.from({ length: m }, () => []);
  for (let i = 0; i < n; i++) draws[sampleComponent[i]].push(i);
  const weightOf = (i: number, c: number) => (membership[i] === c ? 1 : epsilon);
  // W[j][c] and its total over components (the normaliser of the CEM weight estimate)
  const W = draws.map((s) => voted.map((c) => s.reduce((acc, i) => acc + weightOf(i, c), 0)));
  const totals = voted.map((_, vi) => W.reduce((acc, row) => acc + row[vi], 0));

  interface Child {
    parent: number;
    candidate: number | null;
    raw: number;
    mean: Float64Array;
    variance: Float64Array;
  }
  const children: Child[] = [];
  const oldMean = (j: number) => mix.means.subarray(j * dim, (j + 1) * dim);
  const oldVar = (j: number) => mix.variances.subarray(j * dim, (j + 1) * dim);
  const cemMass = (j: number, vi: number) => shares[voted[vi]] * ((1 - alpha) * mix.weights[j] + alpha * (totals[vi] > 0 ? W[j][vi] / totals[vi] : 0));

  for (let j = 0; j < m; j++) {
    const s = draws[j];
    if (s.length === 0) {
      children.push({ parent: j, candidate: null, raw: (1 - alpha) * mix.weights[j], mean: oldMean(j).slice(), variance: oldVar(j).slice() });
      continue;
    }
    const present = voted.flatMap((c, vi) => (s.some((i) => membership[i] === c) ? [vi] : []));
    if (present.length === 0) {
      const raw = voted.reduce((acc, _, vi) => acc + cemMass(j, vi), 0);
      const fitted = epsilon > 0 ? fitComponent(mix, j, s, () => 1, sampleCodes, alpha, sMin) : { mean: oldMean(j).slice(), variance: oldVar(j).slice() };
      children.push({ parent: j, candidate: null, raw, ...fitted });
      continue;
    }
    for (const vi of present) {
      const c = voted[vi];
      children.push({ parent: j, candidate: c, raw: cemMass(j, vi), ...fitComponent(mix, j, s, (i) => weightOf(i, c), sampleCodes, alpha, sMin) });
    }
  }

  const total = children.reduce((acc, c) => acc + c.raw, 0);
  const ranked = children
    .map((c, order) => ({ c, order, w: c.raw / total }))
    .sort((a, b) => b.w - a.w || a.order - b.order);
  const keep = ranked.filter((r, rank) => rank === 0 || r.w >= minWeight).slice(0, maxComponents).sort((a, b) => a.order - b.order);
  const kept = keep.reduce((acc, r) => acc + r.w, 0);
  const mixture: Mixture = {
    dim,
    weights: Float64Array.from(keep, (r) => r.w / kept),
    means: new Float64Array(keep.length * dim),
    variances: new Float64Array(keep.length * dim),
  };
  keep.forEach((r, idx) => {
    mixture.means.set(r.c.mean, idx * dim);
    mixture.variances.set(r.c.variance, idx * dim);
  });
  validateMixture(mixture);
  return { mixture, shares, origin: keep.map((r) => ({ parent: r.c.parent, candidate: r.c.candidate })) };
}

/** Weighted mean and variance of component j's draws, blended into its old parameters by alpha, floored. */
function fitComponent(
  mix: Mixture,
  j: number,
  draws: readonly number[],
  weight: (i: number) => number,
  codes: Float32Array,
  alpha: number,
  sMin: number,
): { mean: Float64Array; variance: Float64Array } {
  const { dim } = mix;
  const mean = new Float64Array(dim);
  const spread = new Float64Array(dim);
  let total = 0;
  for (const i of draws) {
    const w = weight(i);
    total += w;
    for (let d = 0; d < dim; d++) mean[d] += w * codes[i * dim + d];
  }
  for (let d = 0; d < dim; d++) mean[d] /= total;
  for (const i of draws) {
    const w = weight(i);
    for (let d = 0; d < dim; d++) spread[d] += w * (codes[i * dim + d] - mean[d]) ** 2;
  }
  const outMean = new Float64Array(dim);
  const outVar = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    outMean[d] = (1 - alpha) * mix.means[j * dim + d] + alpha * mean[d];
    outVar[d] = Math.max(sMin, (1 - alpha) * mix.variances[j * dim + d] + alpha * (spread[d] / total));
  }
  return { mean: outMean, variance: outVar };
}

/** Normalised vote shares per candidate; BAD_PICK for unknown candidates, negative or no votes. */
function voteShares(votes: Votes, k: number): number[] {
  const raw = new Array<number>(k).fill(0);
  const add = (c: number, w: number) => {
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new UairError("BAD_PICK", `vote for candidate ${c}, but this round has candidates 0..${k - 1}; pick one of the shown candidates.`);
    }
    if (!(Number.isFinite(w) && w >= 0)) throw new UairError("BAD_PICK", `vote weight for candidate ${c} is ${w}; weights must be finite and >= 0.`);
    raw[c] += w;
  };
  if (Array.isArray(votes)) {
    (votes as readonly number[]).forEach((w, c) => {
      if (w !== 0) add(c, w);
    });
  }
  else for (const [c, w] of votes as ReadonlyMap<number, number>) add(c, w);
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new UairError("BAD_PICK", "no votes: at least one candidate needs a positive vote (or accept the round instead of updating).");
  return raw.map((w) => w / total);
}
