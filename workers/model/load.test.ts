// Conformance: onnxruntime-node reproduces the reference outputs exported with each model, and a
// model folder whose manifest does not describe its files is refused with a clear error.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decoderTakesCrops, isModelError, type ModelErrorCode } from "../../lib/model";
import { manifestOf, modelDirs, npy } from "../../lib/model/test-support/models";
import { loadModel } from "./load";

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(modelDirs().map((d) => [path.basename(d), d]))("model %s in onnxruntime-node", (_name, dir) => {
  const m = manifestOf(dir);
  const ref = m.reference!;

  it("encoder reproduces the reference features and prior within the manifest tolerance", async () => {
    const model = await loadModel(dir, { threads: 1 });
    try {
      const image = npy(dir, ref.encoder.inputs.image.path);
      const out = await model.encode(image.data as Float32Array, image.shape[0]);
      expect(ref.atol).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(out.features, npy(dir, ref.encoder.outputs.features.path).data)).toBeLessThanOrEqual(ref.atol);
      expect(maxAbsDiff(out.mu, npy(dir, ref.encoder.outputs.prior_mu.path).data)).toBeLessThanOrEqual(ref.atol);
      expect(maxAbsDiff(out.logvar, npy(dir, ref.encoder.outputs.prior_logvar.path).data)).toBeLessThanOrEqual(ref.atol);
    } finally {
      await model.release();
    }
  });

  it("decoder reproduces the reference logits for a batch of codes", async () => {
    const model = await loadModel(dir, { threads: 1 });
    try {
      const f = npy(dir, ref.decoder.inputs.features.path);
      const z = npy(dir, ref.decoder.inputs.z.path);
      const logits = await model.decode(f.data as Float32Array, f.shape[0], z.data as Float32Array, z.shape[0]);
      const want = npy(dir, ref.decoder.outputs.logits.path);
      expect(want.shape).toEqual([z.shape[0], m.classes.length, m.preprocessing.size, m.preprocessing.size]);
      expect(maxAbsDiff(logits, want.data)).toBeLessThanOrEqual(ref.atol);
      // the codes give different logits: the reference exercises z
      expect(maxAbsDiff(logits.subarray(0, logits.length / 3), logits.subarray(logits.length / 3, (2 * logits.length) / 3))).toBeGreaterThan(1e-3);
    } finally {
      await model.release();
    }
    // the same codes decoded two per call give the same logits
    const chunked = await loadModel(dir, { threads: 1, codesPerCall: 2 });
    try {
      const f = npy(dir, ref.decoder.inputs.features.path);
      const z = npy(dir, ref.decoder.inputs.z.path);
      const logits = await chunked.decode(f.data as Float32Array, 1, z.data as Float32Array, z.shape[0]);
      expect(maxAbsDiff(logits, npy(dir, ref.decoder.outputs.logits.path).data)).toBeLessThanOrEqual(ref.atol);
    } finally {
      await chunked.release();
    }
  });

  it("decoder on a crop of the features gives that crop of the logits (pointwise head)", async () => {
    expect(decoderTakesCrops(m)).toBe(true);
    const model = await loadModel(dir, { threads: 1, codesPerCall: 1 });
    try {
      const s = m.preprocessing.size;
      const fch = m.onnx.encoder.outputs[0].shape[1] as number;
      const f = npy(dir, ref.decoder.inputs.features.path).data as Float32Array;
      const z = npy(dir, ref.decoder.inputs.z.path);
      const full = await model.decode(f, 1, z.data as Float32Array, z.shape[0]);
      const [x0, y0, w, h] = [5, 9, 31, 17];
      const crop = new Float32Array(fch * h * w);
      for (let c = 0; c < fch; c++) for (let r = 0; r < h; r++) crop.set(f.subarray(c * s * s + (y0 + r) * s + x0, c * s * s + (y0 + r) * s + x0 + w), (c * h + r) * w);
      const logits = await model.decode(crop, 1, z.data as Float32Array, z.shape[0], [h, w]);
      expect(logits.length).toBe(z.shape[0] * m.classes.length * h * w);
      let worst = 0;
      for (let p = 0; p < z.shape[0] * m.classes.length; p++)
        for (let r = 0; r < h; r++)
          for (let x = 0; x < w; x++) worst = Math.max(worst, Math.abs(logits[p * h * w + r * w + x] - full[p * s * s + (y0 + r) * s + x0 + x]));
      expect(worst).toBeLessThanOrEqual(1e-5);
    } finally {
      await model.release();
    }
  });
});

