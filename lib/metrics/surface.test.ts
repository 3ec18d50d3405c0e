import { describe, expect, it } from "vitest";
import { createRng } from "../random";
import { expectCoded } from "../test-support/expect-code";
import { MetricsError, type Dims3, type Spacing3 } from "./errors";
import { dice } from "./overlap";
import { distanceTransformSq, surfaceDice, surfaceDistances, surfaceVoxels } from "./surface";
import { jaccard, volumeMl } from "./volume";

// ---- helpers --------------------------------------------------------------------------------

const DIMS: Dims3 = [90, 90, 32];
const SPACING: Spacing3 = [0.8, 0.8, 2.5];
const DIAG = Math.hypot(...SPACING);

/** Voxels whose centre (index × spacing, mm) lies within r of c. */
function sphere(c: readonly number[], r: number, dims: Dims3 = DIMS, sp: Spacing3 = SPACING): Uint8Array {
  const [nx, ny, nz] = dims;
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const dx = x * sp[0] - c[0];
        const dy = y * sp[1] - c[1];
        const dz = z * sp[2] - c[2];
        if (dx * dx + dy * dy + dz * dz <= r * r) m[x + nx * (y + ny * z)] = 1;
      }
  return m;
}

const ballMm3 = (r: number) => (4 / 3) * Math.PI * r ** 3;

/** Volume of the intersection of two balls of radii r1, r2 whose centres are D apart. */
function lensMm3(r1: number, r2: number, D: number): number {
  if (D >= r1 + r2) return 0;
  if (D <= Math.abs(r1 - r2)) return ballMm3(Math.min(r1, r2));
  return (Math.PI * (r1 + r2 - D) ** 2 * (D * D + 2 * D * r2 - 3 * r2 * r2 + 2 * D * r1 + 6 * r1 * r2 - 3 * r1 * r1)) / (12 * D);
}

/** Directed Hausdorff distance from sphere (ra) to sphere (rb) with centres D apart. */
const directedSphereHd = (ra: number, rb: number, D: number) => Math.max(Math.abs(ra + D - rb), Math.abs(rb - Math.abs(ra - D)));

function coords(i: number, dims: Dims3): [number, number, number] {
  const x = i % dims[0];
  const y = Math.floor(i / dims[0]) % dims[1];
  return [x, y, Math.floor(i / (dims[0] * dims[1]))];
}

/** Brute force: squared distance (mm²) from every voxel to the nearest source voxel. */
function bruteEdtSq(src: Uint8Array, dims: Dims3, sp: Spacing3): Float64Array {
  const pts: number[][] = [];
  src.forEach((v, i) => v && pts.push(coords(i, dims)));
  return Float64Array.from(src, (_, i) => {
    const [x, y, z] = coords(i, dims);
    let best = Infinity;
    for (const [px, py, pz] of pts) best = Math.min(best, ((x - px) * sp[0]) ** 2 + ((y - py) * sp[1]) ** 2 + ((z - pz) * sp[2]) ** 2);
    return best;
  });
}

/** Brute force: distances from each surface voxel of `from` to the nearest surface voxel of `to`. */
function bruteDirected(from: Uint8Array, to: Uint8Array, dims: Dims3, sp: Spacing3): number[] {
  const d = bruteEdtSq(surfaceVoxels(to, dims), dims, sp);
  const out: number[] = [];
  surfaceVoxels(from, dims).forEach((v, i) => v && out.push(Math.sqrt(d[i])));
  return out.sort((p, q) => p - q);
}

function percentile(sorted: number[], p: number): number {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function randomMask(dims: Dims3, density: number, seed: number, box?: [number, number, number, number, number, number]): Uint8Array {
  const rng = createRng(seed);
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let i = 0; i < m.length; i++) {
    const [x, y, z] = coords(i, dims);
    const inBox = !box || (x >= box[0] && x <= box[1] && y >= box[2] && y <= box[3] && z >= box[4] && z <= box[5]);
    if (inBox && rng.uniform() < density) m[i] = 1;
  }
  return m;
}

