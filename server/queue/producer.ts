// Job producer: a JobRun row (what the UI shows) plus a graphile-worker job (what runs it).
import { makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import type { Db } from "../db/client";
import { createPool } from "../db/pool";

export interface Queue {
  enqueue(kind: string, payload: Record<string, unknown>, opts?: { caseId?: string | null }): Promise<{ jobRunId: string }>;
  close(): Promise<void>;
}

export async function createQueue(url: string, db: Db): Promise<Queue> {
  const pgPool = createPool(url, 2, "queue");
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool });
  return {
    async enqueue(kind, payload, opts = {}) {
      const run = await db.jobRun.create({ data: { kind, caseId: opts.caseId ?? null } });
      await utils.addJob(kind, { ...payload, jobRunId: run.id }, { maxAttempts: 1 });
      return { jobRunId: run.id };
    },
    close: async () => {
      await utils.release();
      await pgPool.end();
    },
  };
}

/** Installs or upgrades graphile-worker's own schema. */
export async function migrateQueue(url: string): Promise<void> {
  const utils = await makeWorkerUtils({ connectionString: url });
  try {
    await utils.migrate();
  } finally {
    await utils.release();
  }
}
