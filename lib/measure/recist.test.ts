import { describe, expect, it } from "vitest";
import { expectCoded } from "../test-support/expect-code";
import { MeasureError } from "./errors";
import { measureLabels } from "./measure";
import { sliceDiameters } from "./recist";

type V3 = [number, number, number];
const identityAffine = (s: V3) => [s[0], 0, 0, 0, 0, s[1], 0, 0, 0, 0, s[2], 0, 0, 0, 0, 1];

/** An ellipsoid lesion (label 2) in a liver block (label 1): semi-axes a, b (in-plane, rotated by deg) and c (z), mm. */
function ellipsoidCase(dims: V3, spacing: V3, centre: V3, semi: V3, deg: number) {
  const [nx, ny, nz] = dims;
  const labels = new Uint8Array(nx * ny * nz).fill(1);
  const hu = new Int16Array(labels.length).fill(60);
  const t = (deg * Math.PI) / 180;
  const [c, s] = [Math.cos(t), Math.sin(t)];
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const dx = (x - centre[0]) * spacing[0];
        const dy = (y - centre[1]) * spacing[1];
        const dz = (z - centre[2]) * spacing[2];
        const p = dx * c + dy * s;
        const q = -dx * s + dy * c;
        if ((p / semi[0]) ** 2 + (q / semi[1]) ** 2 + (dz / semi[2]) ** 2 <= 1) {
          labels[x + nx * (y + ny * z)] = 2;
          hu[x + nx * (y + ny * z)] = 30;
        }
      }
  return { labels, hu, dims, spacing, affine: identityAffine(spacing) };
}

const lenMm = (a: number[], b: number[], sp: readonly number[]) => Math.hypot((a[0] - b[0]) * sp[0], (a[1] - b[1]) * sp[1], (a[2] - b[2]) * sp[2]);
const angleDeg = (a: number[], b: number[], sp: readonly number[]) => {
  let d = (Math.atan2((b[1] - a[1]) * sp[1], (b[0] - a[0]) * sp[0]) * 180) / Math.PI;
  while (d < 0) d += 180;
  while (d >= 180) d -= 180;
  return d;
};

describe("RECIST diameters of a synthetic ellipsoid", () => {
  for (const { spacing, deg, dims, centre } of [
    { spacing: [0.7, 0.7, 2.5] as V3, deg: 30, dims: [64, 60, 9] as V3, centre: [31.3, 29.6, 4] as V3 },
    // anisotropic in-plane pixels: a rotation that ignored them would be measured off by ~40%
    { spacing: [0.5, 0.9, 2.5] as V3, deg: 60, dims: [80, 45, 9] as V3, centre: [39.6, 22.3, 4] as V3 },
  ]) {
    it(`semi-axes 15, 9, 6 mm rotated ${deg}° on a ${spacing.join("x")} mm grid: 30 mm by 18 mm on the central slice`, () => {
      const m = measureLabels(ellipsoidCase(dims, spacing, centre, [15, 9, 6], deg));
      expect(m.lesionCount).toBe(1);
      const l = m.lesions[0];
      const tol = Math.hypot(spacing[0], spacing[1]); // one in-plane voxel diagonal
      expect(l.slice).toBe(4);
      expect(Math.abs(l.longAxisMm - 30)).toBeLessThanOrEqual(tol);
      expect(Math.abs(l.shortAxisMm - 18)).toBeLessThanOrEqual(tol);
      // the lines drawn on the key slice: on that slice, as long as reported, along the axes
      for (const ax of [l.longAxis, l.shortAxis]) {
        expect(ax.from[2]).toBe(4);
        expect(ax.to[2]).toBe(4);
      }
      expect(lenMm(l.longAxis.from, l.longAxis.to, spacing)).toBeCloseTo(l.longAxisMm, 9);
      expect(lenMm(l.shortAxis.from, l.shortAxis.to, spacing)).toBeCloseTo(l.shortAxisMm, 9);
      expect(Math.abs(angleDeg(l.longAxis.from, l.longAxis.to, spacing) - deg)).toBeLessThan(4);
      const u = [(l.longAxis.to[0] - l.longAxis.from[0]) * spacing[0], (l.longAxis.to[1] - l.longAxis.from[1]) * spacing[1]];
      const v = [(l.shortAxis.to[0] - l.shortAxis.from[0]) * spacing[0], (l.shortAxis.to[1] - l.shortAxis.from[1]) * spacing[1]];
      expect(Math.abs(u[0] * v[0] + u[1] * v[1]) / (Math.hypot(u[0], u[1]) * Math.hypot(v[0], v[1]))).toBeLessThan(1e-9);
      // the short axis crosses the long axis in the flat middle of the ellipse (where digitisation
      // noise of a pixel exceeds the chord's shortening), not towards its ends
      const mid = [(l.shortAxis.from[0] + l.shortAxis.to[0]) / 2, (l.shortAxis.from[1] + l.shortAxis.to[1]) / 2, 4];
      expect(lenMm(mid, centre, spacing)).toBeLessThan(4);
      expect(m.targets).toEqual([0]);
    });
  }

  it("an off-centre slice of the same ellipsoid measures smaller, so the central slice is chosen", () => {
    const spacing: V3 = [0.7, 0.7, 2.5];
    // centre between slices 4 and 5: both are cut at 1.25 mm, equal up to the digitisation
    const m = measureLabels(ellipsoidCase([64, 60, 10], spacing, [31.3, 29.6, 4.5], [15, 9, 6], 30));
    const l = m.lesions[0];
    expect([4, 5]).toContain(l.slice);
    const expected = 30 * Math.sqrt(1 - (1.25 / 6) ** 2);
    expect(Math.abs(l.longAxisMm - expected)).toBeLessThanOrEqual(Math.hypot(0.7, 0.7));
  });
});

