import { describe, expect, it } from "vitest";
import { axialThumbnail } from "./thumbnail";
import type { Volume } from "./types";

describe("axialThumbnail", () => {
  // 4 x 2 x 3 RAS volume, 2 mm x 1 mm pixels: physically 8 mm wide, 2 mm tall
  const data = new Int16Array(24);
  const ras: Volume = { dims: [4, 2, 3], spacing: [2, 1, 1], affine: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data };
  // middle slice k = 1: mark the patient's rightmost (i = 3), posterior (j = 0) voxel bright
  data[1 * 8 + 0 * 4 + 3] = 1000;

  it("keeps the physical aspect and puts the patient's right on the left, anterior up", () => {
    const t = axialThumbnail(ras, { size: 8 });
    expect([t.width, t.height]).toEqual([8, 2]);
    // bright voxel: image left (patient right) on the bottom row (posterior)
    expect(t.data[1 * 8 + 0]).toBe(255);
    expect(t.data[1 * 8 + 1]).toBe(255);
    expect(t.data[0]).toBe(Math.round(((0 - (50 - 200)) / 400) * 255));
  });
});
