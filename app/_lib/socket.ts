"use client";
// One socket.io connection per tab; rooms are joined per page and re-joined after reconnects.
import { useEffect, useRef } from "react";
import { io, type Socket } from "socket.io-client";
import type { RealtimeEvent } from "../../server/realtime/bus";

let socket: Socket | null = null;

export function getSocket(): Socket {
  socket ??= io({ path: "/socket.io", withCredentials: true });
  return socket;
}

type Listener<T extends RealtimeEvent["type"]> = (e: Extract<RealtimeEvent, { type: T }>) => void;

export function useRoomEvents(
  room: "case" | "project",
  id: string | undefined,
  handlers: { job?: Listener<"job">; case?: Listener<"case">; round?: Listener<"round"> },
) {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!id) return;
    const s = getSocket();
    const join = () => s.emit(`${room}:join`, id, () => undefined);
    const onJob = (e: Extract<RealtimeEvent, { type: "job" }>) => ref.current.job?.(e);
    const onCase = (e: Extract<RealtimeEvent, { type: "case" }>) => ref.current.case?.(e);
    const onRound = (e: Extract<RealtimeEvent, { type: "round" }>) => ref.current.round?.(e);
    s.on("connect", join);
    s.on("job", onJob);
    s.on("case", onCase);
    s.on("round", onRound);
    if (s.connected) join();
    return () => {
      s.emit(`${room}:leave`, id);
      s.off("connect", join);
      s.off("job", onJob);
      s.off("case", onCase);
      s.off("round", onRound);
    };
  }, [room, id]);
}
