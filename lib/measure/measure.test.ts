import { describe, expect, it } from "vitest";
import { expectCoded } from "../test-support/expect-code";
import { MeasureError, isMeasureError } from "./errors";
import { measureLabels, type MeasureInput } from "./index";

type V3 = [number, number, number];

// 4 x 3 x 2 voxels of 1 x 2 x 3 mm (6 µL each) under a rotated, translated affine
const SMALL_LABELS = [
  // z = 0
  0, 1, 1, 2,
  1, 1, 2, 2,
  0, 0, 1, 1,
  // z = 1
  2, 0, 0, 0,
  0, 0, 0, 1,
  0, 1, 1, 2,
];
const SMALL_AFFINE = [0.6, -1.6, 0, 10, 0.8, 1.2, 0, -20, 0, 0, 3, 30, 0, 0, 0, 1];

function smallCase(): MeasureInput {
  const hu = new Int16Array(24).map((_, i) => i * 7 - 50);
  hu[3] = 40; // lesion A: voxels 3, 6, 7
  hu[6] = 50;
  hu[7] = 90;
  hu[12] = -5; // lesion B: voxel 12
  hu[23] = 120; // lesion C: voxel 23
  return { labels: Uint8Array.from(SMALL_LABELS), hu, dims: [4, 3, 2], spacing: [1, 2, 3], affine: SMALL_AFFINE };
}

describe("measureLabels: volumes, burden, lesions", () => {
  it("matches a hand-computed case", () => {
    const m = measureLabels(smallCase());
    expect(m.liverMl).toBeCloseTo(14 * 0.006, 12); // every label >= 1, tumour included
    expect(m.tumourMl).toBeCloseTo(5 * 0.006, 12);
    expect(m.burden).toBeCloseTo(5 / 14, 12);
    expect(m.lesionCount).toBe(3);
    expect(m.lesions.map((l) => [l.id, l.voxels])).toEqual([[1, 3], [2, 1], [3, 1]]); // equal volumes in scan order
    const [a, b, c] = m.lesions;
    expect(a.volumeMl).toBeCloseTo(0.018, 12);
    expect(a.huMean).toBeCloseTo(60, 12);
    expect(a.huSd).toBeCloseTo(Math.sqrt((20 ** 2 + 10 ** 2 + 30 ** 2) / 3), 9);
    expect([b.huMean, b.huSd, c.huMean, c.huSd]).toEqual([-5, 0, 120, 0]);
    // voxel centroid (8/3, 2/3, 0) through the affine
    expect(a.centroidMm[0]).toBeCloseTo(10 + (0.6 * 8 - 1.6 * 2) / 3, 9);
    expect(a.centroidMm[1]).toBeCloseTo(-20 + (0.8 * 8 + 1.2 * 2) / 3, 9);
    expect(a.centroidMm[2]).toBeCloseTo(30, 9);
    expect(b.centroidMm).toEqual([10, -20, 33]);
    [10 + 0.6 * 3 - 1.6 * 2, -20 + 0.8 * 3 + 1.2 * 2, 33].forEach((v, k) => expect(c.centroidMm[k]).toBeCloseTo(v, 9));
    expect(a.bbox).toEqual({ x0: 2, y0: 0, z0: 0, w: 2, h: 2, d: 1 });
    expect(c.bbox).toEqual({ x0: 3, y0: 2, z0: 1, w: 1, h: 1, d: 1 });
    // boundary points of A in mm: farthest pair (3, -1) .. (2, 3)
    expect(a.longAxisMm).toBeCloseTo(Math.sqrt(17), 12);
    expect(a.slice).toBe(0);
    // a single voxel measures max(sx, sy) by min(sx, sy)
    expect([b.longAxisMm, b.shortAxisMm]).toEqual([2, 1]);
    expect(b.slice).toBe(1);
    expect(m.targets).toEqual([]);
    expect(m.targetMinMm).toBe(10);
    expect(m.targetSumMm).toBe(0);
  });

  it("gives the same answer for a label map that is not 4-byte aligned, and CT values in a plain array", () => {
    const ref = measureLabels(smallCase());
    for (const offset of [1, 2, 3]) {
      const buf = new Uint8Array(24 + 8);
      buf.set(SMALL_LABELS, offset);
      const s = smallCase();
      expect(measureLabels({ ...s, labels: buf.subarray(offset, offset + 24), hu: Array.from(s.hu) })).toEqual(ref);
    }
  });

  it("minLesionMl drops small components from the lesions but not from the tumour volume", () => {
    const m = measureLabels(smallCase(), { minLesionMl: 0.012 }); // 2 voxels
    expect(m.lesionCount).toBe(1);
    expect(m.lesions.map((l) => l.voxels)).toEqual([3]);
    expect(m.tumourMl).toBeCloseTo(0.03, 12);
    expect(measureLabels(smallCase(), { minLesionMl: 0.0181 }).lesions).toEqual([]);
  });
});

