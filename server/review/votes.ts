// Votes and adjudication: the only way round state changes. A vote is checked (role, round open
// and current, candidate exists, not a duplicate), persisted (one per reader per round; a change
// before the round closes is allowed and audited), then the project's consensus rule runs on all
// of the round's votes. A decided PICK or a split closes the round and rectifies toward the votes;
// a decided ACCEPT makes the case final. Concurrent votes on one round are serialised by a row
// lock, so two readers voting at the same instant both count.
import { randomUUID } from "node:crypto";
import type { Candidate, Prisma, Project, ReviewRound } from "@prisma/client";
import { TRPCError } from "@trpc/server";
import { choiceKey, consensus, type Adjudication, type Choice, type ConsensusResult, type ConsensusRule } from "../../lib/uair";
import { audit } from "../audit";
import type { Db } from "../db/client";
import type { Queue } from "../queue/producer";
import { CHANNEL, MAX_PAYLOAD, type Realtime } from "../realtime/bus";
import { asJson, type RoundState } from "../review-state";
import type { Storage } from "../storage";
import { acceptedMask, finalizeAccept, type Accepted } from "./accept";
import { assertCurrentOpen, chosenCandidate, newSeed, openRound, stateOf } from "./rounds";

export interface ReviewDeps {
  db: Db;
  queue: Queue;
  storage: Storage;
  realtime: Realtime;
}

export interface Actor {
  userId: string;
  name: string;
  institutionId: string;
}

export interface VoteOutcome {
  consensus: ConsensusJson;
  /** the round rectified from this one, when the vote closed it */
  nextRoundId: string | null;
  jobRunId: string | null;
  accepted: Accepted | null;
}

/** How a round stands or closed, as stored on the round and shown to readers. */
export interface ConsensusJson {
  status: ConsensusResult["status"];
  choice: string | null;
  weights: Record<string, number>;
  cast: number;
  needed: number;
  reason: string;
  adjudicatedBy?: string;
}

type Kase = { id: string; projectId: string; project: Project };

export const consensusJson = (r: ConsensusResult, by?: string): ConsensusJson => ({
  status: r.status,
  choice: r.choice ? choiceKey(r.choice) : null,
  weights: Object.fromEntries(r.weights),
  cast: r.cast,
  needed: r.needed,
  reason: r.reason,
  ...(by ? { adjudicatedBy: by } : {}),
});

/**
 * What the project's rule says of an open round's votes, as readers see it: a split that cannot
 * close (no voted candidate, or the last round) stays open for an adjudicator.
 */
export function roundVerdict(
  project: { consensusRule: ConsensusRule; quorum: number | null; maxRounds: number },
  roundIndex: number,
  assigned: readonly string[],
  votes: readonly { userId: string; kind: "PICK" | "ACCEPT"; candidate: number | null }[],
): ConsensusResult {
  const raw = consensus({ rule: project.consensusRule, quorum: project.quorum, assigned, votes: new Map(votes.map((v) => [v.userId, { kind: v.kind, candidate: v.candidate }])) });
  return closable(raw, { index: roundIndex }, project);
}

/** The consensus rule on the round's current votes and an adjudication (the adjudicator's view: no split is held open). */
export async function evaluate(tx: Prisma.TransactionClient | Db, kase: Kase, round: ReviewRound, adjudication?: Adjudication | null): Promise<ConsensusResult> {
  const [votes, assigned] = await Promise.all([
    tx.vote.findMany({ where: { roundId: round.id }, include: { candidate: { select: { index: true } } } }),
    tx.caseAssignment.findMany({ where: { caseId: kase.id }, select: { userId: true } }),
  ]);
  const choices = new Map<string, Choice>(votes.map((v) => [v.userId, { kind: v.kind, candidate: v.candidate?.index ?? null }]));
  return consensus({ rule: kase.project.consensusRule, quorum: kase.project.quorum, assigned: assigned.map((a) => a.userId), votes: choices, adjudication });
}

const describe = (c: Choice) => `${c.kind === "ACCEPT" ? "accept" : "refine toward"} ${c.candidate === null ? "the recommended mask" : `candidate ${c.candidate + 1}`}`;

