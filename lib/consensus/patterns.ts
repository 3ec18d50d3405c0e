// Vote patterns: the tuple of labels the R readers give one voxel. Majority vote and STAPLE (with a
// global prior) depend on a voxel only through its pattern, so both work on the distinct patterns
// and their voxel counts, and write per-voxel results with one table look-up per voxel.
//
// Two encoders, same result type:
// - dense (K^R <= 256, masks 4-byte aligned; the usual case: binary up to 8 readers, 3 labels up
//   to 5): id = the base-K number of the readers' labels, four voxels per 32-bit word, all readers
//   in one pass, counting only the words that are not all-background. See encodeDense.
// - compact (anything else): one pass per reader after the first; the pattern id of a voxel so far
//   is combined with the next reader's byte through a small table, and new (pattern, label) pairs
//   get the next id. Only patterns that occur get an id (never more than the voxels), and the
//   per-voxel id array stays 1 byte a voxel while there are at most 256 patterns. Its hot loop
//   indexes the table by the raw byte (id * 256 + byte), so it neither normalises (binary:
//   non-zero = 1) nor validates labels; both happen once per distinct raw pair, on a table miss.
//   When the ids become many (id * 256 would make a table over 4 MiB) it indexes by id * K + label
//   and normalises/validates every byte.
import { ConsensusError } from "./errors";

export type PatternIds = Uint8Array | Uint16Array | Uint32Array;

export interface VotePatterns {
  readers: number;
  /** K: labels 0..K-1 (binary: 2, non-zero = 1) */
  labels: number;
  /** voxels */
  voxels: number;
  /** number of pattern ids (ids are 0..size-1; see count for which occur) */
  size: number;
  /** pattern id of every voxel, in [0, size) */
  ids: PatternIds;
  /** voxels per pattern (0 for a pattern no voxel has: the dense encoder numbers every possible pattern) */
  count: Float64Array;
  /** reader j's label in pattern p: votes[p * readers + j] */
  votes: Uint8Array;
}

/** raw-byte table while ids * 256 stays at or under this many entries (4 MiB of Int32) */
const RAW_TABLE_MAX = 1 << 20;
/** never build a (pattern, label) table over this many entries (1 GiB of Int32) */
const TABLE_MAX = 1 << 28;

/** Throws unless masks is a non-empty array of Uint8Arrays of one length; returns that length. */
export function checkMasks(masks: readonly Uint8Array[], fn: string): number {
  if (!Array.isArray(masks)) {
    throw new ConsensusError("BAD_INPUT", `${fn}: masks must be an array of Uint8Array label maps (one per reader), got ${typeof masks}.`);
  }
  if (masks.length === 0) throw new ConsensusError("EMPTY", `${fn}: no readers' masks were given; pass at least one Uint8Array.`);
  for (let j = 0; j < masks.length; j++) {
    if (!(masks[j] instanceof Uint8Array)) {
      throw new ConsensusError("BAD_INPUT", `${fn}: mask of reader ${j} is not a Uint8Array; convert label maps to Uint8Array first.`, { reader: j });
    }
  }
  const len = masks[0].length;
  for (let j = 1; j < masks.length; j++) {
    if (masks[j].length !== len) {
      throw new ConsensusError(
        "DIMS_MISMATCH",
        `${fn}: mask of reader ${j} has ${masks[j].length} voxels, reader 0's has ${len}; all masks must share one grid.`,
        { reader: j, voxels: masks[j].length, expected: len },
      );
    }
  }
  return len;
}

/** Throws BAD_INPUT unless labels is an integer in [2, 256]. */
export function checkLabelCount(labels: number, fn: string): number {
  if (!Number.isInteger(labels) || labels < 2 || labels > 256) {
    throw new ConsensusError("BAD_INPUT", `${fn}: labels must be an integer from 2 to 256 (0 background, 1..labels-1), got ${labels}.`);
  }
  return labels;
}

/** Highest byte in any mask plus one (at least 2): the label count when the caller gives none. */
export function labelCountOf(masks: readonly Uint8Array[]): number {
  let max = 1;
  for (const m of masks) {
    for (let i = 0; i < m.length; i++) if (m[i] > max) max = m[i];
    if (max === 255) break;
  }
  return max + 1;
}

function idArray(bound: number, length: number): PatternIds {
  return bound <= 0x100 ? new Uint8Array(length) : bound <= 0x10000 ? new Uint16Array(length) : new Uint32Array(length);
}

function capacity(a: PatternIds): number {
  return a instanceof Uint8Array ? 0x100 : a instanceof Uint16Array ? 0x10000 : 2 ** 32;
}

function badLabel(fn: string, reader: number, voxel: number, value: number, labels: number): never {
  throw new ConsensusError(
    "BAD_INPUT",
    `${fn}: reader ${reader} has label ${value} at voxel ${voxel}; only 0..${labels - 1} are allowed (pass opts.labels to allow more).`,
    { reader, voxel, value, labels },
  );
}

