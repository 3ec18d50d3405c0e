import { describe, expect, it } from "vitest";
import { dice } from "../metrics/overlap";
import { createRng, type Rng } from "../random";
import { expectCoded } from "../test-support/expect-code";
import { ConsensusError, majorityBinary, majorityVote, readerReport, stapleBinary, stapleMulti } from "./index";

const DIMS = [64, 64, 32] as const;
const V = DIMS[0] * DIMS[1] * DIMS[2];

/** Label map: `label` inside the sphere (centre, radius) on the 64 x 64 x 32 grid, painted over `map`. */
function sphere(map: Uint8Array, c: [number, number, number], r: number, label: number): Uint8Array {
  const [w, h, d] = DIMS;
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if ((x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 <= r * r) map[x + w * (y + h * z)] = label;
      }
    }
  }
  return map;
}

/** A reader who labels a voxel of true label s with label t with probability theta[s][t], independently. */
function simulate(truth: Uint8Array, theta: number[][], rng: Rng): Uint8Array {
  const out = new Uint8Array(truth.length);
  for (let i = 0; i < truth.length; i++) {
    const row = theta[truth[i]];
    let u = rng.uniform();
    let t = 0;
    while (t < row.length - 1 && u >= row[t]) u -= row[t++];
    out[i] = t;
  }
  return out;
}

const binaryTheta = (p: number, q: number) => [
  [q, 1 - q],
  [1 - p, p],
];

const labelDice = (a: Uint8Array, b: Uint8Array, s: number) => dice(a.map((v) => (v === s ? 1 : 0)), b.map((v) => (v === s ? 1 : 0)));

/**
 * Per-voxel STAPLE, written straight from Warfield et al. (no pattern aggregation): the reference
 * the pattern-aggregated implementation must reproduce.
 */
function naiveStaple(masks: Uint8Array[], K: number, prior: number[], diag: number[], maxIterations: number, tolerance: number) {
  const R = masks.length;
  const n = masks[0].length;
  const theta = Array.from({ length: R }, () => Array.from({ length: K }, (_, s) => Array.from({ length: K }, (_, t) => (s === t ? diag[s] : (1 - diag[s]) / (K - 1)))));
  const W = new Float64Array(n * K);
  const eStep = () => {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let s = 0; s < K; s++) {
        let a = prior[s];
        for (let j = 0; j < R; j++) a *= theta[j][s][masks[j][i]];
        W[i * K + s] = a;
        sum += a;
      }
      for (let s = 0; s < K; s++) W[i * K + s] /= sum;
    }
  };
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    eStep();
    let delta = 0;
    for (let j = 0; j < R; j++) {
      for (let s = 0; s < K; s++) {
        let den = 0;
        const num = new Array(K).fill(0);
        for (let i = 0; i < n; i++) {
          den += W[i * K + s];
          num[masks[j][i]] += W[i * K + s];
        }
        for (let t = 0; t < K; t++) {
          delta = Math.max(delta, Math.abs(num[t] / den - theta[j][s][t]));
          theta[j][s][t] = num[t] / den;
        }
      }
    }
    iterations++;
    if (delta <= tolerance) {
      converged = true;
      break;
    }
  }
  eStep();
  return { theta, W, iterations, converged };
}

