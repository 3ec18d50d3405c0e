// A real tRPC client over HTTP with a cookie jar, and a socket.io client carrying that cookie.
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { io, type Socket } from "socket.io-client";
import superjson from "superjson";
import type { AppRouter } from "../../server/trpc/root";

export function httpClient(baseUrl: string) {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const client = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        fetch: async (url, init) => {
          const res = await fetch(url, { ...(init as RequestInit), headers: { ...(init?.headers as Record<string, string>), cookie: cookie() } });
          for (const c of res.headers.getSetCookie()) {
            const [kv] = c.split(";");
            const [k, v] = kv!.split("=");
            if (/Max-Age=0/.test(c)) jar.delete(k!);
            else jar.set(k!, v!);
          }
          return res;
        },
      }),
    ],
  });
  const socket = (): Socket =>
    io(baseUrl, { path: "/socket.io", transports: ["websocket"], extraHeaders: { cookie: cookie() }, reconnection: false, forceNew: true });
  return { client, jar, cookie, socket };
}

export function connected(s: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", (e) => reject(e));
  });
}

export function emitAck<T>(s: Socket, event: string, arg: unknown): Promise<T> {
  return new Promise((resolve) => s.emit(event, arg, (reply: T) => resolve(reply)));
}
