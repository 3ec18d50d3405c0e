import { describe, expect, it } from "vitest";
import { expectCoded } from "../test-support/expect-code";
import { cropLabels, embedLabels, labelBox, organBox, type Box3 } from "./box";
import { UairError } from "./errors";
import { buildRound, embedRound, planRound } from "./round";
import { standardMixture } from "./mixture";
import { TOY_DIM, TOY_DIMS, TOY_VOXEL_ML, toyDecodeAll } from "./test-support/toy";
import type { Dims3 } from "./masks";

const dims: Dims3 = [10, 8, 4];
function volumeWith(points: [number, number, number][]): Uint8Array {
  const v = new Uint8Array(10 * 8 * 4);
  for (const [x, y, z] of points) v[x + 10 * (y + 8 * z)] = 1;
  return v;
}

describe("labelBox", () => {
  it("bounds the labelled voxels of the chosen slices, grown by the margin and clipped", () => {
    const v = volumeWith([
      [3, 2, 1],
      [6, 4, 2],
      [9, 7, 3], // outside the slice range below
    ]);
    expect(labelBox(v, dims, 0, 3, 0)).toEqual({ x0: 3, y0: 2, z0: 0, w: 4, h: 3, d: 3 });
    expect(labelBox(v, dims, 1, 3, 2)).toEqual({ x0: 1, y0: 0, z0: 1, w: 8, h: 7, d: 2 });
    // the margin is clipped at the volume's edges
    expect(labelBox(v, dims, 0, 4, 5)).toEqual({ x0: 0, y0: 0, z0: 0, w: 10, h: 8, d: 4 });
    expect(labelBox(v, dims, 0, 1, 3)).toBeNull();
  });

  it("moves its edges out to multiples of align, or to the volume's edge", () => {
    const v = volumeWith([
      [3, 2, 1],
      [6, 4, 2],
    ]);
    expect(labelBox(v, dims, 0, 4, 0, 4)).toEqual({ x0: 0, y0: 0, z0: 0, w: 8, h: 8, d: 4 });
    expect(labelBox(volumeWith([[9, 5, 0]]), dims, 0, 4, 0, 4)).toEqual({ x0: 8, y0: 4, z0: 0, w: 2, h: 4, d: 4 });
  });

  it("refuses a slice range outside the volume and a bad margin", () => {
    const v = volumeWith([[1, 1, 1]]);
    expectCoded(() => labelBox(v, dims, 2, 5, 0), UairError, "BAD_INPUT", { message: /slice range \[2, 5\)/ });
    expectCoded(() => labelBox(v, dims, 2, 2, 0), UairError, "BAD_INPUT", { message: /slice range/ });
    expectCoded(() => labelBox(v, dims, 0, 4, -1), UairError, "BAD_INPUT", { message: /margin/ });
  });
});

describe("organBox", () => {
  it("bounds the organ's real parts, not stray pixels, and keeps a split-off lobe", () => {
    const big: Dims3 = [30, 20, 6];
    const v = new Uint8Array(30 * 20 * 6);
    const fill = (x0: number, x1: number, y0: number, y1: number, z0: number, z1: number, label: number) => {
      for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) v[x + 30 * (y + 20 * z)] = label;
    };
    fill(5, 15, 4, 12, 1, 5, 1); // the liver: 320 voxels
    fill(8, 11, 6, 9, 2, 4, 2); // a tumour inside it
    fill(17, 20, 4, 7, 2, 4, 1); // a split-off lobe: 18 voxels, 5.6 % of the liver
    v[28 + 30 * (18 + 20 * 3)] = 1; // a stray pixel far away
    expect(organBox(v, big, 0, 6, 0)).toEqual({ x0: 5, y0: 4, z0: 0, w: 15, h: 8, d: 6 });
    expect(labelBox(v, big, 0, 6, 0)).toEqual({ x0: 5, y0: 4, z0: 0, w: 24, h: 15, d: 6 });
    // the slice range is kept as asked, with the margin in-plane
    expect(organBox(v, big, 2, 4, 1)).toEqual({ x0: 4, y0: 3, z0: 2, w: 17, h: 10, d: 2 });
    expect(organBox(new Uint8Array(30 * 20 * 6), big, 0, 6, 2)).toBeNull();
    expectCoded(() => organBox(v, big, 4, 9, 0), UairError, "BAD_INPUT", { message: /slice range \[4, 9\)/ });
  });
});

