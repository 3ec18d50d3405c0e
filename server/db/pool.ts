// node-postgres pools that survive the database going away: an idle client's error (e.g. the
// server shutting down first on Ctrl-C) is logged instead of crashing the process.
import pg from "pg";

export function createPool(url: string, max: number, label: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", (e) => console.warn(`[${label}] idle database connection lost: ${e.message}`));
  // a checked-out client's error is reported by the query that hit it; this keeps it from crashing
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}
