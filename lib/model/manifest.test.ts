import { describe, expect, it } from "vitest";
import { isModelError } from "./errors";
import { checkGraphAgainstManifest, parseManifest } from "./manifest";
import { readNpy } from "./npy";
import { manifestOf, modelDirs, npy } from "./test-support/models";

const [dir] = modelDirs();
const good = () => JSON.parse(JSON.stringify(manifestOf(dir)));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isModelError(e) ? e.code : `not a ModelError: ${String(e)}`;
  }
  return undefined;
}

describe("model manifest", () => {
  it("accepts every exported manifest in the repo", () => {
    for (const d of modelDirs()) expect(manifestOf(d).format).toBe("uair-model/1");
  });

  it("refuses inconsistent declarations with the field named", () => {
    const m = good();
    m.onnx.decoder.outputs[0].shape[1] = 2;
    expect(() => parseManifest(m)).toThrow(/onnx\.decoder\.outputs\.logits is declared as \[codes, 2,/);
    const z = good();
    z.latent_size = 9;
    expect(codeOf(() => parseManifest(z))).toBe("SHAPE_MISMATCH");
    const ch = good();
    ch.preprocessing.clicks = !ch.preprocessing.clicks;
    expect(codeOf(() => parseManifest(ch))).toBe("SHAPE_MISMATCH");
    const w = good();
    w.preprocessing.window = [100, -100];
    expect(codeOf(() => parseManifest(w))).toBe("BAD_MANIFEST");
    const opset = good();
    opset.onnx.opset = 18;
    expect(codeOf(() => parseManifest(opset))).toBe("BAD_MANIFEST");
    expect(codeOf(() => parseManifest(null))).toBe("BAD_MANIFEST");
  });

  it("compares graph names and fixed dimensions, letting named dimensions vary", () => {
    const m = parseManifest(good());
    const io = (t: { name: string; shape: (string | number)[] }) => ({ name: t.name, shape: t.shape });
    const enc = { inputs: m.onnx.encoder.inputs.map(io), outputs: m.onnx.encoder.outputs.map(io) };
    expect(() => checkGraphAgainstManifest("encoder", m.onnx.encoder, enc)).not.toThrow();
    const renamed = { ...enc, outputs: enc.outputs.map((t, i) => (i === 1 ? { ...t, name: "mu" } : t)) };
    expect(() => checkGraphAgainstManifest("encoder", m.onnx.encoder, renamed)).toThrow(/outputs \[features, mu, prior_logvar\]/);
    const dynamic = { ...enc, inputs: [{ name: "image", shape: ["n", "c", "h", "w"] }] };
    expect(() => checkGraphAgainstManifest("encoder", m.onnx.encoder, dynamic)).not.toThrow();
  });
});

describe(".npy reader", () => {
  it("reads the exported reference tensors", () => {
    const m = manifestOf(dir);
    const a = npy(dir, m.reference!.decoder.inputs.z.path);
    expect(a.dtype).toBe("<f4");
    expect(a.shape).toEqual(m.reference!.decoder.inputs.z.shape);
    expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
  });

  it("refuses what it cannot read", () => {
    expect(codeOf(() => readNpy(new Uint8Array(16)))).toBe("BAD_NPY");
    const header = "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }";
    const bytes = new Uint8Array([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, header.length, 0, ...new TextEncoder().encode(header)]);
    expect(() => readNpy(bytes)).toThrow(/dtype <c8/);
  });
});