async function candidateOf(tx: Prisma.TransactionClient, round: ReviewRound, choice: Choice): Promise<Candidate | null> {
  return chosenCandidate(round.index, await tx.candidate.findMany({ where: { roundId: round.id } }), choice);
}

/**
 * Close the round on a decision or a split. PICK/split: the next round is created (its rectify job
 * is queued by the caller after the commit). ACCEPT: the case becomes final.
 */
async function closeRound(
  tx: Prisma.TransactionClient,
  deps: ReviewDeps,
  kase: Kase,
  round: ReviewRound,
  verdict: ConsensusResult,
  actor: Actor,
  opts: { focusSlice?: number; adjudicatedBy?: string },
): Promise<{ next: ReviewRound | null; accepted: Accepted | null }> {
  const choice = verdict.choice;
  const candidate = choice?.candidate != null ? await candidateOf(tx, round, choice) : null;
  const json = consensusJson(verdict, opts.adjudicatedBy);
  const closed = await tx.reviewRound.updateMany({
    where: { id: round.id, status: "OPEN" },
    data: { status: "CLOSED", closedAt: new Date(), consensusCandidateId: candidate?.id ?? null, consensus: asJson(json) },
  });
  if (closed.count === 0) throw new TRPCError({ code: "CONFLICT", message: `Round ${round.index + 1} was closed meanwhile` });
  await audit(tx, { actorId: actor.userId, institutionId: actor.institutionId, action: "review.round.close", entityType: "reviewRound", entityId: round.id, data: { ...json } });
  if (verdict.status === "decided" && choice?.kind === "ACCEPT") {
    const mask = await acceptedMask(deps.storage, round, candidate);
    return { next: null, accepted: await finalizeAccept(tx, { round, candidate, mask, actorId: actor.userId, institutionId: actor.institutionId, via: json.reason }) };
  }
  const state: RoundState = { mixture: stateOf(round).mixture, rectifyFrom: round.id, focusSlice: opts.focusSlice };
  const next = await tx.reviewRound.create({ data: { caseId: kase.id, index: round.index + 1, structure: round.structure, seed: newSeed(), model: round.model, state: asJson(state) } });
  return { next, accepted: null };
}

/** Whether a verdict may close the round: a split needs candidates to rectify toward and a round left to do it in. */
function closable(verdict: ConsensusResult, round: { index: number }, project: { maxRounds: number }): ConsensusResult {
  const last = round.index + 1 >= project.maxRounds;
  if (verdict.status === "split" && (verdict.weights.size === 0 || last)) {
    const why = last ? `round ${round.index + 1} is the last of ${project.maxRounds}` : "no candidate has a vote";
    return { ...verdict, status: "open", reason: `${verdict.reason} It stays open (${why}): an adjudicator decides.` };
  }
  return verdict;
}

async function afterClose(deps: ReviewDeps, kase: { id: string; projectId: string }, round: { id: string; index: number }, out: { next: ReviewRound | null; accepted: Accepted | null }): Promise<string | null> {
  let jobRunId: string | null = null;
  if (out.next) {
    ({ jobRunId } = await deps.queue.enqueue("rectify", { caseId: kase.id, roundId: out.next.id }, { caseId: kase.id }));
    await deps.db.reviewRound.update({ where: { id: out.next.id }, data: { jobRunId } });
  }
  // the accepted mask is measured (volumes, lesions, RECIST) by a worker
  if (out.accepted) await deps.queue.enqueue("measure", { caseId: kase.id, versionId: out.accepted.versionId }, { caseId: kase.id });
  const stage = out.accepted ? "accepted" : "closed";
  await deps.realtime.publish({ type: "round", caseId: kase.id, projectId: kase.projectId, roundId: round.id, index: round.index, status: "CLOSED", stage });
  if (out.accepted) await deps.realtime.publish({ type: "case", caseId: kase.id, projectId: kase.projectId, status: "FINAL", failureReason: null });
  return jobRunId;
}

interface LockedRound {
  id: string;
  index: number;
  status: string;
  caseId: string;
  projectId: string;
  institutionId: string;
  consensusRule: ConsensusRule;
  quorum: number | null;
  maxRounds: number;
  newest: number;
  candidates: { id: string; index: number }[] | null;
  votes: { userId: string; name: string; kind: "PICK" | "ACCEPT"; candidate: number | null; at: string }[] | null;
  assigned: string[] | null;
}

