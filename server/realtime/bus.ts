// Cross-process event bus on PostgreSQL LISTEN/NOTIFY: workers and every server process publish,
// each server process relays to its socket.io rooms. No extra broker to run.
import pg from "pg";
import type { DocVote } from "../../lib/collab/doc";

export type RealtimeEvent =
  | {
      type: "job";
      caseId: string | null;
      projectId: string | null;
      job: { id: string; kind: string; status: string; stage: string; percent: number; error: string | null };
    }
  | { type: "case"; caseId: string; projectId: string; status: string; failureReason: string | null }
  | {
      type: "round";
      caseId: string;
      projectId: string;
      roundId: string;
      index: number;
      status: string;
      /** "preview": candidates for the slices in view; "ready": the whole volume; "closed" by a pick; "dropped": a stale job's result was discarded */
      stage: "preview" | "ready" | "closed" | "accepted" | "dropped";
    }
  | {
      type: "review";
      caseId: string;
      projectId: string;
      what: "vote" | "adjudication" | "comment" | "assignment";
      /** a vote on an open round carries the round's votes and verdict, so documents update without a read */
      roundId?: string;
      votes?: DocVote[];
      consensus?: { status: string; reason: string; cast: number; needed: number; choice: string | null };
    }
  | { type: "session-revoked"; sessionId: string };

export interface Realtime {
  publish(event: RealtimeEvent): Promise<void>;
}

export const CHANNEL = "uair_events";
/** NOTIFY payloads are limited to 8000 bytes; larger events go out without their optional parts */
export const MAX_PAYLOAD = 7900;

export function createPublisher(pool: pg.Pool): Realtime {
  return {
    async publish(event) {
      await pool.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(event)]);
    },
  };
}

export async function subscribe(url: string, onEvent: (e: RealtimeEvent) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let closed = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on("notification", (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        onEvent(JSON.parse(msg.payload) as RealtimeEvent);
      } catch {
        /* a malformed payload from a foreign publisher is ignored */
      }
    });
    // the listener must survive a database restart: reconnect with a short back-off
    c.on("error", () => undefined);
    c.on("end", () => {
      if (!closed) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  await connect();
  return async () => {
    closed = true;
    await client?.end().catch(() => undefined);
  };
}
