// One loaded model per worker process, loaded at start-up so a broken model folder or a missing
// GPU is reported at once (log + heartbeat + /api/health), not at the first job that needs it.
import path from "node:path";
import type { Env } from "../../server/env";
import { loadModel, type LoadedModel } from "./load";

let loading: Promise<LoadedModel> | undefined;

export function workerModel(env: Pick<Env, "UAIR_MODEL_DIR" | "UAIR_DEVICE" | "UAIR_MODEL_THREADS">): Promise<LoadedModel> {
  loading ??= loadModel(path.resolve(env.UAIR_MODEL_DIR), { device: env.UAIR_DEVICE, threads: env.UAIR_MODEL_THREADS || undefined });
  return loading;
}

export function describeModel(m: LoadedModel): string {
  return `${m.manifest.name} ${m.manifest.version} (${m.device})`;
}
