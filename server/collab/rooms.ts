// Collaboration rooms: one Y.Doc and one awareness per case, over socket.io. The server is the
// only writer of the document (a projection of PostgreSQL, refreshed when the database changes);
// clients receive its updates, send presence, and act through server procedures. Auth, loading,
// projection, storage and auditing are hooks, so this file only knows Yjs and sockets.
import type { Server, Socket } from "socket.io";
import { Awareness, applyAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import * as Y from "yjs";
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from "../../lib/collab/awareness-wire";
import { applyCaseState, applyRoundVotes, type CaseDocState, type DocRound, type DocVote } from "../../lib/collab/doc";
import { sanitizePresence } from "../../lib/collab/presence";
import type { SessionUser } from "../auth/session";

/** What a reader may do in a room, decided once when they join. */
export interface RoomAccess {
  /** the case's institution, in which the reader is a member */
  institutionId: string;
}

export interface CollabHooks {
  /** throws (NOT_FOUND / FORBIDDEN) unless the user may see the case */
  authorize(user: SessionUser, caseId: string): Promise<RoomAccess>;
  /** a vote sent over the socket; the reply goes back to the client as is */
  vote(user: SessionUser, access: RoomAccess, caseId: string, body: unknown): Promise<Record<string, unknown>>;
  /** the database's view of the case, written into the document */
  project(caseId: string): Promise<CaseDocState>;
  /** persisted document state, if any */
  load(caseId: string): Promise<Uint8Array | null>;
  store(caseId: string, state: Uint8Array): Promise<void>;
  /** a client tried to write what only the server writes */
  refused(user: SessionUser, caseId: string, what: string): Promise<void>;
}

type Ack = (reply: { ok: true; [k: string]: unknown } | { ok: false; error: string }) => void;

interface Room {
  caseId: string;
  doc: Y.Doc;
  awareness: Awareness;
  sockets: Set<string>;
  /** awareness client ids each socket owns: a socket may only speak for its own */
  clients: Map<string, Set<number>>;
  refreshing: Promise<void> | null;
  dirty: boolean;
  storeTimer: NodeJS.Timeout | null;
  idleTimer: NodeJS.Timeout | null;
}

const roomName = (caseId: string) => `collab:${caseId}`;
const STORE_DELAY_MS = 2000;
const IDLE_CLOSE_MS = 30_000;
const toBytes = (v: unknown): Uint8Array | null => (v instanceof Uint8Array ? v : Buffer.isBuffer(v) ? new Uint8Array(v) : v instanceof ArrayBuffer ? new Uint8Array(v) : null);

export class CollabRooms {
  private rooms = new Map<string, Promise<Room>>();

  constructor(
    private readonly io: Server,
    private readonly hooks: CollabHooks,
  ) {}

  /** Register the collaboration events on a connected socket (its user is authenticated). */
  attach(socket: Socket, live: () => Promise<SessionUser>): void {
    // rooms this socket joined, with the access decided then (sessions revoked later are
    // disconnected by the session bus, so the socket's user stays valid while it is connected)
    const joined = new Map<string, RoomAccess>();
    const reply = (ack: unknown): Ack => (typeof ack === "function" ? (ack as Ack) : () => undefined);

    socket.on("collab:join", async (caseId: unknown, stateVector: unknown, ack: unknown) => {
      const done = reply(ack);
      try {
        if (typeof caseId !== "string" || !caseId) throw new Error("case id required");
        const user = await live();
        const access = await this.hooks.authorize(user, caseId);
        const room = await this.room(caseId);
        room.sockets.add(socket.id);
        if (room.idleTimer) clearTimeout(room.idleTimer);
        room.idleTimer = null;
        joined.set(caseId, access);
        await socket.join(roomName(caseId));
        // the client's state vector: a reconnecting client gets only what it missed
        const sv = toBytes(stateVector);
        const update = Y.encodeStateAsUpdate(room.doc, sv ?? undefined);
        const states = [...room.awareness.getStates().entries()].map(([clientId, state]) => ({ clientId, clock: room.awareness.meta.get(clientId)?.clock ?? 0, state }));
        done({ ok: true, update, awareness: encodeAwarenessUpdate(states) });
      } catch (e) {
        done({ ok: false, error: (e as Error).message || "error" });
      }
    });

    socket.on("collab:leave", (caseId: unknown) => {
      if (typeof caseId === "string" && joined.delete(caseId)) void this.leave(socket, caseId);
    });

    // presence: only for rooms this socket joined, only its own client ids, identity from the session
    socket.on("collab:awareness", async (caseId: unknown, bytes: unknown) => {
      const update = toBytes(bytes);
      if (typeof caseId !== "string" || !joined.has(caseId) || !update) return;
      const room = await this.rooms.get(caseId);
      if (!room) return;
      const user = socket.data.user as SessionUser;
      let entries;
      try {
        entries = decodeAwarenessUpdate(update);
      } catch {
        return;
      }
      const mine = room.clients.get(socket.id) ?? new Set<number>();
      const allowed = entries.filter((e) => {
        const owner = [...room.clients.entries()].find(([, ids]) => ids.has(e.clientId))?.[0];
        return owner === undefined || owner === socket.id;
      });
      if (!allowed.length) return;
      const clean = allowed.map((e) => ({ ...e, state: sanitizePresence(e.state, { id: user.userId, name: user.name }) }));
      for (const e of clean) mine.add(e.clientId);
      room.clients.set(socket.id, mine);
      // applied with the socket as origin; the awareness "update" handler relays to the others
      applyAwarenessUpdate(room.awareness, encodeAwarenessUpdate(clean), socket.id);
    });

    socket.on("collab:vote", async (caseId: unknown, body: unknown, ack: unknown) => {
      const done = reply(ack);
      const access = typeof caseId === "string" ? joined.get(caseId) : undefined;
      if (!access) return done({ ok: false, error: "Join the case's room before voting" });
      try {
        done({ ok: true, ...(await this.hooks.vote(socket.data.user as SessionUser, access, caseId as string, body)) });
      } catch (e) {
        done({ ok: false, error: (e as Error).message || "error" });
      }
    });

    // the document is the server's: a client update is refused, audited and changes nothing
    socket.on("collab:update", async (caseId: unknown, _bytes: unknown, ack: unknown) => {
      const done = reply(ack);
      if (typeof caseId !== "string") return done({ ok: false, error: "case id required" });
      await this.hooks.refused(socket.data.user as SessionUser, caseId, "document update").catch(() => undefined);
      done({ ok: false, error: "The shared document is written by the server only: vote, comment and decide through the server." });
    });

    socket.on("disconnect", () => {
      for (const caseId of joined.keys()) void this.leave(socket, caseId);
      joined.clear();
    });
  }

  /** Re-project the case from the database into its document (coalesced: one refresh in flight, one queued). */
  async refresh(caseId: string): Promise<void> {
    const pending = this.rooms.get(caseId);
    if (!pending) return;
    const room = await pending;
    if (room.refreshing) {
      room.dirty = true;
      return room.refreshing;
    }
    room.refreshing = (async () => {
      do {
        room.dirty = false;
        applyCaseState(room.doc, await this.hooks.project(caseId));
      } while (room.dirty);
    })().finally(() => {
      room.refreshing = null;
    });
    return room.refreshing;
  }

  /** A vote's effect on an open round, from the event itself (no database read). */
  applyVotes(caseId: string, roundId: string, votes: DocVote[], consensus: NonNullable<DocRound["consensus"]>): void {
    void this.rooms.get(caseId)?.then((room) => {
      if (!applyRoundVotes(room.doc, roundId, votes, consensus)) void this.refresh(caseId);
      // a projection read before this vote must not overwrite it: have it run once more
      else if (room.refreshing) room.dirty = true;
    });
  }

  /** The room's document (tests and the server's own reads). */
  async docOf(caseId: string): Promise<Y.Doc | null> {
    return (await this.rooms.get(caseId))?.doc ?? null;
  }

  /** Persist every open room (shutdown). */
  async close(): Promise<void> {
    const rooms = await Promise.all(this.rooms.values());
    await Promise.all(rooms.map((r) => this.persist(r)));
    for (const r of rooms) {
      if (r.storeTimer) clearTimeout(r.storeTimer);
      if (r.idleTimer) clearTimeout(r.idleTimer);
      r.awareness.destroy();
      r.doc.destroy();
    }
    this.rooms.clear();
  }

  private room(caseId: string): Promise<Room> {
    let p = this.rooms.get(caseId);
    if (!p) {
      p = this.open(caseId);
      this.rooms.set(caseId, p);
      p.catch(() => this.rooms.delete(caseId));
    }
    return p;
  }

  private async open(caseId: string): Promise<Room> {
    const doc = new Y.Doc();
    const saved = await this.hooks.load(caseId);
    if (saved?.length) Y.applyUpdate(doc, saved, "storage");
    const awareness = new Awareness(doc);
    // the server has no presence of its own
    awareness.setLocalState(null);
    const room: Room = { caseId, doc, awareness, sockets: new Set(), clients: new Map(), refreshing: null, dirty: false, storeTimer: null, idleTimer: null };
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === "storage") return;
      this.io.to(roomName(caseId)).emit("collab:update", caseId, update);
      room.storeTimer ??= setTimeout(() => {
        room.storeTimer = null;
        void this.persist(room);
      }, STORE_DELAY_MS);
    });
    awareness.on("update", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const ids = [...added, ...updated, ...removed];
      const states = ids.map((clientId) => ({ clientId, clock: awareness.meta.get(clientId)?.clock ?? 0, state: awareness.getStates().get(clientId) ?? null }));
      const target = typeof origin === "string" ? this.io.to(roomName(caseId)).except(origin) : this.io.to(roomName(caseId));
      target.emit("collab:awareness", caseId, encodeAwarenessUpdate(states));
    });
    applyCaseState(doc, await this.hooks.project(caseId));
    return room;
  }

  private async persist(room: Room): Promise<void> {
    await this.hooks.store(room.caseId, Y.encodeStateAsUpdate(room.doc)).catch(() => undefined);
  }

  private async leave(socket: Socket, caseId: string): Promise<void> {
    await socket.leave(roomName(caseId));
    const room = await this.rooms.get(caseId);
    if (!room) return;
    room.sockets.delete(socket.id);
    const ids = room.clients.get(socket.id);
    room.clients.delete(socket.id);
    if (ids?.size) removeAwarenessStates(room.awareness, [...ids], "left");
    if (room.sockets.size === 0) {
      room.idleTimer = setTimeout(() => {
        if (room.sockets.size > 0) return;
        this.rooms.delete(caseId);
        if (room.storeTimer) clearTimeout(room.storeTimer);
        void this.persist(room).finally(() => {
          room.awareness.destroy();
          room.doc.destroy();
        });
      }, IDLE_CLOSE_MS);
      room.idleTimer.unref();
    }
  }
}
