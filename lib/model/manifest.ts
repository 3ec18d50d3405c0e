// The model manifest (`manifest.json`, format uair-model/1) written by models/training/export.py:
// what the ONNX pair expects, how to preprocess for it, and the sha256 of every file.
import { z } from "zod";
import { ModelError } from "./errors";

export const MODEL_FORMAT = "uair-model/1";
export const PREPROCESS_VERSION = "uair-preprocess/1";

const dim = z.union([z.number().int().positive(), z.string().min(1)]);
const tensorSpec = z.object({ name: z.string().min(1), shape: z.array(dim).min(1), dtype: z.literal("float32") }).loose();
const fileEntry = z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() }).loose();
const arrayRef = fileEntry.extend({ shape: z.array(z.number().int().nonnegative()), dtype: z.string() });

export const preprocessingSchema = z.object({
  version: z.literal(PREPROCESS_VERSION),
  size: z.number().int().min(16).max(1024),
  spacing_mm: z.number().positive(),
  window: z.tuple([z.number(), z.number()]).refine(([lo, hi]) => hi > lo, "window must be [lo, hi] with hi > lo"),
  slab_offsets_mm: z.array(z.number()).min(1),
  body_threshold_hu: z.number(),
  fill_hu: z.number(),
  clicks: z.boolean(),
  click_radius_px: z.number().positive(),
  channels: z.array(z.string()),
});

export const manifestSchema = z
  .object({
    format: z.string(),
    name: z.string().min(1),
    version: z.string().min(1),
    classes: z.array(z.string()).min(2),
    latent_size: z.number().int().positive(),
    preprocessing: preprocessingSchema,
    onnx: z.object({
      opset: z.number().int().max(17),
      encoder: z.object({ file: z.string(), inputs: z.array(tensorSpec).length(1), outputs: z.array(tensorSpec).length(3) }),
      decoder: z.object({ file: z.string(), inputs: z.array(tensorSpec).length(2), outputs: z.array(tensorSpec).length(1) }),
    }),
    calibration: z.object({ temperature: z.number().positive() }).loose(),
    files: z.object({ encoder: fileEntry, decoder: fileEntry }).catchall(fileEntry),
    reference: z
      .object({
        atol: z.number().positive(),
        preprocessing_atol: z.number().positive().optional(),
        encoder: z.object({ inputs: z.record(z.string(), arrayRef), outputs: z.record(z.string(), arrayRef) }),
        decoder: z.object({ inputs: z.record(z.string(), arrayRef), outputs: z.record(z.string(), arrayRef) }),
        preprocessing: z
          .array(arrayRef.extend({ source: z.string(), slice: z.number().int().nonnegative() }).loose())
          .optional(),
      })
      .loose()
      .optional(),
    training: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), z.unknown()).optional(),
    intended_use: z.string().optional(),
  })
  .loose();

export type ModelManifest = z.infer<typeof manifestSchema>;
export type PreprocessSpec = z.infer<typeof preprocessingSchema>;
export type TensorSpec = z.infer<typeof tensorSpec>;

