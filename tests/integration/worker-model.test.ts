// A worker whose model folder is broken still ingests (that needs no model) and says exactly
// what is wrong with the model on /api/health, instead of failing later inside a job.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startUair, type UairServer } from "../../server/app";
import { freshDatabase } from "../helpers/db";
import { until } from "../helpers/poll";
import { testEnv } from "../helpers/world";

const dir = mkdtempSync(path.join(tmpdir(), "uair-bad-model-"));
let app: UairServer | undefined;
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("health reports a model whose weights do not match their manifest", async () => {
  cpSync("models/uair-liver-v1", dir, { recursive: true, filter: (p) => !p.includes("reference") });
  const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
  manifest.files.encoder.sha256 = "f".repeat(64);
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));

  app = await startUair({ env: testEnv({ DATABASE_URL: await freshDatabase(), PORT: "0", UAIR_WORKERS: "1", UAIR_MODEL_DIR: dir }), log: () => undefined });
  const res = await until(() => fetch(`${app!.url}/api/health`), (r) => r.status === 200, "a worker heartbeat", 30_000);
  const health = await res.json();
  expect(health.model.ok).toBe(false);
  expect(health.model.loaded).toEqual([]);
  expect(health.model.errors).toEqual([expect.stringMatching(/encoder\.onnx has sha256 \w+… but the manifest says ffffffffffff…/)]);
}, 60_000);
