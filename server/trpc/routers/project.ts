import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../audit";
import { authedProcedure, institutionProcedure, projectProcedure, router } from "../trpc";

const settings = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(""),
  structures: z.array(z.enum(["liver", "tumour"])).min(1).default(["liver", "tumour"]),
  candidateCount: z.number().int().min(2).max(9).default(4),
  maxRounds: z.number().int().min(1).max(20).default(6),
  consensusRule: z.enum(["MAJORITY", "UNANIMITY", "ADJUDICATOR"]).default("MAJORITY"),
  quorum: z.number().gt(0).max(1).nullable().default(null),
  agreementThreshold: z.number().min(0).max(1).default(0.8),
});

const caseCounts = (rows: { status: string }[]) =>
  rows.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {});

export const projectRouter = router({
  list: authedProcedure.query(async ({ ctx }) => {
    const ids = ctx.user.memberships.map((m) => m.institutionId);
    const projects = await ctx.db.project.findMany({
      where: { institutionId: { in: ids } },
      include: { institution: { select: { name: true } }, cases: { select: { status: true } } },
      orderBy: [{ institution: { name: "asc" } }, { name: "asc" }],
    });
    return projects.map(({ cases, ...p }) => ({ ...p, caseCount: cases.length, byStatus: caseCounts(cases) }));
  }),

  byId: projectProcedure().query(async ({ ctx }) => {
    const cases = await ctx.db.case.findMany({
      where: { projectId: ctx.project.id },
      orderBy: { label: "asc" },
      include: {
        volume: { select: { dims: true, spacing: true, sourceFormat: true } },
        qaAnalyses: { where: { status: "DONE" }, orderBy: { createdAt: "desc" }, take: 1, select: { agreement: true } },
      },
    });
    const institution = await ctx.db.institution.findUniqueOrThrow({ where: { id: ctx.project.institutionId } });
    // QA: a case whose contour sets agree less than the project's threshold is flagged
    const withQa = cases.map(({ qaAnalyses, ...c }) => {
      const agreement = qaAnalyses[0]?.agreement ?? null;
      return { ...c, qaAgreement: agreement, qaFlagged: agreement !== null && agreement < ctx.project.agreementThreshold };
    });
    return { ...ctx.project, institutionName: institution.name, role: ctx.role, cases: withQa, byStatus: caseCounts(cases), flagged: withQa.filter((c) => c.qaFlagged).length };
  }),

  create: institutionProcedure(["ADMIN"])
    .input(settings)
    .mutation(async ({ ctx, input }) => {
      const { institutionId, ...data } = input;
      const clash = await ctx.db.project.findUnique({ where: { institutionId_name: { institutionId, name: data.name } } });
      if (clash) throw new TRPCError({ code: "CONFLICT", message: `A project named "${data.name}" already exists` });
      return ctx.db.$transaction(async (tx) => {
        const project = await tx.project.create({ data: { ...data, institutionId } });
        await audit(tx, { actorId: ctx.user.userId, institutionId, action: "project.create", entityType: "project", entityId: project.id, data });
        return project;
      });
    }),

  update: projectProcedure(["ADMIN"])
    .input(settings.partial())
    .mutation(async ({ ctx, input }) => {
      const { projectId, ...data } = input;
      return ctx.db.$transaction(async (tx) => {
        const project = await tx.project.update({ where: { id: projectId }, data });
        await audit(tx, {
          actorId: ctx.user.userId,
          institutionId: project.institutionId,
          action: "project.update",
          entityType: "project",
          entityId: project.id,
          data,
        });
        return project;
      });
    }),
});
