// The shipped model end to end on real CT in the runtime the workers use: preprocessing in
// TypeScript, onnxruntime-node, codes held fixed across slices, output mapped back to the CT grid.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dice } from "../../lib/metrics/overlap";
import { decodeSlices, emptyEncoding, encodeSlices, labelsToVolume, prepareVolume, seededNormals, segmentVolume } from "../../lib/model";
import { SHIPPED_MODEL } from "../../lib/model/test-support/models";
import { loadFixture } from "../../scripts/ct-fixtures";
import { loadModel, type LoadedModel } from "./load";

let model: LoadedModel;
beforeAll(async () => {
  model = await loadModel(SHIPPED_MODEL, { threads: 1 });
});
afterAll(() => model?.release());

const organ = (l: Uint8Array) => l.map((v) => (v > 0 ? 1 : 0));

describe("the shipped model on real CT", () => {
  it("finds patient A's liver (in its training data) and gives the same candidates for the same codes", async () => {
    const fx = await loadFixture("patient-a");
    const spec = model.manifest.preprocessing;
    const prep = prepareVolume(fx.ct, spec);
    const eps = seededNormals(11, 3 * model.manifest.latent_size);
    const progress: number[] = [];
    const a = await segmentVolume(model, prep, { eps, priorMean: true, onProgress: (done) => progress.push(done) });
    expect(progress.at(-1)).toBe(prep.nz);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    const mean = labelsToVolume(a.mean!, prep, spec);
    expect(mean.length).toBe(fx.ct.data.length);
    expect(dice(organ(mean), fx.liver)).toBeGreaterThan(0.85);
    expect(a.samples).toHaveLength(3);
    expect(a.samples.every((s) => s.every((v) => v <= 2))).toBe(true);

    const b = await segmentVolume(model, prep, { eps: eps.subarray(0, model.manifest.latent_size), priorMean: false });
    expect(Buffer.from(b.samples[0]).equals(Buffer.from(a.samples[0]))).toBe(true);
    expect(a.timings.slices).toBe(prep.nz);
    expect(a.timings.encodeMs).toBeGreaterThan(0);
  }, 120_000);

  it("decodes only a box when asked: box-shaped maps with the same labels as the whole plane there", async () => {
    const fx = await loadFixture("patient-a");
    const spec = model.manifest.preprocessing;
    const prep = prepareVolume(fx.ct, spec);
    // the two slices with the most reference liver
    const perSlice = Array.from({ length: prep.nz }, (_, k) => fx.liver.subarray((k * fx.liver.length) / prep.nz, ((k + 1) * fx.liver.length) / prep.nz).reduce((n, v) => n + v, 0));
    const top = Math.min(prep.nz - 2, perSlice.indexOf(Math.max(...perSlice)));
    const slices = [top, top + 1];
    const enc = emptyEncoding(model.manifest, prep.nz);
    await encodeSlices(model, prep, enc, slices);
    const eps = seededNormals(3, 4 * model.manifest.latent_size);
    const size = spec.size;
    const plane = size * size;
    const full = Array.from({ length: 5 }, () => new Uint8Array(prep.nz * plane));
    await decodeSlices(model, enc, eps, slices, full, { priorMean: true });
    // a box over part of the prior mean's liver on the first slice, one slice of margin below
    let [x0, y0, x1, y1] = [size, size, -1, -1];
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        if (full[4][top * plane + y * size + x] > 0) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    expect(x1).toBeGreaterThan(x0);
    const box = { x0, y0, z0: top - 1, w: Math.max(1, Math.floor((x1 - x0) / 2)), h: y1 - y0 + 1, d: 3 };
    const cropped = Array.from({ length: 5 }, () => new Uint8Array(box.w * box.h * box.d).fill(9));
    await decodeSlices(model, enc, eps, slices, cropped, { priorMean: true, box });
    let liver = 0;
    for (let c = 0; c < 5; c++)
      for (let z = 0; z < box.d; z++)
        for (let y = 0; y < box.h; y++)
          for (let x = 0; x < box.w; x++) {
            const got = cropped[c][(z * box.h + y) * box.w + x];
            // slice top - 1 was not asked for: left as it was
            const want = z === 0 ? 9 : full[c][(box.z0 + z) * plane + (box.y0 + y) * size + box.x0 + x];
            expect(got).toBe(want);
            liver += z > 0 && got > 0 ? 1 : 0;
          }
    expect(liver).toBeGreaterThan(100); // the box holds liver: the comparison is not of empty maps
    await expect(decodeSlices(model, enc, eps, slices, cropped, { priorMean: true, box: { ...box, x0: size - 10, w: 20 } })).rejects.toThrow(/not inside the/);
    await expect(decodeSlices(model, enc, eps, [top - 5], cropped, { priorMean: true, box })).rejects.toThrow(/outside the box's slices/);
  }, 60_000);

  it("finds almost no liver in the CT without one", async () => {
    const fx = await loadFixture("no-liver");
    const prep = prepareVolume(fx.ct, model.manifest.preprocessing);
    const r = await segmentVolume(model, prep, { priorMean: true });
    const body = prep.hu.reduce((n, v) => n + (v > -500 ? 1 : 0), 0);
    const liver = r.mean!.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    expect(liver / body).toBeLessThan(0.005);
  }, 60_000);

  it("stops when its job is cancelled", async () => {
    const fx = await loadFixture("no-liver");
    const prep = prepareVolume(fx.ct, model.manifest.preprocessing);
    const ctl = new AbortController();
    const run = segmentVolume(model, prep, { priorMean: true, encodeBatch: 1, signal: ctl.signal, onProgress: (done) => done === 2 && ctl.abort(new Error("cancelled by reader")) });
    await expect(run).rejects.toThrow("cancelled by reader");
  });
});