/** First voxel of mask m holding byte b (for an error message; runs only on the way to a throw). */
function firstVoxel(m: Uint8Array, b: number): number {
  for (let i = 0; i < m.length; i++) if (m[i] === b) return i;
  return -1;
}

/**
 * Vote patterns of R readers over K labels. binary: any non-zero byte is label 1 (K must be 2);
 * otherwise a byte >= K throws BAD_INPUT.
 */
export function encodePatterns(masks: readonly Uint8Array[], labels: number, binary: boolean, fn: string): VotePatterns {
  return encodeDense(masks, labels, binary, fn) ?? encodeCompact(masks, labels, binary, fn);
}

const aligned = (a: Uint8Array) => a.byteOffset % 4 === 0;

/**
 * The fast path, when K^R <= 256 (binary: up to 8 readers; 3 labels: up to 5; 4 labels: up to 4)
 * and every mask starts on a 4-byte boundary: pattern id = the base-K number of the readers'
 * labels (reader 0 most significant), computed four voxels at a time on 32-bit words in ONE pass
 * over all readers. No byte ever carries into the next (every byte stays under 256), so
 * id = id * K + label works on a whole word. Binary turns each non-zero byte into 1 with the usual
 * bit trick; multi-label checks every byte < K on the fly (OR-ed into one flag, reported after the
 * pass). Counting skips words whose four ids are all 0 (all readers say background), which is
 * almost every word of a CT grid. Unused ids have count 0.
 */
function encodeDense(masks: readonly Uint8Array[], labels: number, binary: boolean, fn: string): VotePatterns | null {
  const R = masks.length;
  const V = masks[0].length;
  const K = labels;
  const size = K ** R;
  if (size > 256 || !masks.every(aligned)) return null;
  const W = V >>> 2;
  const views = masks.map((m) => new Uint32Array(m.buffer, m.byteOffset, W));
  const ids = new Uint8Array(V);
  const out = new Uint32Array(ids.buffer, 0, W);
  const count = new Float64Array(size);
  let zero = 0;
  let bad = 0;
  if (binary) {
    for (let i = 0; i < W; i++) {
      let c = 0;
      for (let j = 0; j < R; j++) {
        const w = views[j][i];
        // 0x01 in every byte that is non-zero
        c = (c << 1) | (((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) >>> 7) & 0x01010101);
      }
      out[i] = c;
      if (c === 0) zero++;
      else {
        count[c & 255]++;
        count[(c >>> 8) & 255]++;
        count[(c >>> 16) & 255]++;
        count[c >>> 24]++;
      }
    }
  } else {
    // byte + (128 - K) sets the byte's top bit iff byte >= K (bytes >= 128 have it already)
    const ADD = (128 - Math.min(K, 128)) * 0x01010101;
    for (let i = 0; i < W; i++) {
      let c = 0;
      for (let j = 0; j < R; j++) {
        const w = views[j][i];
        bad |= w | (w + ADD);
        c = c * K + w;
      }
      out[i] = c;
      if (c === 0) zero++;
      else {
        count[c & 255]++;
        count[(c >>> 8) & 255]++;
        count[(c >>> 16) & 255]++;
        count[c >>> 24]++;
      }
    }
  }
  count[0] += 4 * zero;
  for (let i = 4 * W; i < V; i++) {
    let c = 0;
    for (let j = 0; j < R; j++) {
      const b = masks[j][i];
      bad |= b >= K && !binary ? 0x80 : 0;
      c = c * K + (binary ? (b !== 0 ? 1 : 0) : b);
    }
    ids[i] = c;
    count[c]++;
  }
  if (!binary && (bad & 0x80808080) !== 0) {
    for (let j = 0; j < R; j++) {
      const m = masks[j];
      for (let i = 0; i < V; i++) if (m[i] >= K) badLabel(fn, j, i, m[i], K);
    }
  }
  const votes = new Uint8Array(size * R);
  for (let p = 0; p < size; p++) {
    let c = p;
    for (let j = R - 1; j >= 0; j--) {
      votes[p * R + j] = c % K;
      c = Math.floor(c / K);
    }
  }
  return { readers: R, labels: K, voxels: V, size, ids, count, votes };
}

/**
 * The general path (any number of readers and labels, any alignment): one pass per reader after
 * the first, ids given in order of first appearance to the (pattern so far, label) pairs that occur.
 */
