import { describe, expect, it } from "vitest";
import { createRng } from "../random";
import { expectCoded } from "../test-support/expect-code";
import { ConsensusError, isConsensusError, majorityBinary, majorityVote } from "./index";

const u8 = (...v: number[]) => new Uint8Array(v);

/** Per-voxel reference: plurality, ties to the lower label, `undecided` without a strict majority. */
function naiveMajority(masks: Uint8Array[], K: number, undecided?: number): Uint8Array {
  const out = new Uint8Array(masks[0].length);
  for (let i = 0; i < out.length; i++) {
    const tally = new Array(K).fill(0);
    for (const m of masks) tally[m[i]]++;
    let best = 0;
    for (let s = 1; s < K; s++) if (tally[s] > tally[best]) best = s;
    out[i] = undecided !== undefined && 2 * tally[best] <= masks.length ? undecided : best;
  }
  return out;
}

describe("majorityBinary", () => {
  it("1 where more than half the readers say non-zero", () => {
    const out = majorityBinary([u8(1, 1, 0, 0, 1), u8(1, 0, 1, 0, 0), u8(0, 1, 1, 0, 0)]);
    expect(Array.from(out)).toEqual([1, 1, 1, 0, 0]);
  });

  it("a tie (2 of 4) is background; any non-zero label is foreground", () => {
    const out = majorityBinary([u8(1, 2, 1, 0), u8(1, 2, 0, 0), u8(0, 0, 1, 9), u8(0, 1, 1, 9)]);
    expect(Array.from(out)).toEqual([0, 1, 1, 0]);
  });

  it("one reader is its own majority", () => {
    expect(Array.from(majorityBinary([u8(0, 2, 1)]))).toEqual([0, 1, 1]);
  });
});

describe("majorityVote", () => {
  it("multi-label: plurality, a tie goes to the lower label", () => {
    // voxel: (0,1,2) three-way tie -> 0; (1,2,2) -> 2; (1,1,2) -> 1; (2,0,2) -> 2; (0,0,0) -> 0
    const masks = [u8(0, 1, 1, 2, 0), u8(1, 2, 1, 0, 0), u8(2, 2, 2, 2, 0)];
    expect(Array.from(majorityVote(masks))).toEqual([0, 2, 1, 2, 0]);
    // four readers: (1,1,2,2) tie -> 1; (0,2,2,1) plurality 2 (not more than half); (2,2,2,0) -> 2
    const four = [u8(1, 0, 2), u8(1, 2, 2), u8(2, 2, 2), u8(2, 1, 0)];
    expect(Array.from(majorityVote(four, { labels: 3 }))).toEqual([1, 2, 2]);
  });

  it("undecided: a strict majority, other voxels get the given label", () => {
    const four = [u8(1, 0, 2, 1), u8(1, 2, 2, 1), u8(2, 2, 2, 1), u8(2, 1, 0, 0)];
    expect(Array.from(majorityVote(four, { labels: 3, undecided: 0 }))).toEqual([0, 0, 2, 1]);
    expect(Array.from(majorityVote(four, { labels: 3, undecided: 255 }))).toEqual([255, 255, 2, 1]);
  });

  it("labels default to the highest label + 1; generic over K", () => {
    const masks = [u8(5, 4, 0), u8(5, 3, 3), u8(1, 3, 3)];
    expect(Array.from(majorityVote(masks))).toEqual([5, 3, 3]);
  });

  it("matches a per-voxel reference on random data (dense and compact encoders)", () => {
    const rng = createRng(7);
    for (const [R, K] of [[5, 3], [4, 2], [7, 3], [3, 6]] as const) {
      const masks = Array.from({ length: R }, () => Uint8Array.from({ length: 4099 }, () => (rng.uniform() < 0.5 ? 0 : Math.floor(rng.uniform() * K))));
      expect(Array.from(majorityVote(masks, { labels: K }))).toEqual(Array.from(naiveMajority(masks, K)));
      expect(Array.from(majorityVote(masks, { labels: K, undecided: 0 }))).toEqual(Array.from(naiveMajority(masks, K, 0)));
      const shifted = masks.map((m) => {
        const v = new Uint8Array(m.length + 3).subarray(3);
        v.set(m);
        return v;
      });
      expect(Array.from(majorityVote(shifted, { labels: K }))).toEqual(Array.from(naiveMajority(masks, K)));
      const bin = masks.map((m) => m.map((v) => (v ? 1 : 0)));
      expect(Array.from(majorityBinary(masks))).toEqual(Array.from(naiveMajority(bin, 2)));
    }
  });

  it("errors: no readers, mismatched grids, bad labels and options", () => {
    const e = expectCoded(() => majorityVote([]), ConsensusError, "EMPTY");
    expect(isConsensusError(e, "EMPTY")).toBe(true);
    expectCoded(() => majorityBinary([]), ConsensusError, "EMPTY");
    expectCoded(() => majorityVote([u8(0, 1), u8(0, 1, 1)]), ConsensusError, "DIMS_MISMATCH", { message: /reader 1 has 3 voxels/ });
    expectCoded(() => majorityBinary([u8(0, 1), u8(0)]), ConsensusError, "DIMS_MISMATCH");
    expectCoded(() => majorityVote([u8(0, 3)], { labels: 3 }), ConsensusError, "BAD_INPUT", { message: /label 3 at voxel 1/ });
    expectCoded(() => majorityVote([u8(0)], { labels: 1 }), ConsensusError, "BAD_INPUT");
    expectCoded(() => majorityVote([u8(0)], { undecided: 256 }), ConsensusError, "BAD_INPUT");
    expectCoded(() => majorityVote([[0, 1] as unknown as Uint8Array]), ConsensusError, "BAD_INPUT");
    expectCoded(() => majorityVote("x" as unknown as Uint8Array[]), ConsensusError, "BAD_INPUT");
  });

  it("an empty grid gives an empty result", () => {
    expect(majorityVote([u8(), u8()]).length).toBe(0);
  });
});
