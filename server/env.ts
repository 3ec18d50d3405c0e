// Configuration from environment variables, validated once at start with clear messages.
import path from "node:path";
import { z } from "zod";

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  // 0 picks any free port (tests)
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  UAIR_DATA_DIR: z.string().min(1).default("./.uair"),
  UAIR_EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(54329),
  UAIR_WORKERS: z.coerce.number().int().min(0).max(16).default(1),
  UAIR_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  UAIR_SEED: bool.default(true),
  UAIR_SESSION_DAYS: z.coerce.number().positive().max(365).default(14),
  UAIR_COOKIE_SECURE: bool.default(false),
  UAIR_DEV: bool.default(false),
  UAIR_MAX_UPLOAD_MB: z.coerce.number().int().positive().max(65536).default(2048),
  UAIR_DEVICE: z.enum(["cpu", "cuda"]).default("cpu"),
  /** the exported segmentation model the workers load (manifest.json + ONNX pair) */
  UAIR_MODEL_DIR: z.string().min(1).default("models/uair-liver-v1"),
  /** onnxruntime intra-op threads per worker (0: onnxruntime's default, every core) */
  UAIR_MODEL_THREADS: z.coerce.number().int().min(0).max(64).default(0),
  /** codes decoded per review round (method: 24-48; fewer on slow CPUs) */
  UAIR_CANDIDATE_SAMPLES: z.coerce.number().int().min(4).max(96).default(24),
  /** encoder features a worker keeps for cases under review */
  UAIR_FEATURE_CACHE_MB: z.coerce.number().int().min(0).max(65536).default(768),
  UAIR_STORAGE: z.enum(["local", "s3"]).default("local"),
  UAIR_S3_ENDPOINT: z.url().optional(),
  UAIR_S3_BUCKET: z.string().min(1).optional(),
  UAIR_S3_REGION: z.string().min(1).default("us-east-1"),
  UAIR_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  UAIR_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  UAIR_S3_PREFIX: z.string().default(""),
});

export type Env = z.infer<typeof envSchema> & { dataDir: string };

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // empty strings count as unset, as in most shells' `VAR= cmd`
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema
    .superRefine((e, ctx) => {
      if (e.UAIR_STORAGE !== "s3") return;
      for (const k of ["UAIR_S3_ENDPOINT", "UAIR_S3_BUCKET", "UAIR_S3_ACCESS_KEY_ID", "UAIR_S3_SECRET_ACCESS_KEY"] as const) {
        if (!e[k]) ctx.addIssue({ code: "custom", path: [k], message: "required when UAIR_STORAGE=s3" });
      }
    })
    .safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}\nSee the configuration table in README.md.`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.UAIR_DATA_DIR) };
}