// ---- tests ----------------------------------------------------------------------------------

describe("two spheres on an anisotropic grid (0.8 × 0.8 × 2.5 mm)", () => {
  const r1 = 20;
  const r2 = 15;
  const c1 = [36, 36, 40];
  const off = [3, -2, 4];
  const D = Math.hypot(...off);
  const a = sphere(c1, r1);
  const b = sphere([c1[0] + off[0], c1[1] + off[1], c1[2] + off[2]], r2);

  it("Dice, Jaccard and volumes match the analytic values", () => {
    const v1 = ballMm3(r1);
    const v2 = ballMm3(r2);
    const lens = lensMm3(r1, r2, D);
    expect(volumeMl(a, SPACING)).toBeCloseTo(v1 / 1000, 1);
    expect(Math.abs(volumeMl(a, SPACING) / (v1 / 1000) - 1)).toBeLessThan(0.015);
    expect(Math.abs(volumeMl(b, SPACING) / (v2 / 1000) - 1)).toBeLessThan(0.015);
    expect(Math.abs(dice(a, b) - (2 * lens) / (v1 + v2))).toBeLessThan(0.01);
    expect(Math.abs(jaccard(a, b) - lens / (v1 + v2 - lens))).toBeLessThan(0.01);
  });

  it("symmetric Hausdorff matches |r1 − r2| + centre offset within one voxel diagonal", () => {
    const s = surfaceDistances(a, b, DIMS, SPACING);
    const analytic = Math.max(directedSphereHd(r1, r2, D), directedSphereHd(r2, r1, D));
    expect(analytic).toBeCloseTo(r1 - r2 + D, 12);
    expect(Math.abs(s.hausdorffMm - analytic)).toBeLessThan(DIAG);
    expect(s.hd95Mm).toBeLessThanOrEqual(s.hausdorffMm);
    expect(s.hd95Mm).toBeGreaterThan(analytic - DIAG - 1);
    expect(s.averageMm).toBeCloseTo((s.meanAtoBMm + s.meanBtoAMm) / 2, 12);
    // symmetric in A and B
    const t = surfaceDistances(b, a, DIMS, SPACING);
    expect(t.hausdorffMm).toBe(s.hausdorffMm);
    expect(t.hd95Mm).toBe(s.hd95Mm);
    expect(t.averageMm).toBeCloseTo(s.averageMm, 12);
    expect(t.surfaceDiceAt(2)).toBe(s.surfaceDiceAt(2));
  });

  it("concentric spheres: ASSD ≈ |r1 − r2| within one in-plane voxel; surface Dice 1 at |r1 − r2| + a voxel, small at 1 mm", () => {
    const c = [36.3, 35.9, 40.6];
    const ra = 20;
    const rb = 14;
    const s = surfaceDistances(sphere(c, ra), sphere(c, rb), DIMS, SPACING);
    expect(Math.abs(s.averageMm - (ra - rb))).toBeLessThan(SPACING[0]);
    expect(Math.abs(s.hausdorffMm - (ra - rb))).toBeLessThan(DIAG);
    expect(Math.abs(s.hd95Mm - (ra - rb))).toBeLessThan(DIAG);
    expect(s.surfaceDiceAt(ra - rb + DIAG)).toBe(1);
    expect(s.surfaceDiceAt(1)).toBeLessThan(0.1);
    expect(s.surfaceDiceAt(ra - rb)).toBeGreaterThan(s.surfaceDiceAt(1));
    expect(surfaceDice(sphere(c, ra), sphere(c, rb), DIMS, SPACING, ra - rb + DIAG)).toBe(1);
  });

  it("spacing matters: the same voxels at isotropic 0.8 mm give other distances", () => {
    const iso = surfaceDistances(a, b, DIMS, [0.8, 0.8, 0.8]);
    const aniso = surfaceDistances(a, b, DIMS, SPACING);
    expect(Math.abs(iso.hausdorffMm - aniso.hausdorffMm)).toBeGreaterThan(0.5);
  });
});