describe("cropLabels / embedLabels", () => {
  it("round-trip the box and leave 0 outside it", () => {
    const v = Uint8Array.from({ length: 10 * 8 * 4 }, (_, i) => (i * 7) % 3);
    const box: Box3 = { x0: 2, y0: 1, z0: 1, w: 5, h: 6, d: 2 };
    const sub = cropLabels(v, dims, box);
    expect(sub.length).toBe(5 * 6 * 2);
    expect(sub[0]).toBe(v[2 + 10 * (1 + 8 * 1)]);
    const back = embedLabels(sub, box, dims);
    for (let z = 0; z < 4; z++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 10; x++) {
          const i = x + 10 * (y + 8 * z);
          const inside = x >= 2 && x < 7 && y >= 1 && y < 7 && z >= 1 && z < 3;
          expect(back[i]).toBe(inside ? v[i] : 0);
        }
  });

  it("refuse a box that leaves the volume or a box volume of the wrong size", () => {
    const v = new Uint8Array(10 * 8 * 4);
    expectCoded(() => cropLabels(v, dims, { x0: 6, y0: 0, z0: 0, w: 5, h: 1, d: 1 }), UairError, "BAD_INPUT", { message: /not inside a 10x8x4 volume/ });
    expectCoded(() => embedLabels(new Uint8Array(3), { x0: 0, y0: 0, z0: 0, w: 2, h: 2, d: 1 }, dims), UairError, "DIMS_MISMATCH", { message: /box volume has 3 voxels/ });
  });
});

describe("embedRound", () => {
  it("a round built inside an aligned box and embedded equals the round built on the whole volume", () => {
    const big: Dims3 = [40, 36, 12];
    const at: Box3 = { x0: 8, y0: 4, z0: 2, w: TOY_DIMS[0], h: TOY_DIMS[1], d: TOY_DIMS[2] };
    const { codes, component } = planRound({ mixture: standardMixture(TOY_DIM), n: 16, seed: 5 });
    const samples = toyDecodeAll(codes).map((s) => embedLabels(s, at, big));
    const opts = { codes, component, structure: "tumour" as const, voxelMl: TOY_VOXEL_ML, k: 4 };
    const whole = buildRound({ ...opts, samples, dims: big });
    const union = samples.reduce((u, s) => u.map((v, i) => v | s[i]));
    const box = labelBox(union, big, 1, 11, 1, 4)!;
    expect(box.w * box.h * box.d).toBeLessThan(big[0] * big[1] * big[2]);
    const inBox = embedRound(buildRound({ ...opts, samples: samples.map((s) => cropLabels(s, big, box)), dims: [box.w, box.h, box.d] }), box, big);
    expect(inBox.candidates.length).toBeGreaterThan(1);
    expect(Buffer.from(inBox.recommended).equals(Buffer.from(whole.recommended))).toBe(true);
    expect(Array.from(inBox.membership)).toEqual(Array.from(whole.membership));
    expect(inBox.candidates.map((c) => Buffer.from(c.labels).toString("base64"))).toEqual(whole.candidates.map((c) => Buffer.from(c.labels).toString("base64")));
    // centroids are summed in other coordinates: equal up to rounding
    const rounded = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === "number" ? Number(v.toFixed(9)) : v)));
    expect(rounded(inBox.summaries)).toEqual(rounded(whole.summaries));
    expect(inBox.pruned.map((p) => p.reason)).toEqual(whole.pruned.map((p) => p.reason));
  });
});
