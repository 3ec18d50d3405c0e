// QA of several contour sets of a case: start an analysis (a worker computes pairwise agreement,
// the STAPLE consensus, per-reader performance, hot spots and per-lesion agreement), read it, and
// decide: accept the consensus, accept one contour, or send the case back to review.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../audit";
import { QA_ANNOTATION } from "../../review/accept";
import { sha256Hex } from "../../storage";

import { caseProcedure, router } from "../trpc";

const QA_ROLES = ["ADMIN", "ADJUDICATOR"] as const;

export const qaRouter = router({
  /** Compare contour sets (default: the newest version of every annotation of the case). */
  start: caseProcedure(QA_ROLES)
    .input(z.object({ structure: z.enum(["tumour", "liver"]).default("tumour"), versionIds: z.array(z.string().min(1)).max(12).optional() }))
    .mutation(async ({ ctx, input }) => {
      const annotations = await ctx.db.annotation.findMany({ where: { caseId: ctx.kase.id }, include: { versions: { orderBy: { version: "desc" } } }, orderBy: { createdAt: "asc" } });
      const all = new Map(annotations.flatMap((a) => a.versions.map((v) => [v.id, v] as const)));
      const versionIds = input.versionIds ?? annotations.filter((a) => a.name !== QA_ANNOTATION && a.versions.length).map((a) => a.versions[0].id);
      const unknown = versionIds.filter((id) => !all.has(id));
      if (unknown.length) throw new TRPCError({ code: "BAD_REQUEST", message: `${unknown.length} of these contour sets are not annotations of this case` });
      if (new Set(versionIds).size < 2) throw new TRPCError({ code: "BAD_REQUEST", message: "QA compares at least two contour sets: import or review more first" });
      if (!(await ctx.db.volume.findUnique({ where: { caseId: ctx.kase.id }, select: { id: true } }))) {
        throw new TRPCError({ code: "CONFLICT", message: "The case has no CT volume yet" });
      }
      const analysis = await ctx.db.qaAnalysis.create({ data: { caseId: ctx.kase.id, structure: input.structure, versionIds: [...new Set(versionIds)], createdById: ctx.user.userId } });
      const { jobRunId } = await ctx.queue.enqueue("qa-analyze", { caseId: ctx.kase.id, analysisId: analysis.id }, { caseId: ctx.kase.id });
      await ctx.db.qaAnalysis.update({ where: { id: analysis.id }, data: { jobRunId } });
      await audit(ctx.db, { actorId: ctx.user.userId, institutionId: ctx.institutionId, action: "qa.start", entityType: "case", entityId: ctx.kase.id, data: { analysisId: analysis.id, versionIds, structure: input.structure } });
      return { analysisId: analysis.id, jobRunId };
    }),

  /**
   * The readers' picks from the review as contour sets: each reader's vote in the newest round
   * with votes (the candidate they picked or accepted) becomes a version of "<name>'s review pick".
   */
  fromRounds: caseProcedure(QA_ROLES).mutation(async ({ ctx }) => {
    const round = await ctx.db.reviewRound.findFirst({
      where: { caseId: ctx.kase.id, votes: { some: { candidateId: { not: null } } } },
      orderBy: { index: "desc" },
      include: { votes: { where: { candidateId: { not: null } }, include: { user: { select: { name: true } }, candidate: true } } },
    });
    if (!round) throw new TRPCError({ code: "BAD_REQUEST", message: "No reader has picked a candidate in this case's review yet" });
    const created: string[] = [];
    for (const v of round.votes) {
      const c = v.candidate!;
      const sha256 = sha256Hex(await ctx.storage.get(c.maskKey));
      const name = `${v.user.name}'s review pick`;
      const version = await ctx.db.$transaction(async (tx) => {
        const annotation = await tx.annotation.upsert({
          where: { caseId_name: { caseId: ctx.kase.id, name } },
          create: { caseId: ctx.kase.id, name, source: "MANUAL" },
          update: {},
          include: { versions: { orderBy: { version: "desc" }, take: 1 } },
        });
        if (annotation.versions[0]?.sha256 === sha256) return null; // already there
        const created = await tx.annotationVersion.create({
          data: {
            annotationId: annotation.id,
            version: (annotation.versions[0]?.version ?? 0) + 1,
            maskKey: c.maskKey,
            sha256,
            createdById: v.userId,
            provenance: { review: { roundId: round.id, round: round.index + 1, candidate: c.index + 1, vote: v.kind, reader: v.user.name } },
          },
        });
        await audit(tx, { actorId: ctx.user.userId, institutionId: ctx.institutionId, action: "qa.from-review", entityType: "annotation", entityId: annotation.id, data: { round: round.index, candidate: c.index, reader: v.userId } });
        return created;
      });
      if (version) {
        created.push(version.id);
        await ctx.queue.enqueue("measure", { caseId: ctx.kase.id, versionId: version.id }, { caseId: ctx.kase.id });
      }
    }
    return { round: round.index + 1, created: created.length, readers: round.votes.length };
  }),

  /** The newest analysis of the case, with the contour sets' names. */
  latest: caseProcedure().query(async ({ ctx }) => {
    const a = await ctx.db.qaAnalysis.findFirst({ where: { caseId: ctx.kase.id }, orderBy: { createdAt: "desc" } });
    if (!a) return null;
    const versions = await ctx.db.annotationVersion.findMany({ where: { id: { in: a.versionIds } }, include: { annotation: { select: { name: true, source: true } } } });
    const byId = new Map(versions.map((v) => [v.id, v]));
    return {
      ...a,
      threshold: ctx.kase.project.agreementThreshold,
      contours: a.versionIds.map((id) => ({ versionId: id, name: byId.get(id)?.annotation.name ?? "(deleted)", version: byId.get(id)?.version ?? null, source: byId.get(id)?.annotation.source ?? null })),
      consensusUrl: a.consensusKey ? `/api/qa/${a.id}/consensus.nii.gz` : null,
    };
  }),

  /** The reviewer's decision on an analysis. */
  decide: caseProcedure(QA_ROLES)
    .input(
      z.discriminatedUnion("decision", [
        z.object({ decision: z.literal("consensus"), analysisId: z.string().min(1) }),
        z.object({ decision: z.literal("contour"), analysisId: z.string().min(1), versionId: z.string().min(1) }),
        z.object({ decision: z.literal("back"), analysisId: z.string().min(1), comment: z.string().trim().min(1, "Say what to review again").max(2000) }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const a = await ctx.db.qaAnalysis.findUnique({ where: { id: input.analysisId } });
      if (!a || a.caseId !== ctx.kase.id) throw new TRPCError({ code: "NOT_FOUND", message: "QA analysis not found" });
      if (a.status !== "DONE") throw new TRPCError({ code: "CONFLICT", message: "This analysis is not finished" });
      const newest = await ctx.db.qaAnalysis.findFirst({ where: { caseId: ctx.kase.id }, orderBy: { createdAt: "desc" }, select: { id: true } });
      if (newest?.id !== a.id) throw new TRPCError({ code: "CONFLICT", message: "A newer analysis of this case exists; decide on that one" });
      if (input.decision === "back") {
        await ctx.db.$transaction(async (tx) => {
          await tx.case.update({ where: { id: ctx.kase.id }, data: { status: "READY" } });
          await tx.comment.create({ data: { caseId: ctx.kase.id, userId: ctx.user.userId, slice: 0, position: [0, 0, 0], text: `Sent back from QA: ${input.comment}` } });
          await audit(tx, { actorId: ctx.user.userId, institutionId: ctx.institutionId, action: "qa.back", entityType: "case", entityId: ctx.kase.id, data: { analysisId: a.id, comment: input.comment } });
        });
        await ctx.realtime.publish({ type: "case", caseId: ctx.kase.id, projectId: ctx.kase.projectId, status: "READY", failureReason: null });
        return { status: "READY" as const, versionId: null };
      }
      let maskKey: string;
      let sha256: string;
      let from: string;
      if (input.decision === "consensus") {
        if (!a.consensusKey) throw new TRPCError({ code: "CONFLICT", message: "This analysis has no consensus mask" });
        maskKey = a.consensusKey;
        sha256 = (a.result as { consensusSha256?: string }).consensusSha256 ?? "";
        from = `STAPLE consensus of ${a.versionIds.length} contour sets`;
      } else {
        if (!a.versionIds.includes(input.versionId)) throw new TRPCError({ code: "BAD_REQUEST", message: "Pick one of the analysed contour sets" });
        const v = await ctx.db.annotationVersion.findUniqueOrThrow({ where: { id: input.versionId }, include: { annotation: true } });
        maskKey = v.maskKey;
        sha256 = v.sha256;
        from = `${v.annotation.name} v${v.version}`;
      }
      const version = await ctx.db.$transaction(async (tx) => {
        const annotation = await tx.annotation.upsert({
          where: { caseId_name: { caseId: ctx.kase.id, name: QA_ANNOTATION } },
          create: { caseId: ctx.kase.id, name: QA_ANNOTATION, source: "CONSENSUS" },
          update: {},
          include: { versions: { orderBy: { version: "desc" }, take: 1 } },
        });
        const created = await tx.annotationVersion.create({
          data: {
            annotationId: annotation.id,
            version: (annotation.versions[0]?.version ?? 0) + 1,
            maskKey,
            sha256,
            createdById: ctx.user.userId,
            provenance: { qa: { analysisId: a.id, decision: input.decision, from, structure: a.structure, agreement: a.agreement, contours: a.versionIds } },
          },
        });
        await tx.case.update({ where: { id: ctx.kase.id }, data: { status: "FINAL" } });
        await audit(tx, { actorId: ctx.user.userId, institutionId: ctx.institutionId, action: `qa.accept.${input.decision}`, entityType: "case", entityId: ctx.kase.id, data: { analysisId: a.id, versionId: created.id, from } });
        return created;
      });
      await ctx.queue.enqueue("measure", { caseId: ctx.kase.id, versionId: version.id }, { caseId: ctx.kase.id });
      await ctx.realtime.publish({ type: "case", caseId: ctx.kase.id, projectId: ctx.kase.projectId, status: "FINAL", failureReason: null });
      return { status: "FINAL" as const, versionId: version.id };
    }),
});


