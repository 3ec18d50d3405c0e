import { describe, expect, it } from "vitest";
import { expectCoded } from "../test-support/expect-code";
import { MetricsError, type Dims3, type Spacing3 } from "./errors";
import { matchLesions, selectStructure, structureMetrics } from "./lesions";

const DIMS: Dims3 = [30, 20, 10];
const SPACING: Spacing3 = [0.8, 0.8, 2.5];
const VOXEL_ML = 0.0016;

/** Set the inclusive box [x0..x1] × [y0..y1] × [z0..z1] to `v`. */
function box(m: Uint8Array, x0: number, x1: number, y0: number, y1: number, z0: number, z1: number, v = 1): Uint8Array {
  for (let z = z0; z <= z1; z++) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[x + DIMS[0] * (y + DIMS[1] * z)] = v;
  return m;
}
const empty = () => new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);

describe("lesion matching: 3 reference and 3 test lesions", () => {
  // reference: R1 (48 voxels), R2 (48, missed), R3 (60); ids follow the scan order (z first)
  const ref = empty();
  box(ref, 2, 5, 2, 5, 1, 3);
  box(ref, 10, 13, 2, 5, 3, 5);
  box(ref, 20, 23, 10, 14, 5, 7);
  // test: Ta overlaps R1 (36 voxels), Tb overlaps nothing, Tc touches R3 in one 15-voxel slab
  const test = empty();
  box(test, 3, 6, 2, 5, 1, 3);
  box(test, 2, 4, 12, 15, 3, 4);
  box(test, 23, 26, 10, 14, 5, 7);
  // a 2-voxel speck inside R2: below minVoxels 3 it is ignored
  box(test, 12, 13, 4, 4, 3, 3);

  it("matched, missed and false-positive lesions with per-pair Dice and volumes", () => {
    const m = matchLesions(ref, test, DIMS, SPACING, { minVoxels: 3 });
    expect(m.reference.map((l) => l.voxels)).toEqual([48, 48, 60]);
    expect(m.test.map((l) => l.voxels)).toEqual([48, 24, 60]);
    expect(m.detected).toEqual([1, 3]);
    expect(m.missed).toEqual([2]);
    expect(m.falsePositives).toEqual([2]);
    expect(m.truePositives).toEqual([1, 3]);
    expect(m.merges).toEqual([]);
    expect(m.splits).toEqual([]);
    expect(m.sensitivity).toBeCloseTo(2 / 3, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.pairs.map((p) => [p.reference, p.test, p.overlapVoxels])).toEqual([
      [1, 1, 36],
      [3, 3, 15],
    ]);
    expect(m.pairs[0].dice).toBeCloseTo(0.75, 12);
    expect(m.pairs[1].dice).toBeCloseTo(0.25, 12);
    expect(m.pairs[0].referenceMl).toBeCloseTo(48 * VOXEL_ML, 12);
    expect(m.pairs[1].testMl).toBeCloseTo(60 * VOXEL_ML, 12);
    expect(m.pairs[1].overlapMl).toBeCloseTo(15 * VOXEL_ML, 12);
    const r1 = m.reference[0];
    expect(r1.volumeMl).toBeCloseTo(48 * VOXEL_ML, 12);
    // centroid: mean voxel index × spacing (x 3.5 × 0.8, y 3.5 × 0.8, z 2 × 2.5)
    expect(r1.centroidMm[0]).toBeCloseTo(2.8, 12);
    expect(r1.centroidMm[1]).toBeCloseTo(2.8, 12);
    expect(r1.centroidMm[2]).toBeCloseTo(5, 12);
    expect(r1.matches).toEqual([1]);
    expect(r1.dice).toBeCloseTo(0.75, 12);
    expect(m.reference[1].dice).toBe(0);
    expect(m.test[1].matches).toEqual([]);
  });

  it("minVoxels: by default the speck counts and detects R2", () => {
    const m = matchLesions(ref, test, DIMS, SPACING);
    expect(m.test.map((l) => l.voxels)).toEqual([48, 2, 24, 60]);
    expect(m.detected).toEqual([1, 2, 3]);
    expect(m.missed).toEqual([]);
    expect(m.falsePositives).toEqual([3]);
  });

  it("label maps: `label` selects the structure", () => {
    // put the lesions (label 2) inside a liver (label 1) on both sides
    const liver = (m: Uint8Array) => {
      const out = box(empty(), 0, 27, 0, 17, 0, 8, 1);
      m.forEach((v, i) => v && (out[i] = 2));
      return out;
    };
    const m = matchLesions(liver(ref), liver(test), DIMS, SPACING, { label: 2, minVoxels: 3 });
    expect([m.detected, m.missed, m.falsePositives]).toEqual([[1, 3], [2], [2]]);
    const organ = matchLesions(liver(ref), liver(test), DIMS, SPACING, { label: [1, 2] });
    expect(organ.reference).toHaveLength(1);
    expect(organ.detected).toEqual([1]);
    expect(Array.from(selectStructure([0, 1, 2, 3], [1, 3]))).toEqual([0, 1, 0, 1]);
  });
});

