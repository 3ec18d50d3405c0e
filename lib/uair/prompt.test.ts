import { describe, expect, it } from "vitest";
import { derivedPointPrompt } from "./prompt";
import { expectCode } from "./test-support/expect-code";

const u8 = (...v: number[]) => Uint8Array.from(v);

describe("derivedPointPrompt", () => {
  it("points where the pick departs most from the non-members, positive when the pick has the structure there", () => {
    const pick = u8(1, 2, 2, 2, 1);
    // members (ignored) then non-members with tumour frequency [0, 0, 1, 2/3, 1/3]
    const samples = [u8(2, 2, 2, 2, 2), u8(1, 1, 2, 2, 1), u8(1, 1, 2, 2, 2), u8(1, 1, 2, 1, 1)];
    const p = derivedPointPrompt(samples, Int32Array.of(0, 1, 1, 2), 0, pick, [5, 1, 1], "tumour");
    expect(p).toEqual({ x: 1, y: 0, z: 0, positive: true, score: 1 });
  });

  it("is negative where the others have the structure and the pick does not", () => {
    const pick = u8(1, 1, 2, 2, 1);
    const samples = [u8(1, 1, 2, 2, 1), u8(2, 1, 2, 2, 1), u8(2, 1, 2, 2, 1)];
    const p = derivedPointPrompt(samples, Int32Array.of(1, 0, 0), 1, pick, [5, 1, 1], "tumour");
    expect(p).toMatchObject({ x: 0, positive: false, score: 1 });
    // for the liver the same maps agree everywhere: no informative point
    expect(derivedPointPrompt(samples, Int32Array.of(1, 0, 0), 1, pick, [5, 1, 1], "liver")).toBeNull();
  });

  it("breaks ties by distance to the pick's centroid", () => {
    // 5 x 5 x 1; the pick is a bar (1..3, 2) no other sample has; all three voxels score 1
    const pick = new Uint8Array(25).fill(1);
    pick[11] = pick[12] = pick[13] = 2;
    const other = new Uint8Array(25).fill(1);
    const p = derivedPointPrompt([pick.slice(), other], Int32Array.of(0, 1), 0, pick, [5, 5, 1], "tumour");
    expect(p).toEqual({ x: 2, y: 2, z: 0, positive: true, score: 1 });
  });

  it("compares with all samples when every sample is a member", () => {
    const pick = u8(2, 2, 0);
    const samples = [u8(2, 2, 0), u8(2, 2, 0), u8(2, 0, 0)];
    const p = derivedPointPrompt(samples, Int32Array.of(0, 0, 0), 0, pick, [3, 1, 1], "tumour");
    expect(p).toMatchObject({ x: 1, positive: true });
    expect(p!.score).toBeCloseTo(1 / 3, 6);
  });

  it("refuses a pick without members and mismatched inputs", () => {
    const s = [u8(1, 2), u8(1, 1)];
    expectCode(() => derivedPointPrompt(s, Int32Array.of(0, 1), 2, u8(1, 2), [2, 1, 1], "tumour"), "BAD_PICK");
    expectCode(() => derivedPointPrompt(s, Int32Array.of(0), 0, u8(1, 2), [2, 1, 1], "tumour"), "DIMS_MISMATCH", /membership/);
    expectCode(() => derivedPointPrompt(s, Int32Array.of(0, 1), 0, u8(1, 2, 0), [2, 1, 1], "tumour"), "DIMS_MISMATCH");
    expectCode(() => derivedPointPrompt([], new Int32Array(0), 0, u8(1, 2), [2, 1, 1], "tumour"), "EMPTY_SAMPLES");
  });
});