describe("a broken model folder is refused", () => {
  const [source] = modelDirs();
  const tmp = mkdtempSync(path.join(tmpdir(), "uair-model-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function variant(name: string, edit: (manifest: Record<string, any>, dir: string) => void): string {
    const dir = path.join(tmp, name);
    cpSync(source, dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}reference`) && !p.endsWith(".pt") });
    const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
    edit(manifest, dir);
    writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
    return dir;
  }

  async function refused(dir: string, code: ModelErrorCode, pattern: RegExp, opts = {}) {
    const err = await loadModel(dir, opts).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isModelError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
    expect((err as Error).message).toMatch(pattern);
  }

  it("a wrong sha256", async () => {
    const dir = variant("sha", (m) => {
      m.files.decoder.sha256 = "0".repeat(64);
    });
    await refused(dir, "SHA256_MISMATCH", /decoder\.onnx has sha256 .* but the manifest says 000000000000/);
  });

  it("a changed weights file", async () => {
    const dir = variant("weights", (_m, d) => {
      const p = path.join(d, "encoder.onnx");
      const bytes = readFileSync(p);
      bytes[bytes.length - 10] ^= 0xff;
      writeFileSync(p, bytes);
    });
    await refused(dir, "SHA256_MISMATCH", /encoder\.onnx has sha256/);
  });

  it("a declared input shape that disagrees with the preprocessing", async () => {
    const dir = variant("shape", (m) => {
      m.onnx.encoder.inputs[0].shape = ["batch", 4, 96, 96];
    });
    await refused(dir, "SHAPE_MISMATCH", /onnx\.encoder\.inputs\.image is declared as \[batch, 4, 96, 96\]/);
  });

  it("a manifest consistent with itself but not with the graph", async () => {
    const dir = variant("graph", (m) => {
      const s = m.preprocessing.size * 2;
      m.preprocessing.size = s;
      for (const g of ["encoder", "decoder"]) {
        for (const t of [...m.onnx[g].inputs, ...m.onnx[g].outputs]) if (t.shape.length === 4) t.shape = [t.shape[0], t.shape[1], s, s];
      }
    });
    await refused(dir, "SHAPE_MISMATCH", /encoder\.onnx input "image" has shape \[batch, \d+, \d+, \d+\] but the manifest declares/);
  });

  it("a missing weights file, an unknown format and a missing manifest", async () => {
    await refused(variant("missing", (_m, d) => rmSync(path.join(d, "decoder.onnx"))), "FILE_MISSING", /decoder\.onnx is listed .* but is missing/);
    await refused(variant("format", (m) => (m.format = "uair-model/9")), "UNSUPPORTED_FORMAT", /uair-model\/9/);
    await refused(variant("bad", (m) => delete m.latent_size), "BAD_MANIFEST", /latent_size/);
    await refused(tmp, "MANIFEST_MISSING", /no manifest\.json/);
  });

  it("a decoder declared at a fixed size (an older export) loads but refuses a crop", async () => {
    const dir = variant("fixed", (m) => {
      const s = m.preprocessing.size;
      for (const t of [m.onnx.decoder.inputs[0], m.onnx.decoder.outputs[0]]) t.shape = [t.shape[0], t.shape[1], s, s];
    });
    const model = await loadModel(dir, { threads: 1 });
    try {
      expect(decoderTakesCrops(model.manifest)).toBe(false);
      const f = model.manifest.onnx.encoder.outputs[0].shape[1] as number;
      const err = await model.decode(new Float32Array(f * 8 * 8), 1, new Float32Array(model.manifest.latent_size), 1, [8, 8]).catch((e: unknown) => e);
      expect(isModelError(err, "BAD_INPUT")).toBe(true);
      expect((err as Error).message).toMatch(/only takes \d+x\d+ features .* not 8x8/);
    } finally {
      await model.release();
    }
  });

  it("CUDA asked for where onnxruntime has no CUDA provider", async () => {
    // the npm package ships CPU binaries only (its CUDA download is denied in package.json)
    await refused(source, "DEVICE_UNAVAILABLE", /UAIR_DEVICE=cuda.*--onnxruntime-node-install=cuda12.*unset UAIR_DEVICE/s, { device: "cuda" });
  });
});