describe("lesion matching: merges and splits", () => {
  const ref = empty();
  box(ref, 2, 5, 2, 5, 1, 3); // R1, 48
  box(ref, 8, 11, 2, 5, 1, 3); // R2, 48
  box(ref, 14, 21, 2, 5, 1, 3); // R3, 96
  const test = empty();
  box(test, 14, 17, 2, 5, 1, 3); // T1, 48, in R3
  box(test, 19, 21, 2, 5, 1, 3); // T2, 36, in R3
  box(test, 4, 9, 3, 4, 2, 2); // T3, 12, bridges R1 and R2 (4 voxels in each)

  it("a test lesion over two reference lesions detects both; two test lesions in one reference are both true", () => {
    const m = matchLesions(ref, test, DIMS, SPACING);
    expect(m.detected).toEqual([1, 2, 3]);
    expect(m.missed).toEqual([]);
    expect(m.falsePositives).toEqual([]);
    expect(m.merges).toEqual([{ test: 3, references: [1, 2] }]);
    expect(m.splits).toEqual([{ reference: 3, tests: [1, 2] }]);
    expect(m.pairs.map((p) => [p.reference, p.test, p.overlapVoxels])).toEqual([
      [1, 3, 4],
      [2, 3, 4],
      [3, 1, 48],
      [3, 2, 36],
    ]);
    // per-lesion Dice against the union of its matches
    expect(m.reference[0].dice).toBeCloseTo(8 / 60, 12);
    expect(m.reference[2].dice).toBeCloseTo(168 / 180, 12);
    expect(m.test[2].dice).toBeCloseTo(16 / 108, 12);
    expect(m.sensitivity).toBe(1);
    expect(m.precision).toBe(1);
    // deterministic: the same answer twice
    expect(matchLesions(ref, test, DIMS, SPACING)).toEqual(m);
  });

  it("no lesions on either side", () => {
    const m = matchLesions(empty(), empty(), DIMS, SPACING);
    expect(m).toMatchObject({ reference: [], test: [], pairs: [], detected: [], missed: [], falsePositives: [], sensitivity: null, precision: null });
  });
});

describe("structureMetrics", () => {
  it("Dice, volumes and surface distances of one structure in label maps", () => {
    const a = box(empty(), 2, 9, 2, 9, 2, 5, 2);
    const b = box(empty(), 3, 10, 2, 9, 2, 5, 2);
    box(a, 20, 25, 2, 5, 2, 3, 1); // another label, ignored with label: 2
    const s = structureMetrics(a, b, DIMS, SPACING, { label: 2, toleranceMm: 0.8 });
    expect(s.dice).toBeCloseTo(2 * 224 / 512, 12);
    expect(s.jaccard).toBeCloseTo(224 / 288, 12);
    expect(s.volume.diffMl).toBeCloseTo(0, 12);
    expect(s.surface.hausdorffMm).toBeCloseTo(0.8, 9);
    expect(s.surfaceDice).toBe(1);
    expect(structureMetrics(a, b, DIMS, SPACING).dice).toBeLessThan(s.dice);
  });
});

describe("lesion input validation", () => {
  const m = empty();
  it("codes", () => {
    expectCoded(() => matchLesions(m, new Uint8Array(10), DIMS, SPACING), MetricsError, "DIMS_MISMATCH");
    expectCoded(() => matchLesions(m, m, [30, 20, 11], SPACING), MetricsError, "DIMS_MISMATCH");
    expectCoded(() => matchLesions(m, m, DIMS, [0.8, 0.8, -2.5]), MetricsError, "BAD_SPACING");
    expectCoded(() => matchLesions(m, m, DIMS, SPACING, { minVoxels: 0 }), MetricsError, "BAD_INPUT");
    expectCoded(() => matchLesions(m, m, DIMS, SPACING, { label: [] }), MetricsError, "BAD_INPUT");
    expectCoded(() => structureMetrics(m, m, DIMS, SPACING, { toleranceMm: -1 }), MetricsError, "BAD_INPUT");
  });
});