function encodeCompact(masks: readonly Uint8Array[], labels: number, binary: boolean, fn: string): VotePatterns {
  const R = masks.length;
  const V = masks[0].length;
  const K = labels;
  const norm = (b: number, reader: number, m: Uint8Array): number => {
    if (binary) return b !== 0 ? 1 : 0;
    if (b >= K) badLabel(fn, reader, firstVoxel(m, b), b, K);
    return b;
  };

  if (R === 1) {
    const m = masks[0];
    const ids = new Uint8Array(V);
    const count = new Float64Array(K);
    const map = new Int32Array(256).fill(-1);
    for (let i = 0; i < V; i++) {
      const b = m[i];
      let id = map[b];
      if (id < 0) id = map[b] = norm(b, 0, m);
      ids[i] = id;
      count[id]++;
    }
    const votes = new Uint8Array(K);
    for (let s = 0; s < K; s++) votes[s] = s;
    return { readers: 1, labels: K, voxels: V, size: K, ids, count, votes };
  }

  // parent[j][id] / label[j][id]: pattern id after reader j = (pattern id after reader j-1, label of
  // reader j); after reader 1 the "pattern id" before is reader 0's normalised label.
  const parents: Int32Array[] = [];
  const labelOf: Uint8Array[] = [];
  let prev: PatternIds = masks[0];
  let D = K; // ids (or normalised labels) the previous pass can produce
  let ids: PatternIds = masks[0];
  let count = new Float64Array(0);
  for (let j = 1; j < R; j++) {
    const m = masks[j];
    const first = j === 1;
    const bound = Math.min(D * K, Math.max(V, 1));
    const out: PatternIds = !first && capacity(prev) >= bound ? prev : idArray(bound, V);
    const parent = new Int32Array(bound);
    const lab = new Uint8Array(bound);
    count = new Float64Array(bound);
    if (D * K > TABLE_MAX) {
      throw new ConsensusError(
        "BAD_INPUT",
        `${fn}: ${R} readers produce too many distinct vote patterns (${D} after reader ${j - 1}); use fewer readers or fewer labels.`,
        { readers: R, patterns: D },
      );
    }
    const canon = new Int32Array(D * K).fill(-1);
    let n = 0;
    const assign = (a: number, b: number): number => {
      const ck = a * K + b;
      let id = canon[ck];
      if (id < 0) {
        id = canon[ck] = n++;
        parent[id] = a;
        lab[id] = b;
      }
      return id;
    };
    // the first pass reads reader 0's raw bytes (up to 256 values), later passes read ids < D
    const rows = first ? 256 : D;
    if (rows * 256 <= RAW_TABLE_MAX) {
      const t = new Int32Array(rows * 256).fill(-1);
      for (let i = 0; i < V; i++) {
        const key = prev[i] * 256 + m[i];
        let id = t[key];
        if (id < 0) {
          const a = key >>> 8;
          id = t[key] = assign(first ? norm(a, 0, masks[0]) : a, norm(key & 255, j, m));
        }
        out[i] = id;
        count[id]++;
      }
    } else {
      // many patterns: index by (id, label) and normalise every byte (first is false here)
      for (let i = 0; i < V; i++) {
        let b = m[i];
        if (binary) b = b !== 0 ? 1 : 0;
        else if (b >= K) badLabel(fn, j, i, b, K);
        const key = prev[i] * K + b;
        let id = canon[key];
        if (id < 0) {
          id = canon[key] = n++;
          parent[id] = prev[i];
          lab[id] = b;
        }
        out[i] = id;
        count[id]++;
      }
    }
    parents.push(parent);
    labelOf.push(lab);
    prev = ids = out;
    D = n;
  }

  const size = D;
  const votes = new Uint8Array(size * R);
  for (let p = 0; p < size; p++) {
    let id = p;
    for (let j = R - 1; j >= 1; j--) {
      votes[p * R + j] = labelOf[j - 1][id];
      id = parents[j - 1][id];
    }
    votes[p * R] = id;
  }
  return { readers: R, labels: K, voxels: V, size, ids, count: count.slice(0, size), votes };
}

/**
 * out[i] = table[ids[i]] for every voxel: the one final pass that writes a per-voxel result.
 * Byte ids read four at a time: a word of four id-0 voxels (all readers say background, almost
 * every word of a CT grid) is written without a look-up.
 */
export function spread<T extends Uint8Array | Float32Array>(ids: PatternIds, table: T, out: T): T {
  const n = ids.length;
  if (!(ids instanceof Uint8Array) || !aligned(ids)) {
    for (let i = 0; i < n; i++) out[i] = table[ids[i]];
    return out;
  }
  const W = n >>> 2;
  const words = new Uint32Array(ids.buffer, ids.byteOffset, W);
  if (out instanceof Uint8Array && aligned(out)) {
    const t = table as Uint8Array;
    const o = new Uint32Array(out.buffer, out.byteOffset, W);
    // each byte of the output word is the look-up of the id byte at the same position, so this
    // holds on either endianness
    const zero = t[0] * 0x01010101;
    for (let i = 0; i < W; i++) {
      const c = words[i];
      o[i] = c === 0 ? zero : t[c & 255] | (t[(c >>> 8) & 255] << 8) | (t[(c >>> 16) & 255] << 16) | (t[c >>> 24] << 24);
    }
  } else {
    out.fill(table[0]);
    for (let i = 0; i < W; i++) {
      if (words[i] === 0) continue;
      const k = 4 * i;
      out[k] = table[ids[k]];
      out[k + 1] = table[ids[k + 1]];
      out[k + 2] = table[ids[k + 2]];
      out[k + 3] = table[ids[k + 3]];
    }
  }
  for (let i = 4 * W; i < n; i++) out[i] = table[ids[i]];
  return out;
}
