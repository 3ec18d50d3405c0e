// Who reviews which case: admins assign readers (the consensus rule counts their votes), every
// reader has a queue of assigned cases still to finish.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../audit";
import { authedProcedure, caseProcedure, router } from "../trpc";

export const assignmentRouter = router({
  /** The case's assigned readers and the institution's members who could be assigned. */
  forCase: caseProcedure().query(async ({ ctx }) => {
    const [assigned, members] = await Promise.all([
      ctx.db.caseAssignment.findMany({ where: { caseId: ctx.kase.id }, include: { user: { select: { id: true, name: true } } }, orderBy: { createdAt: "asc" } }),
      ctx.db.membership.findMany({ where: { institutionId: ctx.institutionId }, include: { user: { select: { id: true, name: true, disabled: true } } }, orderBy: { user: { name: "asc" } } }),
    ]);
    return {
      assigned: assigned.map((a) => ({ userId: a.user.id, name: a.user.name })),
      members: members.filter((m) => !m.user.disabled).map((m) => ({ userId: m.user.id, name: m.user.name, role: m.role })),
    };
  }),

  /** Replace the case's assigned readers (admins). Every reader must be an active member of the institution. */
  set: caseProcedure(["ADMIN"])
    .input(z.object({ userIds: z.array(z.string().min(1)).max(50) }))
    .mutation(async ({ ctx, input }) => {
      const ids = [...new Set(input.userIds)];
      const members = await ctx.db.membership.findMany({ where: { institutionId: ctx.institutionId, userId: { in: ids } }, include: { user: { select: { disabled: true } } } });
      const ok = new Set(members.filter((m) => !m.user.disabled).map((m) => m.userId));
      const strangers = ids.filter((id) => !ok.has(id));
      if (strangers.length) throw new TRPCError({ code: "BAD_REQUEST", message: `${strangers.length} of these users are not active members of this institution` });
      const before = await ctx.db.caseAssignment.findMany({ where: { caseId: ctx.kase.id }, select: { userId: true } });
      await ctx.db.$transaction(async (tx) => {
        await tx.caseAssignment.deleteMany({ where: { caseId: ctx.kase.id, userId: { notIn: ids } } });
        await tx.caseAssignment.createMany({ data: ids.map((userId) => ({ caseId: ctx.kase.id, userId, assignedById: ctx.user.userId })), skipDuplicates: true });
        await audit(tx, {
          actorId: ctx.user.userId,
          institutionId: ctx.institutionId,
          action: "case.assign",
          entityType: "case",
          entityId: ctx.kase.id,
          data: { before: before.map((b) => b.userId), after: ids },
        });
      });
      await ctx.realtime.publish({ type: "review", caseId: ctx.kase.id, projectId: ctx.kase.projectId, what: "assignment" });
      return { assigned: ids.length };
    }),

  /** My cases to review: assigned to me and not final, with whether the current round waits for my vote. */
  queue: authedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.caseAssignment.findMany({
      where: { userId: ctx.user.userId, case: { status: { notIn: ["FINAL", "FAILED"] } } },
      include: {
        case: {
          include: {
            project: { select: { id: true, name: true } },
            rounds: { orderBy: { index: "desc" }, take: 1, include: { votes: { where: { userId: ctx.user.userId }, select: { id: true } } } },
          },
        },
      },
      orderBy: { createdAt: "asc" },
    });
    return rows.map(({ case: c }) => {
      const round = c.rounds[0];
      return {
        caseId: c.id,
        label: c.label,
        status: c.status,
        project: c.project,
        round: round ? { index: round.index, status: round.status, voted: round.votes.length > 0 } : null,
        waitingForMe: round?.status === "OPEN" && round.votes.length === 0,
      };
    });
  }),
});
