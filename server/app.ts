// Assembles the product on one port: Next.js pages, the tRPC API, socket.io, worker processes.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepareDatabase } from "./db/bootstrap";
import { createDb } from "./db/client";
import { createPool } from "./db/pool";
import type { Env } from "./env";
import { createApiHandler } from "./http-routes";
import { createQueue } from "./queue/producer";
import { createPublisher, subscribe } from "./realtime/bus";
import { attachSocketServer } from "./realtime/io";
import type { CollabRooms } from "./collab/rooms";
import { seedDemo } from "../prisma/seed-demo";
import { storageFromEnv } from "./storage";
import type { Services } from "./trpc/trpc";
import { spawnWorkers } from "./worker-processes";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface UairServer {
  url: string;
  port: number;
  databaseUrl: string;
  services: Services;
  collab: CollabRooms;
  close: () => Promise<void>;
}

export async function startUair(opts: {
  env: Env;
  withNext?: boolean;
  log?: (m: string) => void;
}): Promise<UairServer> {
  const { env } = opts;
  const log = opts.log ?? ((m: string) => console.log(`[uair] ${m}`));
  const database = await prepareDatabase(env, log);
  const db = createDb(database.url);
  const notifyPool = createPool(database.url, 2, "notify");
  const services: Services = {
    db,
    env,
    storage: await storageFromEnv(env),
    queue: await createQueue(database.url, db),
    realtime: createPublisher(notifyPool),
  };
  if (env.UAIR_SEED && (await seedDemo(db, services))) log("demo data seeded (accounts in README.md)");

  const server = http.createServer();
  let nextHandler: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | null = null;
  let closeNext = async () => undefined as unknown;
  if (opts.withNext) {
    const { default: next } = await import("next");
    const app = next({ dev: env.UAIR_DEV, dir: ROOT, hostname: "localhost", port: env.PORT, httpServer: server });
    await app.prepare();
    nextHandler = app.getRequestHandler();
    closeNext = () => app.close();
  }
  const api = createApiHandler(services);
  // the request handler goes on before socket.io, which wraps the listeners present at attach
  server.on("request", (req, res) => {
    void (async () => {
      if (await api(req, res)) return;
      if (nextHandler) return nextHandler(req, res);
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
    })().catch((e) => {
      console.error("[uair] request failed:", e);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("Internal error");
    });
  });
  const sockets = attachSocketServer(server, services);
  const unsubscribe = await subscribe(database.url, sockets.relay);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const port = (server.address() as import("node:net").AddressInfo).port;
  const workers = spawnWorkers(env.UAIR_WORKERS, database.url, env);
  log(`listening on http://localhost:${port} (${workers.count} worker process${workers.count === 1 ? "" : "es"})`);

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // stop accepting, close live sockets, drain workers, then release the database
      const httpClosed = new Promise<void>((r) => server.close(() => r()));
      await sockets.io.close().catch(() => undefined);
      await sockets.collab.close().catch(() => undefined);
      server.closeAllConnections();
      await httpClosed;
      await workers.stop();
      await closeNext().catch(() => undefined);
      await unsubscribe();
      await services.queue.close().catch(() => undefined);
      await notifyPool.end().catch(() => undefined);
      await db.$disconnect();
      await database.stop();
    })());

  return { url: `http://localhost:${port}`, port, databaseUrl: database.url, services, collab: sockets.collab, close };
}