/** Parse and cross-check a manifest; every inconsistency is a ModelError naming the field. */
export function parseManifest(json: unknown, where = "manifest.json"): ModelManifest {
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === "string" && format !== MODEL_FORMAT) {
    throw new ModelError("UNSUPPORTED_FORMAT", `${where} has format "${format}"; this UAIR build reads "${MODEL_FORMAT}" (re-export the model with models/training/export.py).`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelError("BAD_MANIFEST", `${where} is not a valid model manifest: ${issue.path.join(".") || "(root)"}: ${issue.message}.`, {
      issues: parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  const m = parsed.data;
  if (m.format !== MODEL_FORMAT) {
    throw new ModelError("UNSUPPORTED_FORMAT", `${where} has no "format": "${MODEL_FORMAT}".`);
  }
  for (const [field, declared, expected] of declaredShapeChecks(m)) {
    if (!shapesAgree(declared, expected)) {
      throw new ModelError(
        "SHAPE_MISMATCH",
        `${where}: ${field} is declared as [${declared.join(", ")}] but the preprocessing and latent size imply [${expected.join(", ")}].`,
        { field, declared, expected },
      );
    }
  }
  return m;
}

/** Number of encoder input channels: the 2.5-D CT channels plus two click maps when enabled. */
export function inputChannels(p: PreprocessSpec): number {
  return p.slab_offsets_mm.length + (p.clicks ? 2 : 0);
}

export function featureChannels(m: ModelManifest): number {
  const f = m.onnx.encoder.outputs[0].shape[1];
  if (typeof f !== "number") throw new ModelError("BAD_MANIFEST", "manifest: the encoder's features output needs a fixed channel count.");
  return f;
}

/**
 * Whether the decoder takes any height and width (named dimensions in the manifest): a pointwise
 * head decodes a crop of the features to the same crop of the logits, so a worker can decode
 * only the pixels around the liver. Older exports fix them at the model size.
 */
export function decoderTakesCrops(m: ModelManifest): boolean {
  const shape = m.onnx.decoder.inputs[0].shape;
  return typeof shape[2] === "string" && typeof shape[3] === "string";
}

type Shape = (number | string)[];

function declaredShapeChecks(m: ModelManifest): [string, Shape, Shape][] {
  const p = m.preprocessing;
  const s = p.size;
  const d = m.latent_size;
  const k = m.classes.length;
  const f = m.onnx.encoder.outputs[0].shape[1];
  const [image] = m.onnx.encoder.inputs;
  const [features, mu, logvar] = m.onnx.encoder.outputs;
  const [dFeatures, dz] = m.onnx.decoder.inputs;
  const [logits] = m.onnx.decoder.outputs;
  return [
    ["onnx.encoder.inputs.image", image.shape, ["*", inputChannels(p), s, s]],
    ["preprocessing.channels", [p.channels.length], [inputChannels(p)]],
    ["onnx.encoder.outputs.features", features.shape, ["*", f, s, s]],
    ["onnx.encoder.outputs.prior_mu", mu.shape, ["*", d]],
    ["onnx.encoder.outputs.prior_logvar", logvar.shape, ["*", d]],
    ["onnx.decoder.inputs.features", dFeatures.shape, ["*", f, s, s]],
    ["onnx.decoder.inputs.z", dz.shape, ["*", d]],
    ["onnx.decoder.outputs.logits", logits.shape, ["*", k, s, s]],
  ];
}

/** "*" and named (dynamic) dimensions match anything; numbers must be equal. */
export function shapesAgree(actual: readonly (number | string)[], expected: readonly (number | string)[]): boolean {
  if (actual.length !== expected.length) return false;
  return actual.every((a, i) => {
    const e = expected[i];
    return typeof a !== "number" || typeof e !== "number" || a === e;
  });
}

/**
 * Compare what the manifest declares with what an ONNX graph reports (names, then shapes), so
 * a manifest that does not describe its graphs is refused before anything runs.
 */
export function checkGraphAgainstManifest(
  graph: "encoder" | "decoder",
  declared: { inputs: TensorSpec[]; outputs: TensorSpec[] },
  actual: { inputs: { name: string; shape?: readonly (number | string)[] }[]; outputs: { name: string; shape?: readonly (number | string)[] }[] },
): void {
  for (const side of ["inputs", "outputs"] as const) {
    const want = declared[side];
    const got = actual[side];
    const wantNames = want.map((t) => t.name).join(", ");
    const gotNames = got.map((t) => t.name).join(", ");
    if (wantNames !== gotNames) {
      throw new ModelError("SHAPE_MISMATCH", `${graph}.onnx has ${side} [${gotNames}] but the manifest declares [${wantNames}].`, { graph, side, declared: wantNames, actual: gotNames });
    }
    want.forEach((t, i) => {
      const shape = got[i].shape;
      if (shape && !shapesAgree(shape, t.shape)) {
        throw new ModelError(
          "SHAPE_MISMATCH",
          `${graph}.onnx ${side.slice(0, -1)} "${t.name}" has shape [${shape.join(", ")}] but the manifest declares [${t.shape.join(", ")}].`,
          { graph, tensor: t.name, declared: t.shape, actual: [...shape] },
        );
      }
    });
  }
}
