// Worker process: consumes the PostgreSQL-backed queue (graphile-worker), reports progress,
// beats a heartbeat for /api/health. Run next to the server by `npm start`, or alone with
// `npm run worker` (DATABASE_URL and UAIR_DATA_DIR pointing at the same database and storage).
import os from "node:os";
import { run } from "graphile-worker";
import { createDb, createPool, createPublisher, loadEnv, storageFromEnv } from "../server/worker-api";
import { describeModel, workerModel } from "./model/registry";
import { taskList } from "./tasks";
import type { WorkerContext } from "./job";

const env = loadEnv();
if (!env.DATABASE_URL) {
  console.error("DATABASE_URL is required to run a worker (the server prints it, or use your PostgreSQL).");
  process.exit(2);
}
const workerId = `${os.hostname()}:${process.pid}:${process.env.UAIR_WORKER_NAME ?? "worker"}`;
const db = createDb(env.DATABASE_URL, 4);
const pool = createPool(env.DATABASE_URL, 2, "worker-notify");
const queuePool = createPool(env.DATABASE_URL, env.UAIR_WORKER_CONCURRENCY + 2, "worker-queue");
const ctx: WorkerContext = { env, db, realtime: createPublisher(pool), storage: await storageFromEnv(env), workerId };

// the model loads in under a second; jobs that need it await the same promise
const modelStatus = await workerModel(env).then(
  (m) => ({ model: describeModel(m), modelError: null }),
  (e: Error) => ({ model: null, modelError: e.message }),
);
if (modelStatus.modelError) console.error(`[worker] segmentation model unavailable: ${modelStatus.modelError}`);
else console.log(`[worker] model ${modelStatus.model} from ${env.UAIR_MODEL_DIR}`);

const beat = () =>
  db.workerHeartbeat.upsert({
    where: { id: workerId },
    create: { id: workerId, hostname: os.hostname(), pid: process.pid, ...modelStatus },
    update: { lastSeenAt: new Date() },
  });
await beat();
const heartbeat = setInterval(() => void beat().catch((e) => console.error("[worker] heartbeat failed:", e.message)), 5000);

const runner = await run({
  pgPool: queuePool,
  concurrency: env.UAIR_WORKER_CONCURRENCY,
  noHandleSignals: true,
  pollInterval: 2000,
  parsedCronItems: [], // no scheduled jobs (and no "crontab file not found" line)
  taskList: taskList(ctx),
});
console.log(`[worker] ${workerId} ready (concurrency ${env.UAIR_WORKER_CONCURRENCY})`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(heartbeat);
  await runner.stop(); // waits for running jobs to finish
  await db.workerHeartbeat.delete({ where: { id: workerId } }).catch(() => undefined);
  await pool.end();
  await queuePool.end();
  await db.$disconnect();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
await runner.promise;
