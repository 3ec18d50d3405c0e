import { caseProcedure, router } from "../trpc";
import { createCase, startIngest } from "./case-upload";

export const caseRouter = router({
  create: createCase,
  startIngest,

  byId: caseProcedure().query(async ({ ctx }) => {
    const [volume, annotations, jobs] = await Promise.all([
      ctx.db.volume.findUnique({ where: { caseId: ctx.kase.id } }),
      ctx.db.annotation.findMany({
        where: { caseId: ctx.kase.id },
        include: { versions: { orderBy: { version: "desc" }, take: 1 } },
        orderBy: { createdAt: "asc" },
      }),
      ctx.db.jobRun.findMany({ where: { caseId: ctx.kase.id }, orderBy: { createdAt: "desc" }, take: 10 }),
    ]);
    const { project, ...kase } = ctx.kase;
    return {
      ...kase,
      project: { id: project.id, name: project.name },
      role: ctx.role,
      volume: volume && { ...volume, sizeBytes: Number(volume.sizeBytes) },
      annotations,
      jobs,
    };
  }),

  /** Review rounds with their candidates and every reader's vote. */
  rounds: caseProcedure().query(({ ctx }) =>
    ctx.db.reviewRound.findMany({
      where: { caseId: ctx.kase.id },
      orderBy: { index: "asc" },
      include: {
        candidates: { orderBy: { index: "asc" }, select: { id: true, index: true, summary: true } },
        votes: { select: { userId: true, candidateId: true, kind: true, updatedAt: true, user: { select: { name: true } } } },
      },
    }),
  ),
});
