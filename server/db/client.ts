// Prisma client over node-postgres (driver adapter, no query-engine binary).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { createPool } from "./pool";

export type Db = PrismaClient;

export function createDb(url: string, max = 10): Db {
  return new PrismaClient({ adapter: new PrismaPg(createPool(url, max, "db"), { disposeExternalPool: true }) });
}
