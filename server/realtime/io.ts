// socket.io: every connection needs a live session; rooms are joined only after the same
// access check tRPC uses. Events from the bus are relayed to the rooms they concern.
import type http from "node:http";
import { TRPCError } from "@trpc/server";
import { Server, type Socket } from "socket.io";
import { caseFor, projectFor } from "../auth/access";
import { resolveSession, sessionToken, type SessionUser } from "../auth/session";
import { collabHooks } from "../collab/projection";
import { CollabRooms } from "../collab/rooms";
import type { Services } from "../trpc/trpc";
import type { RealtimeEvent } from "./bus";

type Ack = (reply: { ok: true } | { ok: false; error: string }) => void;

export interface SocketServer {
  io: Server;
  collab: CollabRooms;
  relay: (event: RealtimeEvent) => void;
}

const roomOf = {
  case: (id: string) => `case:${id}`,
  project: (id: string) => `project:${id}`,
  session: (id: string) => `session:${id}`,
};

export function attachSocketServer(httpServer: http.Server, services: Services): SocketServer {
  const { db } = services;
  const io = new Server(httpServer, { path: "/socket.io", serveClient: false });
  const collab = new CollabRooms(io, collabHooks(services));

  io.use(async (socket, next) => {
    const token = sessionToken(socket.handshake.headers.cookie);
    const user = await resolveSession(db, token).catch(() => null);
    if (!user) return next(new Error("unauthorized"));
    socket.data.user = user;
    socket.data.token = token;
    await socket.join(roomOf.session(user.sessionId));
    next();
  });

  io.on("connection", (socket: Socket) => {
    // re-check the session on every join: a revoked session must not enter a room
    const live = async (): Promise<SessionUser> => {
      const user = await resolveSession(db, socket.data.token as string);
      if (!user) {
        socket.disconnect(true);
        throw new TRPCError({ code: "UNAUTHORIZED", message: "Session ended" });
      }
      return user;
    };
    const joiner =
      (kind: "case" | "project") =>
      async (id: unknown, ack?: Ack) => {
        const reply = typeof ack === "function" ? ack : () => undefined;
        try {
          if (typeof id !== "string" || !id) throw new TRPCError({ code: "BAD_REQUEST", message: "id required" });
          const user = await live();
          if (kind === "case") await caseFor(db, user, id);
          else await projectFor(db, user, id);
          await socket.join(roomOf[kind](id));
          reply({ ok: true });
        } catch (e) {
          reply({ ok: false, error: e instanceof TRPCError ? e.message : "error" });
        }
      };
    collab.attach(socket, live);
    socket.on("case:join", joiner("case"));
    socket.on("project:join", joiner("project"));
    socket.on("case:leave", (id: unknown) => typeof id === "string" && socket.leave(roomOf.case(id)));
    socket.on("project:leave", (id: unknown) => typeof id === "string" && socket.leave(roomOf.project(id)));
  });

  const relay = (e: RealtimeEvent) => {
    switch (e.type) {
      case "session-revoked":
        io.in(roomOf.session(e.sessionId)).disconnectSockets(true);
        return;
      case "review":
        // a vote carries the votes themselves: applied without reading the database
        if (e.votes && e.roundId && e.consensus) collab.applyVotes(e.caseId, e.roundId, e.votes, e.consensus);
        else void collab.refresh(e.caseId).catch(() => undefined);
        return;
      case "job":
      case "case":
      case "round": {
        if (e.type !== "job" && e.caseId) void collab.refresh(e.caseId).catch(() => undefined);
        const rooms = [e.caseId && roomOf.case(e.caseId), e.projectId && roomOf.project(e.projectId)].filter(
          (r): r is string => Boolean(r),
        );
        if (rooms.length) io.to(rooms).emit(e.type, e);
        return;
      }
    }
  };
  return { io, collab, relay };
}
