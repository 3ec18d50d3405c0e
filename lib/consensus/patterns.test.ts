import { describe, expect, it } from "vitest";
import { createRng } from "../random";
import { expectCoded } from "../test-support/expect-code";
import { ConsensusError } from "./errors";
import { encodePatterns, spread, type VotePatterns } from "./patterns";

/** R random label maps over K labels (bytes), mostly 0 like a CT grid. */
function randomMasks(seed: number, R: number, V: number, K: number, zeroFraction = 0.6): Uint8Array[] {
  const rng = createRng(seed);
  return Array.from({ length: R }, () => {
    const m = new Uint8Array(V);
    for (let i = 0; i < V; i++) m[i] = rng.uniform() < zeroFraction ? 0 : Math.floor(rng.uniform() * K);
    return m;
  });
}

/** The same bytes, in a view that starts 1 byte into its buffer (forces the compact encoder). */
function unaligned(m: Uint8Array): Uint8Array {
  const out = new Uint8Array(m.length + 1).subarray(1);
  out.set(m);
  return out;
}

/** Every voxel's pattern holds exactly the readers' (normalised) labels, and counts match. */
function expectFaithful(p: VotePatterns, masks: Uint8Array[], binary: boolean) {
  const R = masks.length;
  const counts = new Float64Array(p.size);
  for (let i = 0; i < p.voxels; i++) {
    const id = p.ids[i];
    expect(id).toBeLessThan(p.size);
    counts[id]++;
    for (let j = 0; j < R; j++) {
      const want = binary ? (masks[j][i] !== 0 ? 1 : 0) : masks[j][i];
      if (p.votes[id * R + j] !== want) throw new Error(`voxel ${i} reader ${j}: pattern says ${p.votes[id * R + j]}, mask ${want}`);
    }
  }
  expect(Array.from(p.count)).toEqual(Array.from(counts));
}

describe("encodePatterns", () => {
  it("dense path (aligned, K^R <= 256): base-K ids, reader 0 most significant, tail voxels included", () => {
    const masks = [new Uint8Array([0, 1, 2, 0, 1, 0, 2]), new Uint8Array([0, 2, 2, 1, 0, 0, 1])];
    const p = encodePatterns(masks, 3, false, "t");
    expect(p.size).toBe(9);
    expect(Array.from(p.ids)).toEqual([0, 5, 8, 1, 3, 0, 7]);
    expect(p.count[0]).toBe(2);
    expectFaithful(p, masks, false);
  });

  it("binary: any non-zero byte votes 1, in both encoders", () => {
    const masks = [new Uint8Array([0, 7, 255, 0, 1]), new Uint8Array([3, 0, 1, 0, 0])];
    const dense = encodePatterns(masks, 2, true, "t");
    expect(Array.from(dense.ids)).toEqual([1, 2, 3, 0, 2]);
    expectFaithful(dense, masks, true);
    const compact = encodePatterns(masks.map(unaligned), 2, true, "t");
    expectFaithful(compact, masks, true);
    expect(compact.size).toBeLessThanOrEqual(4);
  });

  it("dense and compact agree voxel by voxel on random multi-label data", () => {
    const masks = randomMasks(1, 5, 10_003, 3);
    const dense = encodePatterns(masks, 3, false, "t");
    expect(dense.ids).toBeInstanceOf(Uint8Array);
    expectFaithful(dense, masks, false);
    const compact = encodePatterns(masks.map(unaligned), 3, false, "t");
    expectFaithful(compact, masks, false);
    // compact numbers only the patterns that occur
    expect(compact.size).toBe(Array.from(dense.count).filter((c) => c > 0).length);
  });

  it("compact path beyond 256 patterns: wider ids and the large-table loop stay exact", () => {
    // 6 readers x 3 labels: 729 possible patterns, Uint16 ids
    const six = randomMasks(2, 6, 20_000, 3, 0.2);
    const p6 = encodePatterns(six, 3, false, "t");
    expect(p6.ids).toBeInstanceOf(Uint16Array);
    expectFaithful(p6, six, false);
    // 18 random binary readers on 100k voxels: more than 4096 ids after a few readers (the
    // (id, label) table loop) and more than 65536 at the end (Uint32 ids)
    const many = randomMasks(3, 18, 100_000, 2, 0);
    const pm = encodePatterns(many, 2, true, "t");
    expect(pm.ids).toBeInstanceOf(Uint32Array);
    expect(pm.size).toBeGreaterThan(65_536);
    expectFaithful(pm, many, true);
  });

  it("a label >= K throws BAD_INPUT naming the reader and voxel, in both encoders and in the large-table loop", () => {
    const masks = [new Uint8Array([0, 1, 2, 0, 1]), new Uint8Array([0, 1, 0, 0, 3])];
    for (const ms of [masks, masks.map(unaligned)]) {
      const e = expectCoded(() => encodePatterns(ms, 3, false, "t"), ConsensusError, "BAD_INPUT", { message: /reader 1 has label 3 at voxel 4/ });
      expect(e.details).toMatchObject({ reader: 1, voxel: 4, value: 3 });
    }
    const many = randomMasks(4, 16, 50_000, 2, 0);
    many[15][49_999] = 2;
    expectCoded(() => encodePatterns(many, 2, false, "t"), ConsensusError, "BAD_INPUT", { message: /reader 15 has label 2 at voxel 49999/ });
    // a word-level false alarm (byte >= 128 with K > 128) does not throw
    expect(encodePatterns([new Uint8Array([200, 0, 0, 0])], 201, false, "t").count[200]).toBe(1);
  });
});

describe("spread", () => {
  it("writes table[id] per voxel through the word path, the tail and unaligned arrays", () => {
    const ids = new Uint8Array([0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 2, 1]);
    const t8 = new Uint8Array([9, 1, 2, 3]);
    const want8 = Array.from(ids, (i) => t8[i]);
    expect(Array.from(spread(ids, t8, new Uint8Array(ids.length)))).toEqual(want8);
    expect(Array.from(spread(unaligned(ids), t8, new Uint8Array(ids.length)))).toEqual(want8);
    expect(Array.from(spread(ids, t8, unaligned(new Uint8Array(ids.length))))).toEqual(want8);
    const tf = new Float32Array([0.25, 0.5, 0.75, 1]);
    expect(Array.from(spread(ids, tf, new Float32Array(ids.length)))).toEqual(Array.from(ids, (i) => tf[i]));
    expect(Array.from(spread(new Uint16Array(ids), t8, new Uint8Array(ids.length)))).toEqual(want8);
  });
});
