"use client";
// The case's collaboration room for a React page: the shared document (read-only) and presence,
// re-rendering on every change; joined over the tab's one socket and re-joined after reconnects.
import { useEffect, useState } from "react";
import type { CollabClient } from "./collab-client";
import { getSocket } from "./socket";

export function useCollab(caseId: string) {
  const [client, setClient] = useState<CollabClient | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setVersion] = useState(0);
  useEffect(() => {
    const s = getSocket();
    let alive = true;
    let c: CollabClient | null = null;
    let unsubscribe = () => undefined as unknown;
    const join = () =>
      c?.join().then(
        () => alive && setError(null),
        (e: Error) => alive && setError(e.message),
      );
    // loaded in the browser only: the server renders this page without a second copy of Yjs
    void import("./collab-client").then(({ CollabClient }) => {
      if (!alive) return;
      c = new CollabClient(s, caseId);
      unsubscribe = c.subscribe(() => alive && setVersion((v) => v + 1));
      if (s.connected) void join();
      else s.once("connect", join);
      setClient(c);
    });
    return () => {
      alive = false;
      unsubscribe();
      s.off("connect", join);
      c?.close();
      setClient(null);
    };
  }, [caseId]);
  return { client, error };
}
