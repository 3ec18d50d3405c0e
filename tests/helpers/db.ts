// Test databases cloned from the migrated template (see global-setup.ts).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export async function withAdminClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(inject("templateUrl"));
  url.pathname = "/postgres";
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database: a clone of the migrated template, or empty when `empty` is set. */
export async function freshDatabase(opts: { empty?: boolean } = {}): Promise<string> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE ${name}${opts.empty ? "" : " TEMPLATE uair_template"}`));
  const url = new URL(inject("templateUrl"));
  url.pathname = `/${name}`;
  return url.toString();
}
