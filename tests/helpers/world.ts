// Two institutions with members, projects and cases: the fixture for auth and tenancy tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Role } from "@prisma/client";
import pg from "pg";
import { hashPassword } from "../../server/auth/password";
import { createSession } from "../../server/auth/session";
import { createDb, type Db } from "../../server/db/client";
import { loadEnv } from "../../server/env";
import { createQueue } from "../../server/queue/producer";
import { createPublisher } from "../../server/realtime/bus";
import { storageFromEnv } from "../../server/storage";
import { createCaller } from "../../server/trpc/root";
import type { Services } from "../../server/trpc/trpc";
import { resolveSession } from "../../server/auth/session";

export const PASSWORD = "correct horse battery staple";

export function testEnv(extra: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "uair-data-"));
  return loadEnv({ NODE_ENV: "test", UAIR_DATA_DIR: dataDir, PORT: "3000", UAIR_SEED: "false", ...extra });
}

export async function makeServices(url: string): Promise<Services & { close: () => Promise<void> }> {
  const db = createDb(url, 5);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const env = testEnv({ DATABASE_URL: url });
  const queue = await createQueue(url, db);
  return {
    db,
    env,
    queue,
    realtime: createPublisher(pool),
    storage: await storageFromEnv(env),
    close: async () => {
      await queue.close();
      await pool.end();
      await db.$disconnect();
    },
  };
}

async function member(db: Db, institutionId: string, email: string, role: Role, passwordHash: string) {
  const user = await db.user.create({ data: { email, name: email.split("@")[0], passwordHash } });
  await db.membership.create({ data: { userId: user.id, institutionId, role } });
  return user;
}

export async function makeWorld(db: Db) {
  const hash = await hashPassword(PASSWORD);
  const a = await db.institution.create({ data: { name: "Hospital A", slug: "a" } });
  const b = await db.institution.create({ data: { name: "Hospital B", slug: "b" } });
  const adminA = await member(db, a.id, "admin@a.test", "ADMIN", hash);
  const readerA = await member(db, a.id, "reader@a.test", "READER", hash);
  const readerB = await member(db, b.id, "reader@b.test", "READER", hash);
  const projectA = await db.project.create({ data: { institutionId: a.id, name: "A liver", structures: ["liver"] } });
  const projectB = await db.project.create({ data: { institutionId: b.id, name: "B liver", structures: ["liver"] } });
  const caseA = await db.case.create({ data: { projectId: projectA.id, label: "A-001", status: "READY" } });
  const caseB = await db.case.create({ data: { projectId: projectB.id, label: "B-001", status: "READY" } });
  return { a, b, adminA, readerA, readerB, projectA, projectB, caseA, caseB };
}

/** A tRPC caller acting as `userId` through a real server-side session. */
export async function callerAs(services: Services, userId: string | null) {
  let token: string | null = null;
  if (userId) token = (await createSession(services.db, userId, { days: 1 })).token;
  const cookies: string[] = [];
  const caller = createCaller({
    ...services,
    user: await resolveSession(services.db, token),
    setCookie: (c) => cookies.push(c),
    ip: "127.0.0.1",
    userAgent: "vitest",
  });
  return { caller, token, cookies };
}