describe("stapleBinary", () => {
  // truth: a sphere of radius 12 (about 7200 voxels) in 64 x 64 x 32; five readers flipping voxels
  // independently with known sensitivity p and specificity q
  const truth = sphere(new Uint8Array(V), [32, 32, 16], 12, 1);
  const p = [0.95, 0.9, 0.85, 0.8, 0.7];
  const q = [0.99, 0.98, 0.97, 0.995, 0.96];
  const rng = createRng(2004);
  const readers = p.map((pj, j) => simulate(truth, binaryTheta(pj, q[j]), rng));

  it("recovers known sensitivities and specificities and beats every reader and the majority vote", () => {
    const r = stapleBinary(readers);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeGreaterThan(1);
    expect(r.patterns).toBe(32);
    for (let j = 0; j < p.length; j++) {
      expect(Math.abs(r.sensitivity[j] - p[j])).toBeLessThan(0.02);
      expect(Math.abs(r.specificity[j] - q[j])).toBeLessThan(0.005);
    }
    const best = Math.max(...readers.map((m) => dice(m, truth)));
    const consensusDice = dice(r.consensus, truth);
    const majority = dice(majorityBinary(readers), truth);
    expect(consensusDice).toBeGreaterThan(best);
    expect(consensusDice).toBeGreaterThanOrEqual(majority);
    expect(consensusDice).toBeGreaterThan(0.97);
    // consensus = probability >= 0.5, and the probability averages to the foreground fraction
    let mean = 0;
    for (let i = 0; i < V; i++) {
      expect(r.consensus[i]).toBe(r.probability[i] >= 0.5 ? 1 : 0);
      mean += r.probability[i] / V;
    }
    expect(mean).toBeCloseTo(r.foregroundFraction, 5);
    expect(readerReport(r)).toHaveLength(5);
    expect(readerReport(r)[0]).toMatch(/^reader 1: sensitivity 0\.9\d+, specificity 0\.9\d+$/);
  });

  it("the pattern-aggregated EM is exact: it matches per-voxel STAPLE", () => {
    const r = stapleBinary(readers, { tolerance: 1e-9, maxIterations: 200 });
    const f = readers.reduce((a, m) => a + m.reduce((b, v) => b + v, 0), 0) / (readers.length * V);
    expect(r.prior).toBeCloseTo(f, 12);
    const ref = naiveStaple(readers, 2, [1 - f, f], [0.99, 0.99], 200, 1e-9);
    expect(r.iterations).toBe(ref.iterations);
    expect(r.converged).toBe(ref.converged);
    for (let j = 0; j < readers.length; j++) {
      expect(r.sensitivity[j]).toBeCloseTo(ref.theta[j][1][1], 9);
      expect(r.specificity[j]).toBeCloseTo(ref.theta[j][0][0], 9);
    }
    for (let i = 0; i < V; i++) {
      if (Math.abs(r.probability[i] - ref.W[i * 2 + 1]) > 1e-6) throw new Error(`voxel ${i}: ${r.probability[i]} vs ${ref.W[i * 2 + 1]}`);
    }
  });

  it("options: prior, threshold, initial values, maxIterations", () => {
    const base = stapleBinary(readers);
    const high = stapleBinary(readers, { prior: 0.5 });
    expect(high.prior).toBe(0.5);
    expect(high.foregroundFraction).toBeGreaterThan(base.foregroundFraction);
    const all = stapleBinary(readers, { threshold: 0 });
    expect(all.consensus.every((v) => v === 1)).toBe(true);
    const strict = stapleBinary(readers, { threshold: 0.999 });
    expect(strict.consensus.reduce((a, v) => a + v, 0)).toBeLessThan(base.consensus.reduce((a, v) => a + v, 0));
    const one = stapleBinary(readers, { maxIterations: 1 });
    expect(one.iterations).toBe(1);
    expect(one.converged).toBe(false);
    const other = stapleBinary(readers, { initialSensitivity: 0.8, initialSpecificity: 0.9, tolerance: 1e-9, maxIterations: 500 });
    for (let j = 0; j < p.length; j++) expect(other.sensitivity[j]).toBeCloseTo(stapleBinary(readers, { tolerance: 1e-9, maxIterations: 500 }).sensitivity[j], 4);
  });

  it("treats any non-zero label as foreground (a label map gives liver STAPLE)", () => {
    const labelled = readers.map((m, j) => m.map((v, i) => (v ? 1 + (i % (j + 2) === 0 ? 1 : 0) : 0)));
    const a = stapleBinary(readers);
    const b = stapleBinary(labelled);
    expect(b.sensitivity).toEqual(a.sensitivity);
    expect(Array.from(b.consensus)).toEqual(Array.from(a.consensus));
  });

  it("degenerate: one reader, all-empty masks, identical readers", () => {
    const one = stapleBinary([readers[0]]);
    expect(Array.from(one.consensus)).toEqual(Array.from(readers[0]));
    expect(one.sensitivity).toEqual([1]);
    expect(one.specificity).toEqual([1]);
    expect(one.iterations).toBe(0);

    const empty = stapleBinary([new Uint8Array(V), new Uint8Array(V), new Uint8Array(V)]);
    expect(empty.consensus.every((v) => v === 0)).toBe(true);
    expect(empty.probability.every((v) => v === 0)).toBe(true);
    expect(empty.specificity).toEqual([1, 1, 1]);
    expect(empty.sensitivity.every(Number.isNaN)).toBe(true);
    expect(empty.converged).toBe(true);
    expect(readerReport(empty)[0]).toBe("reader 1: sensitivity n/a, specificity 1.0000");

    const same = stapleBinary([truth, truth, truth, truth]);
    expect(Array.from(same.consensus)).toEqual(Array.from(truth));
    for (const s of same.sensitivity) expect(s).toBeCloseTo(1, 9);
    for (const s of same.specificity) expect(s).toBeCloseTo(1, 9);
    expect(same.patterns).toBe(2);
  });

  it("errors: no readers, no voxels, mismatched grids, bad options", () => {
    expectCoded(() => stapleBinary([]), ConsensusError, "EMPTY");
    expectCoded(() => stapleBinary([new Uint8Array(0)]), ConsensusError, "EMPTY");
    expectCoded(() => stapleBinary([new Uint8Array(8), new Uint8Array(9)]), ConsensusError, "DIMS_MISMATCH");
    const m = [new Uint8Array(8), new Uint8Array(8)];
    expectCoded(() => stapleBinary(m, { prior: 1.5 }), ConsensusError, "BAD_INPUT", { message: /prior/ });
    expectCoded(() => stapleBinary(m, { threshold: -0.1 }), ConsensusError, "BAD_INPUT", { message: /threshold/ });
    expectCoded(() => stapleBinary(m, { maxIterations: 0 }), ConsensusError, "BAD_INPUT", { message: /maxIterations/ });
    expectCoded(() => stapleBinary(m, { tolerance: Number.NaN }), ConsensusError, "BAD_INPUT", { message: /tolerance/ });
    expectCoded(() => stapleBinary(m, { initialSensitivity: 0 }), ConsensusError, "BAD_INPUT", { message: /initialSensitivity/ });
  });
});

