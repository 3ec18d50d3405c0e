// Reports: a case's result with its measurements, lesion key slices, agreement and provenance; a
// project's measurements across cases; how the institution's preference profile moved over time,
// and how readers agreed round by round (for the plots).
import { z } from "zod";
import { projectReport, RESULT_ANNOTATIONS } from "../../report";
import { caseProcedure, projectProcedure, router } from "../trpc";

export const reportRouter = router({
  case: caseProcedure().query(async ({ ctx }) => {
    const annotations = await ctx.db.annotation.findMany({
      where: { caseId: ctx.kase.id, name: { in: RESULT_ANNOTATIONS } },
      include: { versions: { orderBy: { version: "desc" }, take: 1 } },
    });
    const chosen = RESULT_ANNOTATIONS.map((n) => annotations.find((a) => a.name === n)).find((a) => a?.versions[0]);
    const version = chosen?.versions[0] ?? null;
    const [qa, volume, rounds] = await Promise.all([
      ctx.db.qaAnalysis.findFirst({ where: { caseId: ctx.kase.id, status: "DONE" }, orderBy: { createdAt: "desc" } }),
      ctx.db.volume.findUnique({ where: { caseId: ctx.kase.id }, select: { dims: true, spacing: true, sourceFormat: true, sha256: true } }),
      ctx.db.reviewRound.count({ where: { caseId: ctx.kase.id } }),
    ]);
    return {
      kase: { id: ctx.kase.id, label: ctx.kase.label, status: ctx.kase.status, project: ctx.kase.project.name },
      volume,
      rounds,
      result: version && {
        annotation: chosen!.name,
        version: version.version,
        versionId: version.id,
        createdAt: version.createdAt,
        provenance: version.provenance,
        measurements: version.measurements,
      },
      lesionKeyUrls: version ? Object.fromEntries(((version.measurements as { lesions?: { id: number }[] } | null)?.lesions ?? []).map((l) => [l.id, `/api/annotations/versions/${version.id}/lesions/${l.id}/key.png`])) : {},
      qa: qa && { agreement: qa.agreement, threshold: ctx.kase.project.agreementThreshold, result: qa.result, createdAt: qa.createdAt },
    };
  }),

  project: projectProcedure().query(({ ctx }) => projectReport(ctx.db, ctx.project.id)),

  /** Per round of the project's cases: how many readers voted with the round's outcome; per reader: how often they did. */
  agreement: projectProcedure().query(async ({ ctx }) => {
    const rounds = await ctx.db.reviewRound.findMany({
      where: { case: { projectId: ctx.project.id }, status: "CLOSED" },
      include: { votes: { include: { user: { select: { name: true } }, candidate: { select: { index: true } } } } },
      orderBy: [{ caseId: "asc" }, { index: "asc" }],
    });
    const byRound = new Map<number, { agree: number; votes: number }>();
    const byReader = new Map<string, { agree: number; votes: number }>();
    for (const r of rounds) {
      const choice = (r.consensus as { choice?: string | null } | null)?.choice ?? null;
      if (!choice || r.votes.length === 0) continue;
      for (const v of r.votes) {
        const agrees = `${v.kind}:${v.candidate?.index ?? "rec"}` === choice;
        const k = byRound.get(r.index) ?? { agree: 0, votes: 0 };
        byRound.set(r.index, { agree: k.agree + (agrees ? 1 : 0), votes: k.votes + 1 });
        const p = byReader.get(v.user.name) ?? { agree: 0, votes: 0 };
        byReader.set(v.user.name, { agree: p.agree + (agrees ? 1 : 0), votes: p.votes + 1 });
      }
    }
    return {
      perRound: [...byRound.entries()].sort((a, b) => a[0] - b[0]).map(([index, s]) => ({ round: index + 1, agreement: s.agree / s.votes, votes: s.votes })),
      perReader: [...byReader.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, s]) => ({ name, agreement: s.agree / s.votes, votes: s.votes })),
    };
  }),

  /** The institution's accepted preferences over time: volume ratio to the model's prior per structure. */
  profile: projectProcedure()
    .input(z.object({ structure: z.enum(["tumour", "liver"]).default("tumour") }))
    .query(async ({ ctx, input }) => {
      const obs = await ctx.db.preferenceObservation.findMany({
        where: { institutionId: ctx.project.institutionId, structure: input.structure },
        orderBy: { createdAt: "asc" },
        select: { createdAt: true, volumeRatio: true, deltaZ: true },
      });
      return obs.map((o) => ({ at: o.createdAt, volumeRatio: o.volumeRatio, shift: Math.hypot(...o.deltaZ) }));
    }),
});
