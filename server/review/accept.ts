// Accepting a round's mask: the case becomes FINAL, the mask a new version of the "UAIR consensus"
// annotation with its provenance (rounds, votes, model), and its latent offset an observation of
// the institution's preference profile. Runs inside the transaction that closed the round.
import type { Candidate, Prisma, ReviewRound } from "@prisma/client";
import { TRPCError } from "@trpc/server";
import { addObservation, describeProfile, emptyProfile, profileCovariance, profileFromJSON, profileToJSON, type Structure } from "../../lib/uair";
import { audit } from "../audit";
import { asJson } from "../review-state";
import { sha256Hex, type Storage } from "../storage";
import { acceptedObservation, stateOf } from "./rounds";

export const CONSENSUS_ANNOTATION = "UAIR consensus";
/** the result of a QA decision (a case's most authoritative result) */
export const QA_ANNOTATION = "QA consensus";

export interface Accepted {
  annotationId: string;
  versionId: string;
  profile: string | null;
}

/** The mask a choice names (a candidate's, or the recommended one) and its sha256. */
export async function acceptedMask(storage: Storage, round: ReviewRound, candidate: Candidate | null): Promise<{ maskKey: string; sha256: string }> {
  const maskKey = candidate?.maskKey ?? round.recommendedKey;
  if (!maskKey) throw new TRPCError({ code: "CONFLICT", message: `Round ${round.index + 1} has no recommended mask` });
  return { maskKey, sha256: sha256Hex(await storage.get(maskKey)) };
}

export async function finalizeAccept(
  tx: Prisma.TransactionClient,
  args: { round: ReviewRound; candidate: Candidate | null; mask: { maskKey: string; sha256: string }; actorId: string; institutionId: string; via: string },
): Promise<Accepted> {
  const { round, candidate, actorId, institutionId } = args;
  const caseId = round.caseId;
  const modelKey = round.model ?? "";
  await tx.case.update({ where: { id: caseId }, data: { status: "FINAL" } });
  const annotation = await tx.annotation.upsert({
    where: { caseId_name: { caseId, name: CONSENSUS_ANNOTATION } },
    create: { caseId, name: CONSENSUS_ANNOTATION, source: "CONSENSUS" },
    update: {},
    include: { versions: { orderBy: { version: "desc" }, take: 1 } },
  });
  const rounds = await tx.reviewRound.findMany({ where: { caseId }, orderBy: { index: "asc" }, include: { votes: true } });
  const version = await tx.annotationVersion.create({
    data: {
      annotationId: annotation.id,
      version: (annotation.versions[0]?.version ?? 0) + 1,
      maskKey: args.mask.maskKey,
      sha256: args.mask.sha256,
      createdById: actorId,
      provenance: asJson({
        model: modelKey,
        structure: round.structure,
        accepted: candidate ? `round ${round.index + 1}, candidate ${candidate.index + 1}` : `round ${round.index + 1}, recommended mask`,
        via: args.via,
        rounds: rounds.map((r) => ({
          index: r.index,
          status: r.status,
          seed: r.seed,
          consensus: r.consensus ?? null,
          votes: r.votes.map((v) => ({ userId: v.userId, candidateId: v.candidateId, kind: v.kind, at: v.updatedAt.toISOString() })),
        })),
      }),
    },
  });
  // the institution's style: Δz of what it accepted, per structure and model
  const obs = acceptedObservation(stateOf(round), candidate, round.structure);
  let profile: string | null = null;
  if (obs.deltaZ.length) {
    const key = { institutionId_structure_model: { institutionId, structure: round.structure, model: modelKey } };
    await tx.preferenceObservation.create({ data: { institutionId, caseId, roundId: round.id, structure: round.structure, model: modelKey, deltaZ: obs.deltaZ, volumeRatio: obs.volumeRatio } });
    const row = await tx.preferenceProfile.findUnique({ where: key });
    const before = row ? profileFromJSON(row.stats) : emptyProfile(round.structure as Structure, obs.deltaZ.length);
    const after = addObservation(before, obs.deltaZ, obs.volumeRatio);
    const data = { count: after.n, mean: Array.from(after.mean), covariance: Array.from(profileCovariance(after)), stats: asJson(profileToJSON(after)) };
    await tx.preferenceProfile.upsert({ where: key, create: { institutionId, structure: round.structure, model: modelKey, ...data }, update: data });
    profile = describeProfile(after);
  }
  await audit(tx, {
    actorId,
    institutionId,
    action: "review.accept",
    entityType: "case",
    entityId: caseId,
    data: { roundId: round.id, candidateIndex: candidate?.index ?? null, annotationVersionId: version.id, profile, via: args.via },
  });
  return { annotationId: annotation.id, versionId: version.id, profile };
}
