// Runs the Prisma CLI offline-safe: preloads unref-timers.cjs (the CLI otherwise idles after it
// is done) and gives `generate` a placeholder DATABASE_URL. Without any URL the CLI cannot read
// the schema's datasource and falls back to downloading a query engine, which fails offline.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
env.DATABASE_URL ||= "postgresql://uair@127.0.0.1:5432/uair";
const r = spawnSync(process.execPath, ["-r", path.join(here, "unref-timers.cjs"), cli, ...process.argv.slice(2)], {
  stdio: "inherit",
  env,
});
process.exit(r.status ?? 1);
