import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../audit";
import { DUMMY_HASH, verifyPassword } from "../../auth/password";
import { clearedSessionCookie, createSession, sessionCookie } from "../../auth/session";
import { authedProcedure, publicProcedure, router } from "../trpc";

const signInInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  password: z.string().min(1).max(1000),
});

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) => ctx.user),

  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const user = await ctx.db.user.findUnique({ where: { email: input.email } });
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok || user.disabled) {
      await audit(ctx.db, {
        actorId: null,
        action: "auth.sign-in-failed",
        entityType: "user",
        entityId: user?.id ?? null,
        data: { email: input.email, ip: ctx.ip },
      });
      throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong email or password" });
    }
    const s = await createSession(ctx.db, user.id, {
      days: ctx.env.UAIR_SESSION_DAYS,
      userAgent: ctx.userAgent,
      ip: ctx.ip,
    });
    ctx.setCookie(sessionCookie(s.token, s.expiresAt, ctx.env.UAIR_COOKIE_SECURE));
    await audit(ctx.db, { actorId: user.id, action: "auth.sign-in", entityType: "session", entityId: s.sessionId });
    return { userId: user.id, name: user.name };
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.db.session.update({ where: { id: ctx.user.sessionId }, data: { revokedAt: new Date() } });
    await ctx.realtime.publish({ type: "session-revoked", sessionId: ctx.user.sessionId });
    ctx.setCookie(clearedSessionCookie);
    await audit(ctx.db, { actorId: ctx.user.userId, action: "auth.sign-out", entityType: "session", entityId: ctx.user.sessionId });
    return { ok: true };
  }),

  sessions: authedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.session.findMany({
      where: { userId: ctx.user.userId, revokedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: "desc" },
      select: { id: true, createdAt: true, lastSeenAt: true, expiresAt: true, userAgent: true, ip: true },
    });
    return rows.map((r) => ({ ...r, current: r.id === ctx.user.sessionId }));
  }),

  /** Revoke one of your own sessions, or (as an admin) a session of a member of your institution. */
  revokeSession: authedProcedure.input(z.object({ sessionId: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const target = await ctx.db.session.findUnique({
      where: { id: input.sessionId },
      include: { user: { include: { memberships: true } } },
    });
    const adminOf = new Set(ctx.user.memberships.filter((m) => m.role === "ADMIN").map((m) => m.institutionId));
    const allowed =
      target && (target.userId === ctx.user.userId || target.user.memberships.some((m) => adminOf.has(m.institutionId)));
    if (!target || !allowed) throw new TRPCError({ code: "NOT_FOUND", message: "Session not found" });
    if (!target.revokedAt) {
      await ctx.db.session.update({ where: { id: target.id }, data: { revokedAt: new Date() } });
      await audit(ctx.db, { actorId: ctx.user.userId, action: "auth.session-revoked", entityType: "session", entityId: target.id });
    }
    await ctx.realtime.publish({ type: "session-revoked", sessionId: target.id });
    return { ok: true };
  }),
});
