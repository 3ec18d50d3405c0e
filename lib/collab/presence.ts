// Presence (Yjs awareness state) of one reader: who, their colour, and where they look. The
// server rewrites the identity from the session and keeps only these fields, so a client can
// neither pose as someone else nor stuff the room with arbitrary data.
export interface Presence {
  user: { id: string; name: string; color: string };
  /** slice index on the case's canonical grid, null when not looking at the volume */
  slice: number | null;
  /** candidate index the reader hovers, null = none */
  hovered: number | null;
  /** window preset name */
  window: string | null;
  /** crosshair position, world mm (RAS) */
  position: [number, number, number] | null;
}

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46c0c0", "#f032e6", "#9a6324", "#808000", "#000075"];

/** A stable colour per user (the same on every screen). */
export function colorFor(userId: string): string {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

const intOrNull = (v: unknown, max: number) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max ? (v as number) : null);

/** What a client sent, reduced to a valid Presence for `user`; null = the client left (state removed). */
export function sanitizePresence(raw: unknown, user: { id: string; name: string }): Presence | null {
  if (raw === null || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const pos = Array.isArray(r.position) && r.position.length === 3 && r.position.every((x) => typeof x === "number" && Number.isFinite(x)) ? (r.position as [number, number, number]) : null;
  const window = typeof r.window === "string" && r.window.length <= 32 ? r.window : null;
  return { user: { id: user.id, name: user.name, color: colorFor(user.id) }, slice: intOrNull(r.slice, 100_000), hovered: intOrNull(r.hovered, 64), window, position: pos };
}