/** A 40 x 40 x 4 liver with box lesions of known extent (voxel ranges inclusive). */
function boxesCase(spacing: V3): MeasureInput {
  const [nx, ny, nz] = [40, 40, 4];
  const labels = new Uint8Array(nx * ny * nz).fill(1);
  const put = (xs: [number, number], ys: [number, number], zs: [number, number]) => {
    for (let z = zs[0]; z <= zs[1]; z++) for (let y = ys[0]; y <= ys[1]; y++) for (let x = xs[0]; x <= xs[1]; x++) labels[x + nx * (y + ny * z)] = 2;
  };
  put([1, 9], [1, 9], [0, 2]); // A: 243 voxels, long axis hypot(9, 8) = 12.04 mm
  put([12, 31], [1, 2], [1, 1]); // B: 40 voxels, hypot(20, 1) = 20.02 mm
  put([12, 26], [5, 7], [1, 1]); // C: 45 voxels, hypot(15, 2) = 15.13 mm
  put([1, 6], [12, 17], [0, 1]); // D: 72 voxels, hypot(6, 5) = 7.81 mm
  put([30, 30], [30, 30], [3, 3]); // E: 1 voxel
  return { labels, hu: new Int16Array(labels.length), dims: [nx, ny, nz], spacing, affine: [spacing[0], 0, 0, 0, 0, spacing[1], 0, 0, 0, 0, spacing[2], 0, 0, 0, 0, 1] };
}

describe("measureLabels: RECIST target lesions", () => {
  it("takes lesions of at least 10 mm, at most 2, largest long axis first", () => {
    const m = measureLabels(boxesCase([1, 1, 2]));
    expect(m.lesions.map((l) => l.voxels)).toEqual([243, 72, 45, 40, 1]); // A D C B E
    expect(m.lesions.map((l) => +l.longAxisMm.toFixed(6))).toEqual([Math.hypot(9, 8), Math.hypot(6, 5), Math.hypot(15, 2), Math.hypot(20, 1), 1].map((v) => +v.toFixed(6)));
    expect(m.targets).toEqual([3, 2]); // B (20 mm), C (15 mm); A (12 mm) is measurable but third
    expect(m.targetSumMm).toBeCloseTo(Math.hypot(20, 1) + Math.hypot(15, 2), 9);
    expect(measureLabels(boxesCase([1, 1, 2]), { maxTargetsPerOrgan: 5 }).targets).toEqual([3, 2, 0]); // D (7.8 mm) and E never
    expect(measureLabels(boxesCase([1, 1, 2]), { targetMinMm: 16 }).targets).toEqual([3]);
    expect(measureLabels(boxesCase([1, 1, 2]), { maxTargetsPerOrgan: 0 }).targets).toEqual([]);
  });

  it("with slices thicker than 5 mm the default threshold is twice the slice spacing", () => {
    const m = measureLabels(boxesCase([1, 1, 7]));
    expect(m.targetMinMm).toBe(14);
    expect(m.targets).toEqual([3, 2]);
    expect(measureLabels(boxesCase([1, 1, 8])).targets).toEqual([3]); // 16 mm: only B
  });
});

describe("measureLabels: empty cases and errors", () => {
  it("no tumour: no lesions, burden 0", () => {
    const labels = new Uint8Array(60).fill(1);
    const m = measureLabels({ labels, hu: new Int16Array(60), dims: [5, 4, 3], spacing: [1, 1, 1], affine: SMALL_AFFINE });
    expect(m).toEqual({ liverMl: 0.06, tumourMl: 0, burden: 0, lesionCount: 0, lesions: [], targets: [], targetMinMm: 10, targetSumMm: 0 });
  });

  it("no liver: burden null", () => {
    const m = measureLabels({ labels: new Uint8Array(60), hu: new Int16Array(60), dims: [5, 4, 3], spacing: [1, 1, 1], affine: SMALL_AFFINE });
    expect(m.liverMl).toBe(0);
    expect(m.burden).toBeNull();
    expect(m.lesions).toEqual([]);
  });

  it("unusable inputs are coded errors", () => {
    const s = smallCase();
    const e = expectCoded(() => measureLabels({ ...s, labels: new Uint8Array(23) }), MeasureError, "DIMS_MISMATCH", { message: /23 voxels.*4x3x2/ });
    expect(e.details).toMatchObject({ what: "labels" });
    expectCoded(() => measureLabels({ ...s, hu: new Int16Array(25) }), MeasureError, "DIMS_MISMATCH", { message: /CT has 25 voxels/ });
    expectCoded(() => measureLabels({ ...s, dims: [4, 3, 0] }), MeasureError, "BAD_DIMS");
    expectCoded(() => measureLabels({ ...s, dims: [4, 3] as never }), MeasureError, "BAD_DIMS");
    expectCoded(() => measureLabels({ ...s, spacing: [1, -2, 3] }), MeasureError, "BAD_SPACING");
    expectCoded(() => measureLabels({ ...s, affine: SMALL_AFFINE.slice(0, 12) }), MeasureError, "BAD_AFFINE");
    expectCoded(() => measureLabels({ ...s, affine: [...SMALL_AFFINE.slice(0, 15), NaN] }), MeasureError, "BAD_AFFINE");
    expectCoded(() => measureLabels({ ...s, labels: Array.from(s.labels) as never }), MeasureError, "BAD_LABELS");
    for (const at of [0, 5, 22, 23]) {
      const bad = Uint8Array.from(SMALL_LABELS);
      bad[at] = 3;
      expectCoded(() => measureLabels({ ...s, labels: bad }), MeasureError, "BAD_LABELS", { message: new RegExp(`label 3 at voxel ${at};`) });
    }
    expectCoded(() => measureLabels(s, { minLesionMl: -1 }), MeasureError, "BAD_OPTIONS");
    expectCoded(() => measureLabels(s, { targetMinMm: NaN }), MeasureError, "BAD_OPTIONS");
    expectCoded(() => measureLabels(s, { maxTargetsPerOrgan: 1.5 }), MeasureError, "BAD_OPTIONS");
    expect(isMeasureError(new MeasureError("BAD_DIMS", "x"), "BAD_DIMS")).toBe(true);
    expect(isMeasureError(new Error("x"))).toBe(false);
  });
});
