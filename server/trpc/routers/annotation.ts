// Annotations of a case: import of label maps made elsewhere (the bytes arrive through
// server/upload.ts), and the list of versions with their provenance.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../audit";
import { labelUploadPrefix, UPLOAD_ROLES } from "../../upload";
import { caseProcedure, router } from "../trpc";

export const annotationRouter = router({
  importLabel: caseProcedure(UPLOAD_ROLES)
    .input(
      z.object({
        key: z.string().min(1),
        name: z.string().trim().min(1, "Name the contour set").max(120),
        /** the file's value for liver when it is not ours (e.g. 5 for TotalSegmentator) */
        sourceValue: z.number().int().min(1).max(65535).nullable().default(null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!input.key.startsWith(labelUploadPrefix(ctx.kase.id)) || !(await ctx.storage.exists(input.key))) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "Upload the label file to this case first" });
      }
      const { jobRunId } = await ctx.queue.enqueue(
        "import-label",
        { caseId: ctx.kase.id, key: input.key, name: input.name, sourceValue: input.sourceValue, actorId: ctx.user.userId },
        { caseId: ctx.kase.id },
      );
      await audit(ctx.db, {
        actorId: ctx.user.userId,
        institutionId: ctx.institutionId,
        action: "annotation.import-start",
        entityType: "case",
        entityId: ctx.kase.id,
        data: { name: input.name, jobRunId },
      });
      return { jobRunId };
    }),

  list: caseProcedure().query(({ ctx }) =>
    ctx.db.annotation.findMany({
      where: { caseId: ctx.kase.id },
      orderBy: { createdAt: "asc" },
      include: { versions: { orderBy: { version: "desc" } } },
    }),
  ),
});
