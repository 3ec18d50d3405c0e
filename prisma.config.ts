// Prisma CLI configuration: the JavaScript schema engine through the pg adapter, so that
// migrate runs with no engine binary download (see ../shared/docs/platform-notes.md).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { migrationAdapterFactory } from "./server/db/migration-adapter";

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => migrationAdapterFactory(process.env.DATABASE_URL ?? "postgres://localhost/uair"),
});
