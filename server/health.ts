// Liveness of the database, the queue schema and at least one worker (heartbeat < 15 s old).
import type { Db } from "./db/client";

export const WORKER_STALE_MS = 15_000;

export interface Health {
  ok: boolean;
  database: { ok: boolean; error?: string };
  queue: { ok: boolean; pending?: number; error?: string };
  workers: { ok: boolean; alive: number; error?: string };
  /** the segmentation model as the live workers loaded it (not part of `ok`: ingest works without it) */
  model: { ok: boolean; loaded: string[]; errors: string[] };
}

export async function checkHealth(db: Db): Promise<Health> {
  const database = await db
    .$queryRaw`SELECT 1`
    .then(() => ({ ok: true }))
    .catch((e: Error) => ({ ok: false, error: e.message }));
  const queue = await db
    .$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM graphile_worker.jobs WHERE locked_at IS NULL`
    .then((r) => ({ ok: true, pending: Number(r[0]?.n ?? 0) }))
    .catch((e: Error) => ({ ok: false, error: e.message }));
  // one query for the live workers and the models they loaded
  const beats = await db.workerHeartbeat
    .findMany({ where: { lastSeenAt: { gt: new Date(Date.now() - WORKER_STALE_MS) } }, select: { model: true, modelError: true } })
    .catch((e: Error) => e);
  const alive = Array.isArray(beats) ? beats.length : 0;
  const workers = Array.isArray(beats)
    ? { ok: alive > 0, alive, ...(alive ? {} : { error: "no worker heartbeat in 15 s" }) }
    : { ok: false, alive: 0, error: beats.message };
  const live = Array.isArray(beats) ? beats : [];
  const loaded = [...new Set(live.flatMap((b) => (b.model ? [b.model] : [])))];
  const errors = [...new Set(live.flatMap((b) => (b.modelError ? [b.modelError] : [])))];
  const model = { ok: loaded.length > 0 && errors.length === 0, loaded, errors };
  return { ok: database.ok && queue.ok && workers.ok, database, queue, workers, model };
}
