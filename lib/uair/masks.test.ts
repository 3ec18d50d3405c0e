import { describe, expect, it } from "vitest";
import {
  checkDims, checkLabels, checkStructure, connectedComponents3d, downsampleMask, majorityLabels, softDice, structureMask, structureVoxels,
} from "./masks";
import { expectCode } from "./test-support/expect-code";

const u8 = (...v: number[]) => Uint8Array.from(v);

describe("structureMask / structureVoxels", () => {
  it("liver includes tumour; tumour is label 2 only", () => {
    const labels = u8(0, 1, 2, 1, 0, 2);
    expect(Array.from(structureMask(labels, "liver"))).toEqual([0, 1, 1, 1, 0, 1]);
    expect(Array.from(structureMask(labels, "tumour"))).toEqual([0, 0, 1, 0, 0, 1]);
    expect(structureVoxels(labels, "liver")).toBe(4);
    expect(structureVoxels(labels, "tumour")).toBe(2);
    expectCode(() => structureMask(labels, "kidney" as never), "BAD_INPUT", /structure/);
  });
});

describe("checkDims / checkStructure", () => {
  it("returns the voxel count or says which dims and length disagree", () => {
    expect(checkDims([2, 3, 4], 24)).toBe(24);
    expectCode(() => checkDims([2, 3, 4], 23), "DIMS_MISMATCH", /23 voxels.*2x3x4/);
    expectCode(() => checkDims([2, 0, 4] as never, 0), "DIMS_MISMATCH", /positive integers/);
    expect(() => checkStructure("tumour")).not.toThrow();
    expectCode(() => checkStructure("lung"), "BAD_INPUT");
  });
});

describe("checkLabels", () => {
  it("passes 0/1/2 and finds any other value wherever it is, aligned or not", () => {
    const buf = new Uint8Array(41).map((_, i) => i % 3);
    for (const offset of [0, 1, 2, 3]) checkLabels(buf.subarray(offset));
    for (const bad of [3, 4, 7, 128, 255])
      for (const at of [0, 1, 5, 22, 39, 40])
        for (const offset of [0, 1, 3]) {
          const v = buf.slice();
          v[at] = bad;
          if (at < offset) continue;
          expectCode(() => checkLabels(v.subarray(offset), "sample 2"), "BAD_INPUT", new RegExp(`sample 2 has label ${bad} at voxel ${at - offset};`));
        }
  });
});

describe("majorityLabels", () => {
  it("organ and tumour by strict majority; tumour votes count as organ votes", () => {
    const s = [u8(0, 1, 2, 2, 1, 0), u8(1, 1, 2, 1, 2, 0), u8(0, 2, 0, 1, 2, 2)];
    // voxel 0: organ 1/3 -> 0; voxel 1: organ 3/3, tumour 1/3 -> 1; voxel 2: tumour 2/3 -> 2;
    // voxel 3: organ 3/3, tumour 1/3 -> 1; voxel 4: tumour 2/3 -> 2; voxel 5: organ 1/3 -> 0
    expect(Array.from(majorityLabels(s))).toEqual([0, 1, 2, 1, 2, 0]);
  });

  it("a tie is not a majority, and organ can win without any tumour majority", () => {
    expect(Array.from(majorityLabels([u8(2, 1), u8(0, 2)]))).toEqual([0, 1]);
    // 2 of 4 say tumour and 3 of 4 say organ -> organ only
    expect(Array.from(majorityLabels([u8(2), u8(2), u8(1), u8(0)]))).toEqual([1]);
  });

  it("refuses no samples and mixed grids", () => {
    expectCode(() => majorityLabels([]), "EMPTY_SAMPLES");
    expectCode(() => majorityLabels([u8(0, 1), u8(1)]), "DIMS_MISMATCH", /sample 1/);
  });
});

