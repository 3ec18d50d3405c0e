// The selection loop for one reader (the collaboration layer adds several): start a review, pick
// a candidate (the next round is rectified toward it), or accept (the case is final, the pick
// joins the institution's preference profile), and read the rounds.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { describeProfile, mixtureToJSON, profileFromJSON, profilePrior, standardMixture } from "../../../lib/uair";
import { audit } from "../../audit";
import { reviewModel } from "../../review/model-id";
import { newSeed } from "../../review/rounds";
import { adjudicate, castVote, type Actor } from "../../review/votes";
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

const actorOf = (ctx: { user: { userId: string; name: string }; institutionId: string }): Actor => ({ userId: ctx.user.userId, name: ctx.user.name, institutionId: ctx.institutionId });

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

  /** A reader votes to refine toward a candidate; the project's consensus rule decides when the round closes. */
  pick: caseProcedure(REVIEW_ROLES)
    .input(z.object({ roundId: z.string().min(1), candidateIndex: z.number().int().nonnegative(), focusSlice: z.number().int().nonnegative().optional() }))
    .mutation(async ({ ctx, input }) => castVote(ctx, actorOf(ctx), ctx.kase.id, { roundId: input.roundId, choice: { kind: "PICK", candidate: input.candidateIndex }, focusSlice: input.focusSlice })),

  /** A reader votes to accept a candidate (or the recommended mask, candidateIndex null) as final. */
  accept: caseProcedure(REVIEW_ROLES)
    .input(z.object({ roundId: z.string().min(1), candidateIndex: z.number().int().nonnegative().nullable() }))
    .mutation(async ({ ctx, input }) => castVote(ctx, actorOf(ctx), ctx.kase.id, { roundId: input.roundId, choice: { kind: "ACCEPT", candidate: input.candidateIndex } })),

  /** An adjudicator (or admin) decides a round under any rule, or closes it as a split. */
  adjudicate: caseProcedure(["ADJUDICATOR", "ADMIN"])
    .input(
      z.object({
        roundId: z.string().min(1),
        action: z.enum(["decide", "close"]),
        choice: z.object({ kind: z.enum(["PICK", "ACCEPT"]), candidate: z.number().int().nonnegative().nullable() }).optional(),
        focusSlice: z.number().int().nonnegative().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.action === "decide" && !input.choice) throw new TRPCError({ code: "BAD_REQUEST", message: "A decision names a choice (pick or accept, and a candidate)" });
      const adjudication = input.action === "decide" ? { action: "decide" as const, choice: input.choice! } : { action: "close" as const };
      return adjudicate(ctx, actorOf(ctx), ctx.kase, { roundId: input.roundId, adjudication, focusSlice: input.focusSlice });
    }),

  /** A comment pinned to a slice and position; it reaches every reader through the case's document. */
  comment: caseProcedure(REVIEW_ROLES)
    .input(z.object({ text: z.string().trim().min(1, "Write something").max(2000), slice: z.number().int().nonnegative(), position: z.array(z.number().finite()).length(3) }))
    .mutation(async ({ ctx, input }) => {
      const round = await ctx.db.reviewRound.findFirst({ where: { caseId: ctx.kase.id }, orderBy: { index: "desc" }, select: { id: true } });
      const comment = await ctx.db.comment.create({ data: { caseId: ctx.kase.id, userId: ctx.user.userId, roundId: round?.id ?? null, slice: input.slice, position: input.position, text: input.text } });
      await audit(ctx.db, { actorId: ctx.user.userId, institutionId: ctx.institutionId, action: "review.comment", entityType: "case", entityId: ctx.kase.id, data: { commentId: comment.id, slice: input.slice } });
      await ctx.realtime.publish({ type: "review", caseId: ctx.kase.id, projectId: ctx.kase.projectId, what: "comment" });
      return { id: comment.id };
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
        uncertaintyUrl: (r.summary as { uncertaintyKey?: string }).uncertaintyKey ? maskUrl(r.id, "uncertainty") : null,
        candidates: r.candidates.map((c) => ({ ...c, url: maskUrl(r.id, `candidate-${c.index}`) })),
        preview: preview
          ? { slices: preview.slices ?? [], recommendedUrl: maskUrl(r.id, "preview/recommended"), candidates: (preview.candidates ?? []).map((c, i) => ({ index: i, summary: c, url: maskUrl(r.id, `preview/candidate-${i}`) })) }
          : null,
      };
    });
  }),
});
