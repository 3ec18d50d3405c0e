// The shipped model end to end on real CT in the runtime the workers use: preprocessing in
// TypeScript, onnxruntime-node, codes held fixed across slices, output mapped back to the CT grid.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dice } from "../../lib/metrics/overlap";
import { labelsToVolume, prepareVolume, seededNormals, segmentVolume } from "../../lib/model";
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
