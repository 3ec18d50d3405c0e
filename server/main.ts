// Entry point of `npm start`: one HTTP server on one port, embedded PostgreSQL when no
// DATABASE_URL is set, worker processes, graceful shutdown on SIGINT/SIGTERM.
import { ensureNextBuild } from "./next-build";
import { loadEnv } from "./env";
import { startUair } from "./app";

const started = Date.now();
let env;
try {
  env = loadEnv();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
process.env.NEXT_TELEMETRY_DISABLED = "1";
let app;
try {
  if (!env.UAIR_DEV) await ensureNextBuild((m) => console.log(`[uair] ${m}`));
  app = await startUair({ env, withNext: true });
} catch (e) {
  console.error(`[uair] could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
console.log(`[uair] ready in ${((Date.now() - started) / 1000).toFixed(1)} s — ${app.url}`);

let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (++signals > 1) process.exit(1);
    console.log(`[uair] ${sig}: shutting down`);
    app.close().then(
      () => process.exit(0),
      (e) => (console.error(e), process.exit(1)),
    );
  });
}
