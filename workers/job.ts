// Wraps a task so that its JobRun row and the browser see every stage: RUNNING with
// stage/percent while it works, SUCCEEDED or FAILED (with the message) at the end.
import type { Prisma } from "@prisma/client";
import type { Task } from "graphile-worker";
import type { Db, Env, Realtime, Storage } from "../server/worker-api";

export interface WorkerContext {
  env: Env;
  db: Db;
  realtime: Realtime;
  storage: Storage;
  workerId: string;
}

export interface JobHelpers {
  jobRunId: string;
  caseId: string | null;
  /** stage name and percent 0–100; throttled to ~10 updates a second */
  progress: (stage: string, percent: number) => Promise<void>;
}

/** An error whose message is meant for the user (bad input), not a crash. */
export class UserFacingError extends Error {}

export function defineTask<P extends { jobRunId: string; caseId?: string | null }>(
  ctx: WorkerContext,
  kind: string,
  run: (payload: P, h: JobHelpers) => Promise<Prisma.InputJsonValue | void>,
): Task {
  return async (raw) => {
    const payload = raw as P;
    const caseId = payload.caseId ?? null;
    const projectId = caseId
      ? ((await ctx.db.case.findUnique({ where: { id: caseId }, select: { projectId: true } }))?.projectId ?? null)
      : null;
    const publish = async (row: { id: string; status: string; stage: string; percent: number; error: string | null }) =>
      ctx.realtime.publish({ type: "job", caseId, projectId, job: { ...row, kind } });

    let last = 0;
    const progress = async (stage: string, percent: number) => {
      const now = Date.now();
      if (now - last < 100 && percent < 100) return;
      last = now;
      const row = await ctx.db.jobRun.update({
        where: { id: payload.jobRunId },
        data: { stage, percent: Math.max(0, Math.min(100, percent)) },
      });
      await publish(row);
    };

    const started = await ctx.db.jobRun.update({
      where: { id: payload.jobRunId },
      data: { status: "RUNNING", stage: "starting", startedAt: new Date() },
    });
    await publish(started);
    try {
      const result = await run(payload, { jobRunId: payload.jobRunId, caseId, progress });
      const done = await ctx.db.jobRun.update({
        where: { id: payload.jobRunId },
        data: { status: "SUCCEEDED", stage: "done", percent: 100, finishedAt: new Date(), result: result ?? undefined },
      });
      await publish(done);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const failed = await ctx.db.jobRun.update({
        where: { id: payload.jobRunId },
        data: { status: "FAILED", error: message, finishedAt: new Date() },
      });
      await publish(failed);
      // bad input is a finished job with a reason; anything else is also logged as a crash
      if (!(e instanceof UserFacingError)) console.error(`[worker] ${kind} ${payload.jobRunId} crashed:`, e);
    }
  };
}
