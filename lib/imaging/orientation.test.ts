import { describe, expect, it } from "vitest";
import { sameVoxels } from "./test-support/compare";
import { applyAffine } from "./affine";
import { readNifti } from "./nifti-read";
import { orientationCode, reorient, reorientFromRAS, reorientToRAS } from "./orientation";
import { fixtureBytes } from "./test-support/fixtures";
import { ImagingError, type Volume } from "./types";

function valueAtWorld(v: Volume, world: number[], inv: (p: number[]) => number[]): number {
  const [i, j, k] = inv(world).map(Math.round);
  return v.data[i + v.dims[0] * (j + v.dims[1] * k)];
}

describe("orientationCode", () => {
  it("names each fixture's stored orientation", () => {
    expect(orientationCode(readNifti(fixtureBytes("patient-a/ct-crop.nii.gz")).affine)).toBe("RAS");
    expect(orientationCode(readNifti(fixtureBytes("patient-b/totalseg-v2.nii.gz")).affine)).toBe("LAS");
    expect(orientationCode(readNifti(fixtureBytes("no-liver/lesion-mask.nii.gz")).affine)).toBe("PLI");
  });

  it("handles a slightly oblique grid by its dominant axes", () => {
    const c = Math.cos(0.1);
    const s = Math.sin(0.1);
    expect(orientationCode([-c, s, 0, 0, s, c, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1])).toBe("LAI");
  });
});

describe("reorient", () => {
  it("turns no-liver (PLI) into RAS and back voxel-identically", () => {
    const v = readNifti(fixtureBytes("no-liver/ct.nii.gz"));
    expect(orientationCode(v.affine)).toBe("PLI");
    const ras = reorientToRAS(v);
    expect(orientationCode(ras.affine)).toBe("RAS");
    expect(ras.dims).toEqual([512, 512, 13]);
    // RAS: a positive diagonal and nothing off it
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) expect(Math.sign(ras.affine[r * 4 + c])).toBe(r === c ? 1 : 0);
    const back = reorientFromRAS(ras, "PLI");
    expect(back.dims).toEqual(v.dims);
    expect(back.affine).toEqual(v.affine);
    expect(sameVoxels(back.data, v.data)).toBe(true);
  });

  it("keeps every voxel at the same world position", () => {
    const v = readNifti(fixtureBytes("patient-b/totalseg-v2.nii.gz"));
    const ras = reorientToRAS(v);
    expect(ras.affine[3]).toBeCloseTo(249.51171875 - 511 * 0.9765625, 6);
    // the corner voxel (0,0,0) of the LAS grid is the voxel (511,0,0) of the RAS grid
    const w = applyAffine(v.affine, [0, 0, 0]);
    expect(applyAffine(ras.affine, [511, 0, 0])).toEqual(w);
    for (const [i, j, k] of [[100, 200, 3], [300, 250, 10], [0, 511, 19]]) {
      const a = v.data[i + 512 * (j + 512 * k)];
      expect(ras.data[511 - i + 512 * (j + 512 * k)]).toBe(a);
    }
  });

  it("round-trips all 48 orientation codes on a small volume, preserving world lookups", () => {
    const dims: [number, number, number] = [5, 4, 3];
    const v: Volume<Int16Array> = {
      dims,
      spacing: [1, 2, 3],
      affine: [1, 0, 0, -2, 0, 2, 0, 5, 0, 0, 3, 7, 0, 0, 0, 1],
      data: Int16Array.from({ length: 60 }, (_, i) => i * 7 - 100),
    };
    const letters = [["R", "L"], ["A", "P"], ["S", "I"]];
    const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    let n = 0;
    for (const perm of perms) {
      for (let flips = 0; flips < 8; flips++) {
        const code = perm.map((a, t) => letters[a][(flips >> t) & 1]).join("");
        const r = reorient(v, code);
        expect(orientationCode(r.affine)).toBe(code);
        expect(r.spacing).toEqual(perm.map((a) => v.spacing[a]));
        // the voxel at world point p has the same value in both grids
        const p = applyAffine(v.affine, [3, 1, 2]);
        const inv = (aff: number[]) => (w: number[]) => {
          // axis-aligned: solve each world axis independently
          const out = [0, 0, 0];
          for (let c = 0; c < 3; c++) for (let row = 0; row < 3; row++) if (aff[row * 4 + c] !== 0) out[c] = (w[row] - aff[row * 4 + 3]) / aff[row * 4 + c];
          return out;
        };
        expect(valueAtWorld(r, p, inv(r.affine))).toBe(valueAtWorld(v, p, inv(v.affine)));
        const back = reorient(r, "RAS");
        expect(back.affine).toEqual(v.affine);
        expect(back.data).toEqual(v.data);
        n++;
      }
    }
    expect(n).toBe(48);
  });

  it("rejects a malformed orientation code", () => {
    const v = readNifti(fixtureBytes("patient-a/ct-crop.nii.gz"));
    expect(() => reorient(v, "RRS")).toThrow(ImagingError);
    expect(() => reorient(v, "XYZ")).toThrow(/orientation code/);
  });
});