describe("exact distance transform (Felzenszwalb–Huttenlocher per axis)", () => {
  const cases: { dims: Dims3; sp: Spacing3; density: number }[] = [
    { dims: [7, 9, 6], sp: [0.7, 1.3, 2.9], density: 0.04 },
    { dims: [11, 5, 8], sp: [2.5, 0.8, 0.8], density: 0.1 },
    { dims: [6, 6, 13], sp: [0.6, 0.9, 3.1], density: 0.02 },
    { dims: [1, 12, 9], sp: [1, 0.5, 1.7], density: 0.05 },
  ];
  it("equals brute force on random masks within 1e-6", () => {
    cases.forEach(({ dims, sp, density }, k) => {
      for (let seed = 1; seed <= 3; seed++) {
        const src = randomMask(dims, density, 100 * k + seed);
        const fast = distanceTransformSq(src, dims, sp);
        const slow = bruteEdtSq(src, dims, sp);
        for (let i = 0; i < src.length; i++) {
          if (slow[i] === Infinity) expect(fast[i]).toBe(Infinity);
          else expect(Math.abs(Math.sqrt(fast[i]) - Math.sqrt(slow[i]))).toBeLessThan(1e-6);
        }
      }
    });
  });

  it("surface distances (cropped to the union box) equal brute-force distances between surfaces", () => {
    const dims: Dims3 = [14, 12, 9];
    const sp: Spacing3 = [0.7, 1.1, 2.6];
    for (let seed = 1; seed <= 6; seed++) {
      // one pair away from the volume edges (exercises the crop), one touching them
      const box: [number, number, number, number, number, number] | undefined = seed % 2 ? [2, 9, 3, 10, 1, 6] : undefined;
      const a = randomMask(dims, 0.3, seed, box);
      const b = randomMask(dims, 0.3, 1000 + seed, seed % 2 ? [4, 12, 1, 7, 2, 7] : undefined);
      const s = surfaceDistances(a, b, dims, sp);
      const ab = bruteDirected(a, b, dims, sp);
      const ba = bruteDirected(b, a, dims, sp);
      const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length;
      expect(s.surfaceVoxelsA).toBe(ab.length);
      expect(s.surfaceVoxelsB).toBe(ba.length);
      expect(s.hausdorffMm).toBeCloseTo(Math.max(ab[ab.length - 1], ba[ba.length - 1]), 9);
      expect(s.meanAtoBMm).toBeCloseTo(mean(ab), 9);
      expect(s.meanBtoAMm).toBeCloseTo(mean(ba), 9);
      expect(s.hd95Mm).toBeCloseTo(Math.max(percentile(ab, 95), percentile(ba, 95)), 9);
      for (const tol of [0, 1, 1.5, 3]) {
        const within = ab.filter((d) => d <= tol + 1e-9).length + ba.filter((d) => d <= tol + 1e-9).length;
        expect(s.surfaceDiceAt(tol)).toBeCloseTo(within / (ab.length + ba.length), 12);
      }
    }
  });

  it("surface voxels: a 6-neighbour outside the mask or the volume edge", () => {
    const full = new Uint8Array(27).fill(1);
    const s = surfaceVoxels(full, [3, 3, 3]);
    expect(s.reduce((p, q) => p + q, 0)).toBe(26);
    expect(s[13]).toBe(0);
    const cube = new Uint8Array(125);
    for (let z = 1; z < 4; z++) for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) cube[x + 5 * (y + 5 * z)] = 1;
    const c = surfaceVoxels(cube, [5, 5, 5]);
    expect(c.reduce((p, q) => p + q, 0)).toBe(26);
    expect(c[62]).toBe(0);
  });

  it("identical masks are at distance 0", () => {
    const a = sphere([36, 36, 40], 10);
    const s = surfaceDistances(a, a, DIMS, SPACING);
    expect([s.averageMm, s.hd95Mm, s.hausdorffMm, s.surfaceDiceAt(0)]).toEqual([0, 0, 0, 1]);
  });
});

