// Worker processes started next to the server by `npm start`; the same entry point runs alone
// (`npm run worker`) on other machines against the same database.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Env } from "./env";

const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../workers/main.ts");

export function spawnWorkers(count: number, databaseUrl: string, env: Env) {
  const children: ChildProcess[] = [];
  let stopping = false;
  const start = (i: number) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        UAIR_DATA_DIR: env.dataDir,
        UAIR_WORKER_NAME: `local-${i}`,
        UAIR_MODEL_DIR: path.resolve(env.UAIR_MODEL_DIR),
        UAIR_DEVICE: env.UAIR_DEVICE,
        UAIR_MODEL_THREADS: String(env.UAIR_MODEL_THREADS),
        UAIR_CANDIDATE_SAMPLES: String(env.UAIR_CANDIDATE_SAMPLES),
        UAIR_FEATURE_CACHE_MB: String(env.UAIR_FEATURE_CACHE_MB),
      },
      stdio: "inherit",
    });
    children[i] = child;
    // a crashed worker is restarted; jobs it held are released by graphile-worker's lock timeout
    child.on("exit", (code, signal) => {
      if (stopping) return;
      console.error(`[uair] worker ${i} exited (${signal ?? code}); restarting in 1 s`);
      setTimeout(() => !stopping && start(i), 1000).unref();
    });
  };
  for (let i = 0; i < count; i++) start(i);
  return {
    count,
    async stop(timeoutMs = 30_000) {
      stopping = true;
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const kill = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
              c.once("exit", () => (clearTimeout(kill), resolve()));
              c.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}
