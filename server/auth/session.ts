// Server-side sessions: the cookie carries a random token, the database its sha256.
// Every request re-reads the row, so a revoked session is refused at once.
import { createHash, randomBytes } from "node:crypto";
import type { Role } from "@prisma/client";
import type { Db } from "../db/client";

export const SESSION_COOKIE = "uair_session";

export interface SessionUser {
  sessionId: string;
  userId: string;
  email: string;
  name: string;
  memberships: { institutionId: string; institutionName: string; role: Role }[];
}

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createSession(
  db: Db,
  userId: string,
  opts: { days: number; userAgent?: string | null; ip?: string | null },
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + opts.days * 86_400_000);
  const row = await db.session.create({
    data: {
      tokenHash: hashToken(token),
      userId,
      expiresAt,
      userAgent: opts.userAgent?.slice(0, 300) ?? null,
      ip: opts.ip ?? null,
    },
  });
  return { token, sessionId: row.id, expiresAt };
}

export async function resolveSession(db: Db, token: string | undefined | null): Promise<SessionUser | null> {
  if (!token) return null;
  const row = await db.session.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { user: { include: { memberships: { include: { institution: true } } } } },
  });
  if (!row || row.revokedAt || row.expiresAt <= new Date() || row.user.disabled) return null;
  return {
    sessionId: row.id,
    userId: row.userId,
    email: row.user.email,
    name: row.user.name,
    memberships: row.user.memberships.map((m) => ({
      institutionId: m.institutionId,
      institutionName: m.institution.name,
      role: m.role,
    })),
  };
}

/** The session token of a request's Cookie header, if any. */
export const sessionToken = (cookieHeader: string | null | undefined) => parseCookies(cookieHeader)[SESSION_COOKIE];

/** The signed-in user behind an HTTP request's cookie, or null. */
export const userFromCookie = (db: Db, cookieHeader: string | null | undefined) => resolveSession(db, sessionToken(cookieHeader));

export function parseCookies(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k) out[k] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    secure ? "Secure" : "",
  ]
    .filter(Boolean)
    .join("; ");
}

export const clearedSessionCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
