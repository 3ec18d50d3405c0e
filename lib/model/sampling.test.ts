import { describe, expect, it } from "vitest";
import { argmaxLabels, codesFor, seededNormals, softmaxProbabilities } from "./sampling";

describe("latent codes", () => {
  it("seeded normals are reproducible, distinct per seed and standard normal", () => {
    const a = seededNormals(7, 20000);
    expect(Array.from(seededNormals(7, 8))).toEqual(Array.from(a.subarray(0, 8)));
    expect(Array.from(seededNormals(8, 8))).not.toEqual(Array.from(a.subarray(0, 8)));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it("z = mu + exp(logvar / 2) * eps, row by row", () => {
    const z = codesFor(new Float32Array([1, -1]), new Float32Array([0, Math.log(4)]), new Float32Array([0, 0, 1, 1, -2, 0.5]));
    [1, -1, 2, 1, -1, 0].forEach((v, i) => expect(z[i]).toBeCloseTo(v, 6));
    expect(() => codesFor(new Float32Array(2), new Float32Array(2), new Float32Array(3))).toThrow(/multiple of 2/);
  });
});

describe("logits", () => {
  // 2 codes x 3 classes x 2 pixels
  const logits = new Float32Array([0, 5, 3, 0, 2, 9, /* code 2 */ 3, 0, 1, 1, 0, 2]);

  it("argmax per pixel and code", () => {
    expect(Array.from(argmaxLabels(logits, 2, 3, 2))).toEqual([1, 2, 0, 2]);
    expect(() => argmaxLabels(logits, 3, 3, 2)).toThrow(/12 values/);
  });

  it("temperature flattens the softmax without changing the argmax", () => {
    const p1 = softmaxProbabilities(logits, 2, 3, 2, 1);
    const p3 = softmaxProbabilities(logits, 2, 3, 2, 3);
    expect(p1[0] + p1[2] + p1[4]).toBeCloseTo(1, 6);
    expect(p1[2]).toBeGreaterThan(p3[2]); // the winning class at pixel 0 of code 1 is less certain at T=3
    expect(Array.from(argmaxLabels(p3, 2, 3, 2))).toEqual([1, 2, 0, 2]);
    expect(() => softmaxProbabilities(logits, 2, 3, 2, 0)).toThrow(/temperature/);
  });
});
