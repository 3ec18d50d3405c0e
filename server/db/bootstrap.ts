// Finds the database (DATABASE_URL, or an embedded PostgreSQL in the data directory),
// brings its schema up to date (Prisma migrations + graphile-worker) and seeds once.
import type { Env } from "../env";
import { migrateQueue } from "../queue/producer";
import { startEmbeddedPostgres } from "./embedded";
import { runMigrations } from "./migrate";

export interface Database {
  url: string;
  embedded: boolean;
  stop: () => Promise<void>;
}

export async function prepareDatabase(env: Env, log: (m: string) => void): Promise<Database> {
  let db: Database;
  if (env.DATABASE_URL) {
    db = { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };
  } else {
    const t = Date.now();
    const pg = await startEmbeddedPostgres({
      dataDir: env.dataDir,
      database: "uair",
      port: env.UAIR_EMBEDDED_PG_PORT,
      log: (line) => console.error(`[postgres] ${line}`),
    });
    log(`embedded PostgreSQL ready in ${Date.now() - t} ms (${env.dataDir}/pg)`);
    db = { url: pg.url, embedded: true, stop: pg.stop };
  }
  const t = Date.now();
  await runMigrations(db.url);
  await migrateQueue(db.url);
  log(`migrations applied in ${Date.now() - t} ms`);
  return db;
}