/**
 * The round, locked for this transaction (one vote at a time per round), with everything a vote
 * needs: its case and project settings, candidates, votes and the assigned readers, read in one
 * query without ORM planning on the hot path. A round of another case or institution is NOT_FOUND; a
 * closed, computing or superseded one, CONFLICT.
 */
async function lockOpenRound(tx: Prisma.TransactionClient, caseId: string, roundId: string, institutionId: string): Promise<LockedRound> {
  // the lock first, on its own: a statement that waited for it would still read the votes as they
  // were when it started (read committed), missing the vote it waited for
  await tx.$queryRaw`SELECT id FROM "ReviewRound" WHERE id = ${roundId} FOR UPDATE`;
  const [r] = await tx.$queryRaw<LockedRound[]>`
    SELECT r.id, r.index, r.status::text AS status, r."caseId", c."projectId", p."institutionId", p."consensusRule"::text AS "consensusRule", p.quorum, p."maxRounds",
      (SELECT max(x.index) FROM "ReviewRound" x WHERE x."caseId" = r."caseId") AS newest,
      (SELECT json_agg(json_build_object('id', k.id, 'index', k.index)) FROM "Candidate" k WHERE k."roundId" = r.id) AS candidates,
      (SELECT json_agg(json_build_object('userId', v."userId", 'name', u.name, 'kind', v.kind, 'candidate', k.index, 'at', to_char(v."updatedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY v."updatedAt")
         FROM "Vote" v JOIN "User" u ON u.id = v."userId" LEFT JOIN "Candidate" k ON k.id = v."candidateId" WHERE v."roundId" = r.id) AS votes,
      (SELECT json_agg(a."userId") FROM "CaseAssignment" a WHERE a."caseId" = r."caseId") AS assigned
    FROM "ReviewRound" r JOIN "Case" c ON c.id = r."caseId" JOIN "Project" p ON p.id = c."projectId"
    WHERE r.id = ${roundId}`;
  if (!r || r.caseId !== caseId || r.institutionId !== institutionId) throw new TRPCError({ code: "NOT_FOUND", message: "Review round not found" });
  assertCurrentOpen(r, r.newest);
  return r;
}

