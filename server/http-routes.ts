// Plain HTTP routes the custom server answers before Next: tRPC and the health check.
import type http from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { userFromCookie } from "./auth/session";
import { createFileRoutes } from "./files";
import { createUploadRoute } from "./upload";
import { createAnnotationEditRoute } from "./annotation-edit";
import { createReportRoute } from "./report";
import { checkHealth } from "./health";
import { appRouter } from "./trpc/root";
import type { Context, Services } from "./trpc/trpc";

export function createApiHandler(services: Services) {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: async ({ req, res }): Promise<Context> => ({
      ...services,
      user: await userFromCookie(services.db, req.headers.cookie),
      setCookie: (cookie) => res.appendHeader("Set-Cookie", cookie),
      ip: req.socket.remoteAddress ?? null,
      userAgent: req.headers["user-agent"] ?? null,
    }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[trpc] ${path}:`, error);
    },
  });

  const files = createFileRoutes(services);
  const upload = createUploadRoute(services);
  const edit = createAnnotationEditRoute(services);
  const report = createReportRoute(services);

  /** Returns true when the request was handled here. */
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = req.url ?? "/";
    if (url.startsWith("/api/trpc/")) {
      await trpc(req, res);
      return true;
    }
    if (url === "/api/health" || url.startsWith("/api/health?")) {
      const health = await checkHealth(services.db);
      res.writeHead(health.ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(health));
      return true;
    }
    return (await upload(req, res)) || (await edit(req, res)) || (await report(req, res)) || files(req, res);
  };
}
