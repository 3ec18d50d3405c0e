// The selection loop for one reader (the collaboration layer adds several): start a review, pick
// a candidate (the next round is rectified toward it), or accept (the case is final, the pick
// joins the institution's preference profile), and read the rounds.
import { createHash } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { addObservation, emptyProfile, mixtureToJSON, profileCovariance, profileFromJSON, profilePrior, profileToJSON, standardMixture, describeProfile, type Structure } from "../../../lib/uair";
import { audit } from "../../audit";
import { reviewModel } from "../../review/model-id";
import { acceptedObservation, castVote, newSeed, openRound, stateOf } from "../../review/rounds";
import { asJson, type RoundState } from "../../review-state";
import type { Db } from "../../db/client";
import type { Queue } from "../../queue/producer";
import { caseProcedure, router } from "../trpc";

const REVIEW_ROLES = ["READER", "ADJUDICATOR", "ADMIN"] as const;
const structureSchema = z.enum(["tumour", "liver"]);

/** Queue the job that computes a round, and remember it on the round (the UI follows its progress). */
async function queueRound(ctx: { queue: Queue; db: Db; kase: { id: string } }, kind: "propose-round" | "rectify", roundId: string): Promise<string> {
  const { jobRunId } = await ctx.queue.enqueue(kind, { caseId: ctx.kase.id, roundId }, { caseId: ctx.kase.id });
  await ctx.db.reviewRound.update({ where: { id: roundId }, data: { jobRunId } });
  return jobRunId;
}

export const maskUrl = (roundId: string, name: string) => `/api/rounds/${roundId}/${name}.nii.gz`;

