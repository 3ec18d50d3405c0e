// tRPC initialisation, context and the procedure builders that carry every auth check.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { z } from "zod";
import type { Role } from "@prisma/client";
import type { Db } from "../db/client";
import type { Env } from "../env";
import type { Queue } from "../queue/producer";
import type { Realtime } from "../realtime/bus";
import type { Storage } from "../storage";
import { caseFor, projectFor, ALL_ROLES } from "../auth/access";
import type { SessionUser } from "../auth/session";

export interface Services {
  db: Db;
  env: Env;
  queue: Queue;
  realtime: Realtime;
  storage: Storage;
}

export interface Context extends Services {
  user: SessionUser | null;
  /** adds a Set-Cookie header to the HTTP response */
  setCookie: (cookie: string) => void;
  ip: string | null;
  userAgent: string | null;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

export const authedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in" });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** A procedure on one project, allowed for the given roles of its institution. */
export const projectProcedure = (roles: readonly Role[] = ALL_ROLES) =>
  authedProcedure.input(z.object({ projectId: z.string().min(1) })).use(async ({ ctx, input, next }) => {
    const { project, role } = await projectFor(ctx.db, ctx.user, input.projectId, roles);
    return next({ ctx: { ...ctx, project, role } });
  });

/** A procedure on one case, allowed for the given roles of its institution. */
export const caseProcedure = (roles: readonly Role[] = ALL_ROLES) =>
  authedProcedure.input(z.object({ caseId: z.string().min(1) })).use(async ({ ctx, input, next }) => {
    const { kase, role, institutionId } = await caseFor(ctx.db, ctx.user, input.caseId, roles);
    return next({ ctx: { ...ctx, kase, role, institutionId } });
  });

/** A procedure on one institution, allowed for the given roles. */
export const institutionProcedure = (roles: readonly Role[] = ALL_ROLES) =>
  authedProcedure.input(z.object({ institutionId: z.string().min(1) })).use(async ({ ctx, input, next }) => {
    const m = ctx.user.memberships.find((x) => x.institutionId === input.institutionId);
    if (!m) throw new TRPCError({ code: "NOT_FOUND", message: "Institution not found" });
    if (!roles.includes(m.role)) throw new TRPCError({ code: "FORBIDDEN", message: `Your role (${m.role.toLowerCase()}) may not do this` });
    return next({ ctx: { ...ctx, role: m.role } });
  });