describe("empty masks", () => {
  const dims: Dims3 = [6, 5, 4];
  const empty = new Uint8Array(120);
  const one = new Uint8Array(120);
  one[37] = 1;
  it("both empty: distances 0, surface Dice 1", () => {
    const s = surfaceDistances(empty, empty, dims, SPACING);
    expect([s.averageMm, s.meanAtoBMm, s.meanBtoAMm, s.hd95Mm, s.hausdorffMm, s.surfaceVoxelsA, s.surfaceVoxelsB]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(s.surfaceDiceAt(0)).toBe(1);
    expect(surfaceDice(empty, empty, dims, SPACING, 1)).toBe(1);
  });
  it("exactly one empty: distances Infinity, surface Dice 0", () => {
    for (const [a, b] of [
      [empty, one],
      [one, empty],
    ]) {
      const s = surfaceDistances(a, b, dims, SPACING);
      expect([s.averageMm, s.meanAtoBMm, s.meanBtoAMm, s.hd95Mm, s.hausdorffMm]).toEqual([Infinity, Infinity, Infinity, Infinity, Infinity]);
      expect(s.surfaceVoxelsA + s.surfaceVoxelsB).toBe(1);
      expect(s.surfaceDiceAt(1000)).toBe(0);
    }
    expect(distanceTransformSq(empty, dims, SPACING).every((d) => d === Infinity)).toBe(true);
  });
  it("non-Uint8Array masks work the same (non-zero = inside)", () => {
    const a = sphere([36, 36, 40], 12);
    const b = sphere([38, 35, 42], 10);
    const s = surfaceDistances(Float32Array.from(a, (v) => v * 2), Array.from(b), DIMS, SPACING);
    expect(s.hd95Mm).toBe(surfaceDistances(a, b, DIMS, SPACING).hd95Mm);
  });
});

describe("input validation", () => {
  const dims: Dims3 = [4, 4, 4];
  const m = new Uint8Array(64);
  it("mismatched lengths and bad dims: DIMS_MISMATCH", () => {
    expectCoded(() => surfaceDistances(m, new Uint8Array(63), dims, SPACING), MetricsError, "DIMS_MISMATCH", { message: /63/ });
    expectCoded(() => surfaceDistances(m, m, [4, 4, 5], SPACING), MetricsError, "DIMS_MISMATCH");
    expectCoded(() => surfaceDistances(m, m, [4, 4.5, 4] as unknown as Dims3, SPACING), MetricsError, "DIMS_MISMATCH");
    expectCoded(() => distanceTransformSq(m, [8, 8, 8], SPACING), MetricsError, "DIMS_MISMATCH");
    expectCoded(() => jaccard(m, new Uint8Array(3)), MetricsError, "DIMS_MISMATCH");
  });
  it("bad spacing: BAD_SPACING", () => {
    for (const sp of [[0.8, 0, 2.5], [0.8, -1, 2.5], [0.8, Number.NaN, 2.5], [1, 1], [1, 1, Infinity]]) {
      expectCoded(() => surfaceDistances(m, m, dims, sp as unknown as Spacing3), MetricsError, "BAD_SPACING");
    }
  });
  it("bad tolerance: BAD_INPUT", () => {
    expectCoded(() => surfaceDice(m, m, dims, SPACING, -1), MetricsError, "BAD_INPUT");
    expectCoded(() => surfaceDistances(m, m, dims, SPACING).surfaceDiceAt(Number.NaN), MetricsError, "BAD_INPUT");
  });
});