export const reviewRouter = router({
  start: caseProcedure(REVIEW_ROLES)
    .input(z.object({ structure: structureSchema.default("tumour"), focusSlice: z.number().int().nonnegative().optional() }))
    .mutation(async ({ ctx, input }) => {
      const model = await reviewModel(ctx.env);
      const profileRow = await ctx.db.preferenceProfile.findUnique({
        where: { institutionId_structure_model: { institutionId: ctx.institutionId, structure: input.structure, model: model.key } },
      });
      const profile = profileRow ? profileFromJSON(profileRow.stats) : null;
      const usable = profile && profile.dim === model.latentSize;
      const mixture = usable ? profilePrior(profile) : standardMixture(model.latentSize);
      const state: RoundState = {
        mixture: mixtureToJSON(mixture),
        priorSource: usable ? `institution profile: ${describeProfile(profile)}` : "model prior",
        focusSlice: input.focusSlice,
      };
      const round = await ctx.db.$transaction(async (tx) => {
        // only a READY case starts, once: a second click or a second reader gets CONFLICT
        const { count } = await tx.case.updateMany({ where: { id: ctx.kase.id, status: "READY" }, data: { status: "IN_REVIEW" } });
        if (count === 0) throw new TRPCError({ code: "CONFLICT", message: `This case is ${ctx.kase.status.toLowerCase().replace("_", " ")}; a review starts on a ready case` });
        const last = await tx.reviewRound.findFirst({ where: { caseId: ctx.kase.id }, orderBy: { index: "desc" } });
        return tx.reviewRound.create({
          data: { caseId: ctx.kase.id, index: (last?.index ?? -1) + 1, structure: input.structure, seed: newSeed(), model: model.key, state: asJson(state) },
        });
      });
      const jobRunId = await queueRound(ctx, "propose-round", round.id);
      await audit(ctx.db, {
        actorId: ctx.user.userId,
        institutionId: ctx.institutionId,
        action: "review.start",
        entityType: "case",
        entityId: ctx.kase.id,
        data: { roundId: round.id, structure: input.structure, prior: state.priorSource ?? "", jobRunId },
      });
      await ctx.realtime.publish({ type: "case", caseId: ctx.kase.id, projectId: ctx.kase.projectId, status: "IN_REVIEW", failureReason: null });
      return { roundId: round.id, jobRunId };
    }),

  /** One reader picks the candidate closest to what they want; the next round is rectified toward it. */
  pick: caseProcedure(REVIEW_ROLES)
    .input(z.object({ roundId: z.string().min(1), candidateIndex: z.number().int().nonnegative(), focusSlice: z.number().int().nonnegative().optional() }))
    .mutation(async ({ ctx, input }) => {
      const next = await ctx.db.$transaction(async (tx) => {
        const round = await openRound(tx, ctx.kase.id, input.roundId);
        const candidate = await tx.candidate.findUnique({ where: { roundId_index: { roundId: round.id, index: input.candidateIndex } } });
        if (!candidate) throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} has no candidate ${input.candidateIndex + 1}` });
        const first = await tx.reviewRound.count({ where: { caseId: ctx.kase.id } });
        if (first >= ctx.kase.project.maxRounds) {
          throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} is the last of ${ctx.kase.project.maxRounds}: accept one of its masks` });
        }
        await castVote(tx, round, ctx.user.userId, candidate.id, "PICK");
        // one reader: the pick is the consensus (the collaboration layer applies the project's rule)
        const closed = await tx.reviewRound.updateMany({ where: { id: round.id, status: "OPEN" }, data: { status: "CLOSED", closedAt: new Date(), consensusCandidateId: candidate.id } });
        if (closed.count === 0) throw new TRPCError({ code: "CONFLICT", message: `Round ${round.index + 1} was closed meanwhile` });
        const state: RoundState = { mixture: stateOf(round).mixture, rectifyFrom: round.id, focusSlice: input.focusSlice };
        return tx.reviewRound.create({ data: { caseId: ctx.kase.id, index: round.index + 1, structure: round.structure, seed: newSeed(), model: round.model, state: asJson(state) } });
      });
      const jobRunId = await queueRound(ctx, "rectify", next.id);
      await audit(ctx.db, {
        actorId: ctx.user.userId,
        institutionId: ctx.institutionId,
        action: "review.pick",
        entityType: "reviewRound",
        entityId: input.roundId,
        data: { candidateIndex: input.candidateIndex, nextRoundId: next.id, jobRunId },
      });
      await ctx.realtime.publish({ type: "round", caseId: ctx.kase.id, projectId: ctx.kase.projectId, roundId: input.roundId, index: next.index - 1, status: "CLOSED", stage: "closed" });
      return { nextRoundId: next.id, jobRunId };
    }),

  /** Accept a candidate (or the recommended mask, candidateIndex null): the case is final. */
  accept: caseProcedure(REVIEW_ROLES)
    .input(z.object({ roundId: z.string().min(1), candidateIndex: z.number().int().nonnegative().nullable() }))
    .mutation(async ({ ctx, input }) => {
      const round = await openRound(ctx.db, ctx.kase.id, input.roundId);
      const candidate =
        input.candidateIndex === null ? null : await ctx.db.candidate.findUnique({ where: { roundId_index: { roundId: round.id, index: input.candidateIndex } } });
      if (input.candidateIndex !== null && !candidate) throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} has no candidate ${input.candidateIndex + 1}` });
      const maskKey = candidate?.maskKey ?? round.recommendedKey;
      if (!maskKey) throw new TRPCError({ code: "CONFLICT", message: `Round ${round.index + 1} has no recommended mask` });
      const bytes = await ctx.storage.get(maskKey);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const state = stateOf(round);
      const obs = acceptedObservation(state, candidate, round.structure);
      const modelKey = round.model ?? "";

      const result = await ctx.db.$transaction(async (tx) => {
        const current = await openRound(tx, ctx.kase.id, round.id);
        await castVote(tx, current, ctx.user.userId, candidate?.id ?? null, "ACCEPT");
        await tx.reviewRound.update({ where: { id: round.id }, data: { status: "CLOSED", closedAt: new Date(), consensusCandidateId: candidate?.id ?? null } });
        await tx.case.update({ where: { id: ctx.kase.id }, data: { status: "FINAL" } });
        const annotation = await tx.annotation.upsert({
          where: { caseId_name: { caseId: ctx.kase.id, name: "UAIR consensus" } },
          create: { caseId: ctx.kase.id, name: "UAIR consensus", source: "CONSENSUS" },
          update: {},
          include: { versions: { orderBy: { version: "desc" }, take: 1 } },
        });
        const rounds = await tx.reviewRound.findMany({ where: { caseId: ctx.kase.id }, orderBy: { index: "asc" }, include: { votes: true } });
        const version = await tx.annotationVersion.create({
          data: {
            annotationId: annotation.id,
            version: (annotation.versions[0]?.version ?? 0) + 1,
            maskKey,
            sha256,
            createdById: ctx.user.userId,
            provenance: asJson({
              model: modelKey,
              structure: round.structure,
              accepted: candidate ? `round ${round.index + 1}, candidate ${candidate.index + 1}` : `round ${round.index + 1}, recommended mask`,
              rounds: rounds.map((r) => ({ index: r.index, status: r.status, seed: r.seed, votes: r.votes.map((v) => ({ userId: v.userId, candidateId: v.candidateId, kind: v.kind })) })),
            }),
          },
        });
        // the institution's style: Δz of what it accepted, per structure and model
        let profileSummary: string | null = null;
        if (obs.deltaZ.length) {
          await tx.preferenceObservation.create({
            data: { institutionId: ctx.institutionId, caseId: ctx.kase.id, roundId: round.id, structure: round.structure, model: modelKey, deltaZ: obs.deltaZ, volumeRatio: obs.volumeRatio },
          });
          const row = await tx.preferenceProfile.findUnique({ where: { institutionId_structure_model: { institutionId: ctx.institutionId, structure: round.structure, model: modelKey } } });
          const before = row ? profileFromJSON(row.stats) : emptyProfile(round.structure as Structure, obs.deltaZ.length);
          const after = addObservation(before, obs.deltaZ, obs.volumeRatio);
          const data = { count: after.n, mean: Array.from(after.mean), covariance: Array.from(profileCovariance(after)), stats: asJson(profileToJSON(after)) };
          await tx.preferenceProfile.upsert({
            where: { institutionId_structure_model: { institutionId: ctx.institutionId, structure: round.structure, model: modelKey } },
            create: { institutionId: ctx.institutionId, structure: round.structure, model: modelKey, ...data },
            update: data,
          });
          profileSummary = describeProfile(after);
        }
        await audit(tx, {
          actorId: ctx.user.userId,
          institutionId: ctx.institutionId,
          action: "review.accept",
          entityType: "case",
          entityId: ctx.kase.id,
          data: { roundId: round.id, candidateIndex: input.candidateIndex, annotationVersionId: version.id, profile: profileSummary },
        });
        return { annotationId: annotation.id, versionId: version.id, profile: profileSummary };
      });
      await ctx.realtime.publish({ type: "round", caseId: ctx.kase.id, projectId: ctx.kase.projectId, roundId: round.id, index: round.index, status: "CLOSED", stage: "accepted" });
      await ctx.realtime.publish({ type: "case", caseId: ctx.kase.id, projectId: ctx.kase.projectId, status: "FINAL", failureReason: null });
      return result;
    }),

  /** Every round of the case with its candidates, mask URLs and votes. */
  rounds: caseProcedure().query(async ({ ctx }) => {
    const rounds = await ctx.db.reviewRound.findMany({
      where: { caseId: ctx.kase.id },
      orderBy: { index: "asc" },
      include: {
        candidates: { orderBy: { index: "asc" }, select: { id: true, index: true, summary: true } },
        votes: { select: { userId: true, candidateId: true, kind: true, updatedAt: true, user: { select: { name: true } } } },
      },
    });
    return rounds.map(({ state, ...r }) => {
      const preview = (r.summary as { preview?: { candidates?: unknown[]; slices?: number[] } | null }).preview;
      return {
        ...r,
        priorSource: (state as { priorSource?: string } | null)?.priorSource ?? null,
        recommendedUrl: r.recommendedKey ? maskUrl(r.id, "recommended") : null,
        candidates: r.candidates.map((c) => ({ ...c, url: maskUrl(r.id, `candidate-${c.index}`) })),
        preview: preview
          ? { slices: preview.slices ?? [], recommendedUrl: maskUrl(r.id, "preview/recommended"), candidates: (preview.candidates ?? []).map((c, i) => ({ index: i, summary: c, url: maskUrl(r.id, `preview/candidate-${i}`) })) }
          : null,
      };
    });
  }),
});
