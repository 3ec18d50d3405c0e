import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runMigrations } from "../../server/db/migrate";
import { freshDatabase } from "../helpers/db";

describe("migrations", () => {
  it("build the whole schema on an empty database, and a second run changes nothing", async () => {
    const url = await freshDatabase({ empty: true });
    await runMigrations(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.tablename);
      for (const t of ["Institution", "User", "Membership", "Session", "Project", "Case", "Volume", "ReviewRound", "Candidate", "Vote", "Annotation", "AnnotationVersion", "PreferenceObservation", "PreferenceProfile", "AuditEvent", "CollabDocument", "JobRun", "WorkerHeartbeat"]) {
        expect(tables).toContain(t);
      }
      const folders = fs.readdirSync(path.resolve("prisma/migrations")).filter((f) => /^\d+_/.test(f));
      const applied = await c.query("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL");
      expect(applied.rowCount).toBe(folders.length);
      await runMigrations(url);
      expect((await c.query("SELECT count(*)::int AS n FROM _prisma_migrations")).rows[0].n).toBe(folders.length);
      // one vote per reader per round is the database's rule, not only the server's
      const idx = await c.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'Vote'");
      expect(idx.rows.map((r) => r.indexdef).join("\n")).toMatch(/UNIQUE INDEX .*\("roundId", "userId"\)/);
    } finally {
      await c.end();
    }
  }, 90_000);

  it("leave no drift between the migrations and prisma/schema.prisma", async () => {
    // replays the migrations on a shadow database (created through the adapter) and compares
    const url = await freshDatabase({ empty: true });
    const r = spawnSync(process.execPath, ["scripts/prisma.mjs", "migrate", "diff", "--from-migrations", "prisma/migrations", "--to-schema-datamodel", "prisma/schema.prisma", "--script", "--exit-code"], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: "utf8",
    });
    // exit code 0: no difference; 2: a difference, printed as the SQL a new migration would need
    expect(r.stdout.replace(/^--.*$/gm, "").trim(), r.stderr).toBe("");
    expect(r.status, r.stderr).toBe(0);
  }, 90_000);
});