describe("stapleMulti", () => {
  // truth: background, a liver sphere (radius 15) and a tumour sphere inside it (radius 8, about
  // 2100 voxels); five readers with known 3 x 3 confusion matrices
  const truth = sphere(sphere(new Uint8Array(V), [32, 32, 16], 15, 1), [36, 30, 16], 8, 2);
  const thetas = [
    [[0.99, 0.008, 0.002], [0.04, 0.93, 0.03], [0.02, 0.1, 0.88]],
    [[0.98, 0.015, 0.005], [0.06, 0.9, 0.04], [0.03, 0.15, 0.82]],
    [[0.985, 0.01, 0.005], [0.08, 0.88, 0.04], [0.01, 0.09, 0.9]],
    [[0.97, 0.02, 0.01], [0.05, 0.85, 0.1], [0.05, 0.2, 0.75]],
    [[0.99, 0.005, 0.005], [0.1, 0.86, 0.04], [0.02, 0.08, 0.9]],
  ];
  const rng = createRng(31);
  const readers = thetas.map((t) => simulate(truth, t, rng));

  it("recovers the readers' confusion matrices and each label better than any reader", () => {
    const r = stapleMulti(readers, 3);
    expect(r.converged).toBe(true);
    expect(r.posterior).toBeUndefined();
    for (let j = 0; j < thetas.length; j++) {
      for (let s = 0; s < 3; s++) {
        expect(r.confusion[j][s].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        for (let t = 0; t < 3; t++) {
          if (Math.abs(r.confusion[j][s][t] - thetas[j][s][t]) > 0.03) throw new Error(`reader ${j} theta[${s}][${t}] = ${r.confusion[j][s][t]}, true ${thetas[j][s][t]}`);
        }
        expect(r.labelSensitivity[j][s]).toBe(r.confusion[j][s][s]);
      }
    }
    for (const s of [1, 2]) {
      const best = Math.max(...readers.map((m) => labelDice(m, truth, s)));
      expect(labelDice(r.consensus, truth, s)).toBeGreaterThan(best);
      expect(labelDice(r.consensus, truth, s)).toBeGreaterThanOrEqual(labelDice(majorityVote(readers, { labels: 3 }), truth, s) - 0.005);
    }
    const counts = [0, 1, 2].map((s) => truth.reduce((a, v) => a + (v === s ? 1 : 0), 0) / V);
    for (let s = 0; s < 3; s++) expect(Math.abs(r.labelFractions[s] - counts[s])).toBeLessThan(0.002);
    // specificity of label s: 1 - the other true labels' rates of saying s, weighted by their fractions
    const f = r.labelFractions;
    const spec2 = (f[0] * (1 - r.confusion[0][0][2]) + f[1] * (1 - r.confusion[0][1][2])) / (f[0] + f[1]);
    expect(r.labelSpecificity[0][2]).toBeCloseTo(spec2, 12);
    expect(readerReport(r)[0]).toMatch(/^reader 1: label 0 sensitivity .*; label 2 sensitivity 0\.\d+ specificity 0\.\d+$/);
  });

  it("matches per-voxel STAPLE exactly, and the posterior on request", () => {
    const r = stapleMulti(readers, 3, { tolerance: 1e-9, maxIterations: 300, posterior: true });
    const ref = naiveStaple(readers, 3, r.prior, [0.99, 0.99, 0.99], 300, 1e-9);
    expect(r.iterations).toBe(ref.iterations);
    for (let j = 0; j < readers.length; j++) for (let s = 0; s < 3; s++) for (let t = 0; t < 3; t++) expect(r.confusion[j][s][t]).toBeCloseTo(ref.theta[j][s][t], 9);
    const post = r.posterior!;
    expect(post).toHaveLength(3);
    for (let i = 0; i < V; i++) {
      let best = 0;
      for (let s = 0; s < 3; s++) {
        if (Math.abs(post[s][i] - ref.W[i * 3 + s]) > 1e-6) throw new Error(`voxel ${i} label ${s}: ${post[s][i]} vs ${ref.W[i * 3 + s]}`);
        if (post[s][i] > post[best][i]) best = s;
      }
      if (r.consensus[i] !== best) throw new Error(`voxel ${i}: consensus ${r.consensus[i]}, argmax ${best}`);
    }
  });

  it("with two labels it is binary STAPLE", () => {
    const bin = readers.map((m) => m.map((v) => (v ? 1 : 0)));
    const b = stapleBinary(bin);
    const m = stapleMulti(bin, 2);
    for (let j = 0; j < bin.length; j++) {
      expect(m.confusion[j][1][1]).toBeCloseTo(b.sensitivity[j], 12);
      expect(m.confusion[j][0][0]).toBeCloseTo(b.specificity[j], 12);
    }
    expect(Array.from(m.consensus)).toEqual(Array.from(b.consensus));
  });

  it("a given prior is normalised and used", () => {
    const r = stapleMulti(readers, 3, { prior: [8, 1, 1] });
    expect(r.prior).toEqual([0.8, 0.1, 0.1]);
  });

  it("degenerate: one reader, a label no reader uses, identical readers", () => {
    const one = stapleMulti([truth], 3);
    expect(Array.from(one.consensus)).toEqual(Array.from(truth));
    expect(one.confusion[0]).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    // nobody says tumour (label 2 of 3): its row is undefined, the rest is estimated
    const noTumour = readers.map((m) => m.map((v) => Math.min(v, 1)));
    const r = stapleMulti(noTumour, 3);
    expect(r.labelFractions[2]).toBe(0);
    expect(r.confusion[0][2].every(Number.isNaN)).toBe(true);
    expect(r.labelSensitivity[0][1]).toBeGreaterThan(0.8);
    expect(r.consensus.every((v) => v < 2)).toBe(true);
    expect(readerReport(r)[0]).toMatch(/label 2 sensitivity n\/a/);
    const same = stapleMulti([truth, truth, truth], 3);
    expect(Array.from(same.consensus)).toEqual(Array.from(truth));
    for (const row of same.labelSensitivity) for (const v of row) expect(v).toBeCloseTo(1, 9);
  });

  it("errors: no readers, mismatched grids, labels out of range, bad options", () => {
    expectCoded(() => stapleMulti([], 3), ConsensusError, "EMPTY");
    expectCoded(() => stapleMulti([new Uint8Array(4), new Uint8Array(5)], 3), ConsensusError, "DIMS_MISMATCH");
    expectCoded(() => stapleMulti([new Uint8Array([0, 1, 3])], 3), ConsensusError, "BAD_INPUT", { message: /label 3 at voxel 2/ });
    expectCoded(() => stapleMulti([new Uint8Array(4)], 1), ConsensusError, "BAD_INPUT", { message: /labels/ });
    expectCoded(() => stapleMulti([new Uint8Array(4)], 3, { prior: [1, 1] }), ConsensusError, "BAD_INPUT", { message: /prior/ });
    expectCoded(() => stapleMulti([new Uint8Array(4)], 3, { prior: [0, 0, 0] }), ConsensusError, "BAD_INPUT", { message: /prior/ });
    expectCoded(() => stapleMulti([new Uint8Array(4)], 3, { initialAgreement: 1.2 }), ConsensusError, "BAD_INPUT", { message: /initialAgreement/ });
  });
});