describe("downsampleMask", () => {
  it("averages each block, with edge blocks over the voxels they hold", () => {
    // 3 x 2 x 1, factor [2, 2, 1]: blocks {x0,x1} x {y0,y1} and the partial {x2} x {y0,y1}
    const mask = u8(1, 1, 1, /* y1 */ 0, 1, 0);
    const { data, dims } = downsampleMask(mask, [3, 2, 1], [2, 2, 1]);
    expect(dims).toEqual([2, 1, 1]);
    expect(Array.from(data)).toEqual([0.75, 0.5]);
  });

  it("works along z and treats any non-zero as inside", () => {
    const mask = u8(2, 0, 7); // 1 x 1 x 3
    const { data, dims } = downsampleMask(mask, [1, 1, 3], [1, 1, 2]);
    expect(dims).toEqual([1, 1, 2]);
    expect(Array.from(data)).toEqual([0.5, 1]);
  });

  it("refuses bad factors and dims", () => {
    expectCode(() => downsampleMask(u8(1, 1), [2, 1, 1], [0, 1, 1]), "BAD_INPUT", /factor/);
    expectCode(() => downsampleMask(u8(1, 1), [3, 1, 1], [1, 1, 1]), "DIMS_MISMATCH");
  });
});

describe("softDice", () => {
  it("2·Σab / (Σa + Σb), 1 for two empty masks", () => {
    expect(softDice(Float32Array.of(1, 1, 0), Float32Array.of(1, 1, 0))).toBe(1);
    // a soft mask is not perfectly alike with itself: 2·(1 + 0.25) / (1.5 + 1.5)
    expect(softDice(Float32Array.of(1, 0.5, 0), Float32Array.of(1, 0.5, 0))).toBeCloseTo(2.5 / 3, 7);
    // Σab = 0.5·1 = 0.5, Σa = 1.5, Σb = 1 -> 1 / 2.5
    expect(softDice(Float32Array.of(1, 0.5), Float32Array.of(0, 1))).toBeCloseTo(0.4, 7);
    expect(softDice(new Float32Array(3), new Float32Array(3))).toBe(1);
    expect(softDice(Float32Array.of(1, 0), Float32Array.of(0, 1))).toBe(0);
    expectCode(() => softDice(new Float32Array(2), new Float32Array(3)), "DIMS_MISMATCH");
  });
});

describe("connectedComponents3d", () => {
  it("uses 6-connectivity: diagonal neighbours are separate components", () => {
    // 3 x 3 x 1: a diagonal pair and an L of three
    const mask = u8(1, 0, 1, 0, 1, 1, 0, 0, 0);
    const { labels, sizes } = connectedComponents3d(mask, [3, 3, 1]);
    // scan order: voxel 0 -> 1; voxel 2 -> 2 (with 5 and 4)
    expect(Array.from(labels)).toEqual([1, 0, 2, 0, 2, 2, 0, 0, 0]);
    expect(sizes).toEqual([1, 3]);
  });

  it("connects across slices and handles a long snake without recursion", () => {
    const z = connectedComponents3d(u8(1, 0, 0, 0, /* z1 */ 1, 0, 0, 1), [2, 2, 2]);
    expect(z.sizes).toEqual([2, 1]);
    expect(z.labels[4]).toBe(1);
    // a 200 x 200 x 1 serpentine: one component of 20100 voxels (deep recursion would overflow)
    const w = 200;
    const snake = new Uint8Array(w * w);
    for (let y = 0; y < w; y += 2) {
      snake.fill(1, y * w, (y + 1) * w);
      if (y + 1 < w) snake[(y + 1) * w + ((y / 2) % 2 === 0 ? w - 1 : 0)] = 1;
    }
    const big = connectedComponents3d(snake, [w, w, 1]);
    expect(big.sizes).toEqual([snake.reduce((s, v) => s + v, 0)]);
    expect(connectedComponents3d(new Uint8Array(8), [2, 2, 2]).sizes).toEqual([]);
  });
});
