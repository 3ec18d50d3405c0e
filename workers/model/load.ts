// Load a model folder (manifest.json + the ONNX pair) into onnxruntime-node: validate the
// manifest, check every file's sha256, check the graphs against the manifest, pick the device.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { ModelError, checkGraphAgainstManifest, decoderTakesCrops, featureChannels, inputChannels, parseManifest } from "../../lib/model";
import type { EncoderOutput, ModelManifest, ModelRunner } from "../../lib/model";

// Failures reach us as exceptions that we reword; onnxruntime's own stderr copy of them (e.g.
// the missing CUDA provider library) is noise in worker logs.
ort.env.logLevel = "fatal";

export type ModelDevice = "cpu" | "cuda";

export interface LoadedModel extends ModelRunner {
  readonly dir: string;
  readonly device: ModelDevice;
  /** milliseconds spent reading, hashing and creating sessions */
  readonly loadMs: number;
  release(): Promise<void>;
}

export interface LoadOptions {
  device?: ModelDevice;
  /** intra-op threads per session (default: onnxruntime's choice, all cores) */
  threads?: number;
  /**
   * codes per decoder call when many share one slice's features: the graph broadcasts the
   * features to every code, and past a few codes the intermediates fall out of cache (see
   * bench:model), so a batch of N is run as ceil(N / codesPerCall) calls. Default 8.
   */
  codesPerCall?: number;
}

async function readManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, "manifest.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new ModelError("MANIFEST_MISSING", `no manifest.json in ${dir}: point UAIR_MODEL_DIR at a folder exported by models/training (e.g. models/uair-liver-v1).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError("BAD_MANIFEST", `${file} is not JSON: ${(e as Error).message}`);
  }
  return parseManifest(json, file);
}

/** Read a file listed in the manifest and refuse it unless its sha256 matches. */
export async function verifiedFile(dir: string, entry: { path: string; sha256: string }): Promise<Uint8Array> {
  const file = path.resolve(dir, entry.path);
  if (!file.startsWith(path.resolve(dir) + path.sep)) throw new ModelError("BAD_MANIFEST", `manifest file path "${entry.path}" leaves the model folder.`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new ModelError("FILE_MISSING", `${entry.path} is listed in ${dir}/manifest.json but is missing (model weights over 20 MB are not in git: copy the folder from where it was trained).`);
  }
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== entry.sha256) {
    throw new ModelError("SHA256_MISMATCH", `${entry.path} has sha256 ${sha.slice(0, 12)}… but the manifest says ${entry.sha256.slice(0, 12)}…: the file was changed or belongs to another export.`, {
      file: entry.path,
      expected: entry.sha256,
      actual: sha,
    });
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sessionOptions(device: ModelDevice, threads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: device === "cuda" ? ["cuda"] : ["cpu"],
    graphOptimizationLevel: "all",
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  };
}

async function createSession(bytes: Uint8Array, device: ModelDevice, threads?: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(device, threads));
  } catch (e) {
    if (device === "cuda") {
      throw new ModelError(
        "DEVICE_UNAVAILABLE",
        "UAIR_DEVICE=cuda, but onnxruntime-node could not start its CUDA execution provider " +
          `(${(e as Error).message.split("\n")[0]}). The CUDA libraries are not in the npm package: on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9 run ` +
          "`node node_modules/onnxruntime-node/script/install --onnxruntime-node-install=cuda12`, or unset UAIR_DEVICE to run on the CPU.",
      );
    }
    throw new ModelError("BAD_MANIFEST", `onnxruntime could not load the graph: ${(e as Error).message}`);
  }
}

const shapeOf = (m: ort.InferenceSession.ValueMetadata) => ({ name: m.name, shape: m.isTensor ? m.shape : undefined });

export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  const device = opts.device ?? "cpu";
  const manifest = await readManifest(dir);
  const encBytes = await verifiedFile(dir, manifest.files.encoder);
  const decBytes = await verifiedFile(dir, manifest.files.decoder);
  const encoder = await createSession(encBytes, device, opts.threads);
  const decoder = await createSession(decBytes, device, opts.threads);
  try {
    checkGraphAgainstManifest("encoder", manifest.onnx.encoder, { inputs: encoder.inputMetadata.map(shapeOf), outputs: encoder.outputMetadata.map(shapeOf) });
    checkGraphAgainstManifest("decoder", manifest.onnx.decoder, { inputs: decoder.inputMetadata.map(shapeOf), outputs: decoder.outputMetadata.map(shapeOf) });
  } catch (e) {
    await Promise.all([encoder.release(), decoder.release()]);
    throw e;
  }
  const s = manifest.preprocessing.size;
  const ch = inputChannels(manifest.preprocessing);
  const f = featureChannels(manifest);
  const d = manifest.latent_size;
  const classes = manifest.classes.length;
  const chunk = Math.max(1, opts.codesPerCall ?? 8);
  const takesCrops = decoderTakesCrops(manifest);
  const [imageName] = manifest.onnx.encoder.inputs.map((t) => t.name);
  const [featName, muName, lvName] = manifest.onnx.encoder.outputs.map((t) => t.name);
  const [decFeatName, zName] = manifest.onnx.decoder.inputs.map((t) => t.name);
  const [logitsName] = manifest.onnx.decoder.outputs.map((t) => t.name);

  return {
    manifest,
    dir,
    device,
    loadMs: performance.now() - t0,
    async encode(images: Float32Array, n: number): Promise<EncoderOutput> {
      if (images.length !== n * ch * s * s) throw new ModelError("BAD_INPUT", `encoder input: ${images.length} values for ${n}x${ch}x${s}x${s}.`);
      const out = await encoder.run({ [imageName]: new ort.Tensor("float32", images, [n, ch, s, s]) });
      return { features: out[featName].data as Float32Array, mu: out[muName].data as Float32Array, logvar: out[lvName].data as Float32Array };
    },
    async decode(features: Float32Array, nFeatures: number, z: Float32Array, nCodes: number, size: readonly [number, number] = [s, s]): Promise<Float32Array> {
      const [h, w] = size;
      if (features.length !== nFeatures * f * h * w) throw new ModelError("BAD_INPUT", `decoder features: ${features.length} values for ${nFeatures}x${f}x${h}x${w}.`);
      if (z.length !== nCodes * d) throw new ModelError("BAD_INPUT", `decoder z: ${z.length} values for ${nCodes}x${d}.`);
      if ((h !== s || w !== s) && !takesCrops) throw new ModelError("BAD_INPUT", `this model's decoder only takes ${s}x${s} features (its manifest fixes height and width), not ${h}x${w}.`);
      const run = async (zs: Float32Array, n: number) =>
        (
          await decoder.run({
            [decFeatName]: new ort.Tensor("float32", features, [nFeatures, f, h, w]),
            [zName]: new ort.Tensor("float32", zs, [n, d]),
          })
        )[logitsName].data as Float32Array;
      // the intermediates grow with codes x pixels: a smaller crop affords more codes per call
      const perCall = Math.max(chunk, Math.floor((chunk * s * s) / (h * w)));
      if (nFeatures !== 1 || nCodes <= perCall) return run(z, nCodes);
      const per = classes * h * w;
      const out = new Float32Array(nCodes * per);
      for (let c0 = 0; c0 < nCodes; c0 += perCall) {
        const n = Math.min(perCall, nCodes - c0);
        out.set(await run(z.subarray(c0 * d, (c0 + n) * d), n), c0 * per);
      }
      return out;
    },
    async release() {
      await Promise.all([encoder.release(), decoder.release()]);
    },
  };
}
