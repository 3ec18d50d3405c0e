// Creating a case and starting its import; the bytes themselves go through server/upload.ts.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../audit";
import { UPLOAD_ROLES, uploadPrefix } from "../../upload";
import { caseProcedure, projectProcedure } from "../trpc";

export const createCase = projectProcedure(UPLOAD_ROLES)
  .input(z.object({ label: z.string().trim().min(1, "Give the case a name").max(200) }))
  .mutation(async ({ ctx, input }) => {
    const clash = await ctx.db.case.findUnique({ where: { projectId_label: { projectId: ctx.project.id, label: input.label } } });
    if (clash) throw new TRPCError({ code: "CONFLICT", message: `A case named "${input.label}" already exists in this project` });
    const kase = await ctx.db.case.create({ data: { projectId: ctx.project.id, label: input.label, createdById: ctx.user.userId } });
    await audit(ctx.db, {
      actorId: ctx.user.userId,
      institutionId: ctx.project.institutionId,
      action: "case.create",
      entityType: "case",
      entityId: kase.id,
      data: { label: input.label },
    });
    await ctx.realtime.publish({ type: "case", caseId: kase.id, projectId: ctx.project.id, status: kase.status, failureReason: null });
    return { caseId: kase.id };
  });

export const startIngest = caseProcedure(UPLOAD_ROLES).mutation(async ({ ctx }) => {
  const keys = await ctx.storage.list(uploadPrefix(ctx.kase.id));
  if (keys.length === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "Upload the case's files first" });
  // only a PENDING case starts, and only once: a double click or a second tab gets CONFLICT
  const { count } = await ctx.db.case.updateMany({ where: { id: ctx.kase.id, status: "PENDING" }, data: { status: "INGESTING" } });
  if (count === 0) throw new TRPCError({ code: "CONFLICT", message: `This case is ${ctx.kase.status.toLowerCase()}; its import has already started` });
  const { jobRunId } = await ctx.queue.enqueue("ingest", { caseId: ctx.kase.id, uploadKeys: keys }, { caseId: ctx.kase.id });
  await audit(ctx.db, {
    actorId: ctx.user.userId,
    institutionId: ctx.institutionId,
    action: "case.ingest-start",
    entityType: "case",
    entityId: ctx.kase.id,
    data: { files: keys.length, jobRunId },
  });
  await ctx.realtime.publish({ type: "case", caseId: ctx.kase.id, projectId: ctx.kase.projectId, status: "INGESTING", failureReason: null });
  return { jobRunId };
});
