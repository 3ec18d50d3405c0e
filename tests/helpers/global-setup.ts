// One embedded PostgreSQL for the whole test run, with a migrated template database that
// every test file clones (CREATE DATABASE … TEMPLATE), so files are isolated and fast.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../server/db/embedded";
import { runMigrations } from "../../server/db/migrate";
import { migrateQueue } from "../../server/queue/producer";

export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uair-test-"));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: dir, database: "uair_template", port: 0 });
  await runMigrations(pg.url);
  await migrateQueue(pg.url);
  project.provide("templateUrl", pg.url);
  return async () => {
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    templateUrl: string;
  }
}
