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
});
