import { describe, expect, it } from "vitest";
import { axialThumbnail, drawSegment, labelledSlice, voxelToPixel } from "./thumbnail";
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

describe("labelledSlice", () => {
  const data = new Int16Array(24).fill(50); // level 50: mid grey
  const ras: Volume = { dims: [4, 2, 3], spacing: [2, 1, 1], affine: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data };
  const labels = new Uint8Array(24);
  labels[2 * 8 + 0 * 4 + 0] = 2; // slice 2, the row a 1-pixel-high image samples (j = 0), patient's left (i = 0): image right

  it("blends the label's colour where it is, grey elsewhere, on the chosen slice", () => {
    const img = labelledSlice(ras, labels, 2, { size: 4, colors: { 1: [255, 0, 0], 2: [0, 255, 0] }, alpha: 0.5 });
    expect([img.width, img.height]).toEqual([4, 1]);
    const g = Math.round((50 - (50 - 200)) / 400 * 255);
    // rightmost pixel = i 0
    expect(Array.from(img.data.subarray(3 * 3, 3 * 3 + 3))).toEqual([Math.round(0.5 * g), Math.round(0.5 * g + 127.5), Math.round(0.5 * g)]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([g, g, g]);
    // another slice has no label
    expect(new Set(labelledSlice(ras, labels, 1, { size: 4, colors: { 2: [0, 255, 0] } }).data)).toEqual(new Set([g]));
  });

  it("refuses a label map of another grid or a slice outside the volume", () => {
    expect(() => labelledSlice(ras, new Uint8Array(5), 0, { colors: {} })).toThrow(/5 voxels, the CT 24/);
    expect(() => labelledSlice(ras, labels, 3, { colors: {} })).toThrow(/slice 3 is outside 0..2/);
  });
});

describe("voxelToPixel / drawSegment", () => {
  it("map voxel centres onto the displayed pixels (radiological: x mirrored, y up) and draw between them", () => {
    const dims = [4, 2, 1];
    const img = { width: 8, height: 4, data: new Uint8Array(8 * 4 * 3) };
    // voxel (3, 1) is the image's top-left 2x2 block; its centre lies at (1, 1)
    expect(voxelToPixel(dims, img, 3, 1)).toEqual([1, 1]);
    expect(voxelToPixel(dims, img, 0, 0)).toEqual([7, 3]);
    drawSegment(img, [0.5, 0.5], [7.5, 0.5], [255, 0, 0]);
    for (let c = 0; c < 8; c++) expect(Array.from(img.data.subarray(c * 3, c * 3 + 3))).toEqual([255, 0, 0]);
    expect(img.data[8 * 3]).toBe(0); // second row untouched
  });
});