/** All boundary points (edge midpoints between lesion and non-lesion pixels), in mm. */
function boundaryMm(mask: Uint8Array, w: number, h: number, sx: number, sy: number): [number, number][] {
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && mask[x + w * y] !== 0;
  const out: [number, number][] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!at(x, y)) continue;
      if (!at(x - 1, y)) out.push([(x - 0.5) * sx, y * sy]);
      if (!at(x + 1, y)) out.push([(x + 0.5) * sx, y * sy]);
      if (!at(x, y - 1)) out.push([x * sx, (y - 0.5) * sy]);
      if (!at(x, y + 1)) out.push([x * sx, (y + 0.5) * sy]);
    }
  return out;
}

function randomBlob(w: number, h: number, seed: number): Uint8Array {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const mask = new Uint8Array(w * h);
  const discs = 1 + Math.floor(rnd() * 5);
  for (let k = 0; k < discs; k++) {
    const cx = rnd() * w;
    const cy = rnd() * h;
    const r = 0.5 + rnd() * 6;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) mask[x + w * y] = 1;
  }
  // sprinkle single pixels: several pieces, holes, notches
  for (let k = 0; k < 6; k++) mask[Math.floor(rnd() * w * h)] ^= 1;
  return mask;
}

describe("sliceDiameters", () => {
  it("the long axis equals the brute-force farthest pair of boundary points; the short axis is perpendicular and no longer", () => {
    let checked = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const [w, h] = [5 + (seed % 17), 4 + ((seed * 7) % 19)];
      const sp: [number, number] = seed % 3 === 0 ? [0.7, 0.7] : seed % 3 === 1 ? [0.5, 1.1] : [1.3, 0.6];
      const mask = randomBlob(w, h, seed);
      const pts = boundaryMm(mask, w, h, sp[0], sp[1]);
      const d = sliceDiameters(mask, w, h, sp);
      if (pts.length === 0) {
        expect(d).toBeNull();
        continue;
      }
      let brute = 0;
      for (let i = 0; i < pts.length; i++)
        for (let j = i + 1; j < pts.length; j++) brute = Math.max(brute, Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]));
      expect(d).not.toBeNull();
      expect(d!.long.mm).toBeCloseTo(brute, 9);
      expect(d!.pixels).toBe(mask.reduce((a, b) => a + b, 0));
      const L = d!.long;
      const S = d!.short;
      expect(Math.hypot((L.to[0] - L.from[0]) * sp[0], (L.to[1] - L.from[1]) * sp[1])).toBeCloseTo(L.mm, 9);
      expect(Math.hypot((S.to[0] - S.from[0]) * sp[0], (S.to[1] - S.from[1]) * sp[1])).toBeCloseTo(S.mm, 9);
      expect(S.mm).toBeLessThanOrEqual(L.mm + 1e-9);
      expect(S.mm).toBeGreaterThan(0);
      const dot = (L.to[0] - L.from[0]) * sp[0] * (S.to[0] - S.from[0]) * sp[0] + (L.to[1] - L.from[1]) * sp[1] * (S.to[1] - S.from[1]) * sp[1];
      expect(Math.abs(dot)).toBeLessThan(1e-9 * (L.mm * S.mm + 1));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("a single pixel measures its larger side by its smaller; a row of pixels its length by one pixel", () => {
    const one = new Uint8Array(9);
    one[4] = 1;
    const d = sliceDiameters(one, 3, 3, [0.7, 0.9])!;
    expect(d.long.mm).toBeCloseTo(0.9, 12);
    expect(d.short.mm).toBeCloseTo(0.7, 12);
    const row = new Uint8Array(7 * 3);
    for (let x = 1; x <= 5; x++) row[x + 7] = 1;
    const r = sliceDiameters(row, 7, 3, [0.8, 0.8])!;
    expect(r.long.mm).toBeCloseTo(4.0, 12);
    expect(r.short.mm).toBeCloseTo(0.8, 12);
    expect([r.long.from, r.long.to].map((p) => p[0]).sort((a, b) => a - b)).toEqual([0.5, 5.5]);
  });

  it("the short axis spans a notch: a U measures across its arms' outer edges", () => {
    // a U in a 9 x 9 square of 1 mm pixels (arms 2 wide, base 2 high): the long axis runs corner
    // to corner, the perpendicular crosses the hole and spans the whole U, not one arm
    const w = 11;
    const mask = new Uint8Array(w * w);
    for (let y = 1; y <= 9; y++) for (let x = 1; x <= 9; x++) if (y >= 8 || x <= 2 || x >= 8) mask[x + w * y] = 1;
    const d = sliceDiameters(mask, w, w, [1, 1])!;
    expect(d.long.mm).toBeCloseTo(Math.hypot(9, 8), 9);
    expect(d.short.mm).toBeGreaterThan(11);
  });

  it("empty masks give null; bad sizes are coded errors", () => {
    expect(sliceDiameters(new Uint8Array(12), 4, 3, [1, 1])).toBeNull();
    expectCoded(() => sliceDiameters(new Uint8Array(12), 5, 3, [1, 1]), MeasureError, "DIMS_MISMATCH", { message: /12 pixels/ });
    expectCoded(() => sliceDiameters(new Uint8Array(12), 4, 3, [1, 0]), MeasureError, "BAD_SPACING");
    expectCoded(() => sliceDiameters(new Uint8Array(0), 0, 3, [1, 1]), MeasureError, "BAD_DIMS");
  });
});
