// The one place that decides who may touch what. A user who is not a member of the
// resource's institution gets NOT_FOUND (nothing leaks); a member without the role, FORBIDDEN.
import type { Role } from "@prisma/client";
import { TRPCError } from "@trpc/server";
import type { Db } from "../db/client";
import type { SessionUser } from "./session";

export const ALL_ROLES: readonly Role[] = ["ADMIN", "READER", "ADJUDICATOR"];

export function roleIn(user: SessionUser, institutionId: string): Role | null {
  return user.memberships.find((m) => m.institutionId === institutionId)?.role ?? null;
}

export function assertRole(user: SessionUser, institutionId: string, allowed: readonly Role[], what: string): Role {
  const role = roleIn(user, institutionId);
  if (!role) throw new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
  if (!allowed.includes(role)) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Your role (${role.toLowerCase()}) may not do this` });
  }
  return role;
}

export async function projectFor(db: Db, user: SessionUser, projectId: string, allowed = ALL_ROLES) {
  const project = await db.project.findUnique({ where: { id: projectId } });
  if (!project) throw new TRPCError({ code: "NOT_FOUND", message: "Project not found" });
  const role = assertRole(user, project.institutionId, allowed, "Project");
  return { project, role };
}

export async function caseFor(db: Db, user: SessionUser, caseId: string, allowed = ALL_ROLES) {
  const kase = await db.case.findUnique({ where: { id: caseId }, include: { project: true } });
  if (!kase) throw new TRPCError({ code: "NOT_FOUND", message: "Case not found" });
  const role = assertRole(user, kase.project.institutionId, allowed, "Case");
  return { kase, role, institutionId: kase.project.institutionId };
}
