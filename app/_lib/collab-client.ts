// The client half of a case's collaboration room, over any socket.io-like connection: joins with
// its state vector (a reconnect gets only what it missed, nothing is lost), applies the server's
// document updates, and sends and receives presence. The document is read-only here: votes and
// comments go through server procedures. Used by the app, the tests and bench:collab.
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate as encodeStates } from "y-protocols/awareness";
import * as Y from "yjs";
import { readCaseState, type CaseDocState } from "../../lib/collab/doc";
import type { Presence } from "../../lib/collab/presence";

/** The few socket.io client methods used (so this file needs no socket.io import). */
export interface CollabSocket {
  connected: boolean;
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, fn: (...args: any[]) => void): unknown;
  off(event: string, fn: (...args: any[]) => void): unknown;
}

type JoinReply = { ok: true; update: Uint8Array | ArrayBuffer; awareness: Uint8Array | ArrayBuffer } | { ok: false; error: string };

/** The server's answer to a vote: the consensus so far and, if it closed the round, what follows. */
export interface VoteReply {
  ok: boolean;
  error?: string;
  consensus?: { status: "open" | "decided" | "split"; choice: string | null; reason: string; cast: number; needed: number; weights: Record<string, number> };
  nextRoundId?: string | null;
  accepted?: { annotationId: string; versionId: string } | null;
}

const bytes = (b: Uint8Array | ArrayBuffer) => (b instanceof Uint8Array ? b : new Uint8Array(b));

export class CollabClient {
  readonly doc = new Y.Doc();
  readonly awareness: Awareness;
  private listeners = new Set<() => void>();
  private joined = false;
  private local: Omit<Presence, "user"> = { slice: null, hovered: null, window: null, position: null };

  constructor(
    private readonly socket: CollabSocket,
    readonly caseId: string,
  ) {
    this.awareness = new Awareness(this.doc);
    this.awareness.setLocalState(null);
    socket.on("collab:update", this.onUpdate);
    socket.on("collab:awareness", this.onAwareness);
    socket.on("connect", this.onConnect);
    this.doc.on("update", this.changed);
    this.awareness.on("change", this.changed);
    // our own presence goes to the server whenever it changes (and on the awareness renewal timer)
    this.awareness.on("update", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === "remote" || !this.joined) return;
      const mine = [...added, ...updated, ...removed].filter((id) => id === this.doc.clientID);
      if (mine.length) this.socket.emit("collab:awareness", this.caseId, encodeStates(this.awareness, mine));
    });
  }

  /** Join (or re-join after a reconnect) the case's room; rejects with the server's reason. */
  async join(): Promise<void> {
    const reply = await new Promise<JoinReply>((resolve) => this.socket.emit("collab:join", this.caseId, Y.encodeStateVector(this.doc), resolve));
    if (!reply.ok) throw new Error(reply.error);
    Y.applyUpdate(this.doc, bytes(reply.update), "remote");
    applyAwarenessUpdate(this.awareness, bytes(reply.awareness), "remote");
    this.joined = true;
    this.publishPresence();
  }

  state(): CaseDocState {
    return readCaseState(this.doc);
  }

  /** Everyone else in the room. */
  others(): Presence[] {
    return [...this.awareness.getStates().entries()].filter(([id, s]) => id !== this.doc.clientID && s && (s as Presence).user).map(([, s]) => s as Presence);
  }

  setPresence(p: Partial<Omit<Presence, "user">>): void {
    this.local = { ...this.local, ...p };
    this.publishPresence();
  }

  vote(roundId: string, kind: "PICK" | "ACCEPT", candidate: number | null, focusSlice?: number): Promise<VoteReply> {
    return new Promise((resolve) => this.socket.emit("collab:vote", this.caseId, { roundId, kind, candidate, focusSlice }, resolve));
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.socket.emit("collab:leave", this.caseId);
    this.socket.off("collab:update", this.onUpdate);
    this.socket.off("collab:awareness", this.onAwareness);
    this.socket.off("connect", this.onConnect);
    this.awareness.destroy();
    this.doc.destroy();
    this.listeners.clear();
  }

  private publishPresence() {
    // the server fills in who we are; we only say where we look
    if (this.joined) this.awareness.setLocalState({ ...this.local });
  }

  private changed = () => {
    for (const fn of this.listeners) fn();
  };

  private onUpdate = (caseId: string, update: Uint8Array | ArrayBuffer) => {
    if (caseId === this.caseId) Y.applyUpdate(this.doc, bytes(update), "remote");
  };

  private onAwareness = (caseId: string, update: Uint8Array | ArrayBuffer) => {
    if (caseId === this.caseId) applyAwarenessUpdate(this.awareness, bytes(update), "remote");
  };

  private onConnect = () => {
    // after a network drop: rejoin with our state vector, the server sends what we missed
    if (this.joined) void this.join().catch(() => undefined);
  };
}