/** A reader's vote (new or changed). */
export async function castVote(deps: ReviewDeps, actor: Actor, caseId: string, input: { roundId: string; choice: Choice; focusSlice?: number }): Promise<VoteOutcome> {
  const { choice } = input;
  const result = await deps.db.$transaction(async (tx) => {
    const r = await lockOpenRound(tx, caseId, input.roundId, actor.institutionId);
    // timestamps are stored as UTC without a zone (Prisma's convention): read and written as such
    const votes = r.votes ?? [];
    const candidate = chosenCandidate(r.index, r.candidates ?? [], choice);
    if (choice.kind === "PICK" && r.index + 1 >= r.maxRounds) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${r.index + 1} is the last of ${r.maxRounds}: accept one of its masks` });
    }
    const before = votes.find((v) => v.userId === actor.userId);
    const previous: Choice | null = before ? { kind: before.kind, candidate: before.candidate } : null;
    if (previous && choiceKey(previous) === choiceKey(choice)) {
      throw new TRPCError({ code: "CONFLICT", message: `You already voted to ${describe(choice)} in round ${r.index + 1}` });
    }
    const at = new Date();
    const now = [...votes.filter((v) => v.userId !== actor.userId), { userId: actor.userId, name: actor.name, kind: choice.kind, candidate: choice.candidate, at: at.toISOString() }];
    const verdict = roundVerdict(r, r.index, r.assigned ?? [], now);
    // an open round's event carries its votes and verdict: every room updates without a read. It is
    // sent from inside the transaction, so events arrive in commit order.
    const full = { type: "review", caseId, projectId: r.projectId, what: "vote", roundId: r.id, votes: now, consensus: consensusJson(verdict) };
    const event = verdict.status === "open" && JSON.stringify(full).length <= MAX_PAYLOAD ? full : { type: "review", caseId, projectId: r.projectId, what: "vote" };
    const audit = JSON.stringify({ round: r.index, choice: choiceKey(choice), ...(previous ? { from: choiceKey(previous) } : {}) });
    await tx.$executeRaw`
      WITH vote AS (
        INSERT INTO "Vote" (id, "roundId", "userId", "candidateId", kind, "createdAt", "updatedAt")
        VALUES (${randomUUID()}, ${r.id}, ${actor.userId}, ${candidate?.id ?? null}, ${choice.kind}::"VoteKind",
                ${at.toISOString()}::timestamptz AT TIME ZONE 'UTC', ${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')
        ON CONFLICT ("roundId", "userId") DO UPDATE SET "candidateId" = EXCLUDED."candidateId", kind = EXCLUDED.kind, "updatedAt" = EXCLUDED."updatedAt"
        RETURNING id
      ), audit AS (
        INSERT INTO "AuditEvent" ("actorId", "institutionId", action, "entityType", "entityId", data)
        SELECT ${actor.userId}, ${actor.institutionId}, ${previous ? "review.vote.change" : "review.vote"}, 'reviewRound', ${r.id}, ${audit}::jsonb FROM vote
        RETURNING id
      )
      SELECT pg_notify(${CHANNEL}, ${JSON.stringify(event)}) FROM audit`;
    if (verdict.status === "open") return { r, verdict, out: { next: null, accepted: null } };
    // the round closes: the rare path, with the full records
    const [round, kase] = await Promise.all([tx.reviewRound.findUniqueOrThrow({ where: { id: r.id } }), tx.case.findUniqueOrThrow({ where: { id: caseId }, include: { project: true } })]);
    return { r, verdict, out: await closeRound(tx, deps, kase, round, verdict, actor, { focusSlice: input.focusSlice }) };
  });
  const { r, verdict, out } = result;
  const jobRunId = verdict.status === "open" ? null : await afterClose(deps, { id: caseId, projectId: r.projectId }, r, out);
  return { consensus: consensusJson(verdict), nextRoundId: out.next?.id ?? null, jobRunId, accepted: out.accepted };
}

/** An adjudicator decides the round (any rule) or closes it as a split. */
export async function adjudicate(deps: ReviewDeps, actor: Actor, kase: Kase, input: { roundId: string; adjudication: { action: "decide"; choice: Choice } | { action: "close" }; focusSlice?: number }): Promise<VoteOutcome> {
  const adjudication: Adjudication = { ...input.adjudication, by: actor.userId };
  const result = await deps.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "ReviewRound" WHERE id = ${input.roundId} FOR UPDATE`;
    const round = await openRound(tx, kase.id, input.roundId);
    if (adjudication.action === "decide") {
      await candidateOf(tx, round, adjudication.choice);
      if (adjudication.choice.kind === "PICK" && round.index + 1 >= kase.project.maxRounds) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} is the last of ${kase.project.maxRounds}: decide to accept one of its masks` });
      }
    }
    const verdict = await evaluate(tx, kase, round, adjudication);
    if (verdict.status === "split" && (verdict.weights.size === 0 || round.index + 1 >= kase.project.maxRounds)) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} cannot close as a split (${verdict.weights.size ? "it is the last round" : "no candidate has a vote"}): decide a candidate instead` });
    }
    await audit(tx, { actorId: actor.userId, institutionId: actor.institutionId, action: `review.adjudicate.${adjudication.action}`, entityType: "reviewRound", entityId: round.id, data: { round: round.index, ...(adjudication.action === "decide" ? { choice: choiceKey(adjudication.choice) } : {}) } });
    return { round, verdict, out: await closeRound(tx, deps, kase, round, verdict, actor, { focusSlice: input.focusSlice, adjudicatedBy: actor.userId }) };
  });
  const jobRunId = await afterClose(deps, kase, result.round, result.out);
  await deps.realtime.publish({ type: "review", caseId: kase.id, projectId: kase.projectId, what: "adjudication" });
  return { consensus: consensusJson(result.verdict, actor.userId), nextRoundId: result.out.next?.id ?? null, jobRunId, accepted: result.out.accepted };
}
