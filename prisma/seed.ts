// `npm run db:seed`: seeds the demo data into DATABASE_URL (no-op when already seeded).
import { createDb } from "../server/db/client";
import { loadEnv } from "../server/env";
import { createQueue } from "../server/queue/producer";
import { storageFromEnv } from "../server/storage";
import { seedDemo } from "./seed-demo";

const env = loadEnv();
if (!env.DATABASE_URL) throw new Error("DATABASE_URL is required for db:seed");
const db = createDb(env.DATABASE_URL);
const queue = await createQueue(env.DATABASE_URL, db);
const seeded = await seedDemo(db, { storage: await storageFromEnv(env), queue });
console.log(seeded ? "seeded demo data" : "database already has data; nothing seeded");
await queue.close();
await db.$disconnect();
