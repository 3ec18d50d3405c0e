// Driver adapter for the Prisma CLI's JavaScript schema engine (Prisma 6.19 + adapter-pg).
// Two upstream snags are handled here (platform-notes.md):
//  - result columns of type "char" (OID 18) and "name" (OID 19) are rejected by adapter-pg
//    ("Column type 'name' could not be deserialized", prisma/orm#27403): report them as text;
//  - the shadow database is derived from discrete connection fields, so we never pass a
//    connection string (which would make the shadow database the real one).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";

const TEXT_OID = 25;
const NAME_LIKE_OIDS = new Set([18, 19]);

type Queryish = { query: (...args: unknown[]) => unknown };

function asText(result: unknown): unknown {
  const r = result as { fields?: { dataTypeID: number }[] } | undefined;
  for (const f of r?.fields ?? []) if (NAME_LIKE_OIDS.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
  return result;
}

const PATCHED = Symbol("uair.nameAsText");

function patchQuery<T extends Queryish>(target: T): T {
  const marked = target as T & { [PATCHED]?: true };
  if (marked[PATCHED]) return target;
  marked[PATCHED] = true;
  const original = target.query.bind(target);
  target.query = (...args: unknown[]) => {
    const out = original(...args);
    return out instanceof Promise ? out.then(asText) : out;
  };
  return target;
}

export function connectionFields(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")),
    // idle pooled sockets would hold the CLI open for the pool's 10 s idle timeout
    allowExitOnIdle: true,
  };
}

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;

function patchAdapter(adapter: PgAdapter): PgAdapter {
  const pool = adapter.underlyingDriver() as pg.Pool & Queryish;
  patchQuery(pool);
  // pg-pool calls connect() itself with a callback (inside pool.query): keep both forms
  type Cb = (err: Error | undefined, client?: pg.PoolClient, done?: unknown) => void;
  const connect = pool.connect.bind(pool) as (cb?: Cb) => Promise<pg.PoolClient> | undefined;
  (pool as unknown as { connect: (cb?: Cb) => unknown }).connect = (cb?: Cb) => {
    if (cb) return connect((err, client, done) => cb(err, client && patchQuery(client as pg.PoolClient & Queryish), done));
    return connect()!.then((client) => patchQuery(client as pg.PoolClient & Queryish));
  };
  return adapter;
}

export function migrationAdapterFactory(url: string): PrismaPg {
  const fields = connectionFields(url);
  const factory = new PrismaPg(fields);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => patchAdapter(await connect());
  // upstream drops the shadow database before closing its pool ("being accessed by other
  // users"): close first, then drop WITH (FORCE)
  factory.connectToShadowDb = async () => {
    const main = await factory.connect();
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const shadow = patchAdapter(await new PrismaPg({ ...fields, database: name }).connect());
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await main.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await main.dispose();
    };
    return shadow;
  };
  return factory;
}
