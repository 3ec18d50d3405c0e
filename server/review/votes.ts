// Votes and adjudication: the only way round state changes. A vote is checked (role, round open
// and current, candidate exists, not a duplicate), persisted (one per reader per round; a change
// before the round closes is allowed and audited), then the project's consensus rule runs on all
// of the round's votes. A decided PICK or a split closes the round and rectifies toward the votes;
// a decided ACCEPT makes the case final. Concurrent votes on one round are serialised by a row
// lock, so two readers voting at the same instant both count.
import type { Candidate, Prisma, Project, ReviewRound } from "@prisma/client";
import { TRPCError } from "@trpc/server";
import { choiceKey, consensus, type Adjudication, type Choice, type ConsensusResult } from "../../lib/uair";
import { audit } from "../audit";
import type { Db } from "../db/client";
import type { Queue } from "../queue/producer";
import type { Realtime } from "../realtime/bus";
import { asJson, type RoundState } from "../review-state";
import type { Storage } from "../storage";
import { acceptedMask, finalizeAccept, type Accepted } from "./accept";
import { newSeed, openRound, stateOf } from "./rounds";

export interface ReviewDeps {
  db: Db;
  queue: Queue;
  storage: Storage;
  realtime: Realtime;
}

export interface Actor {
  userId: string;
  institutionId: string;
  role: string;
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

/** The consensus rule on the round's current votes (and an adjudication, if any). */
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
  if (choice.candidate === null) {
    if (choice.kind === "PICK") throw new TRPCError({ code: "BAD_REQUEST", message: "A pick names a candidate; the recommended mask can only be accepted" });
    return null;
  }
  const candidate = await tx.candidate.findUnique({ where: { roundId_index: { roundId: round.id, index: choice.candidate } } });
  if (!candidate) throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} has no candidate ${choice.candidate + 1}` });
  return candidate;
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
function closable(verdict: ConsensusResult, round: ReviewRound, project: Project): ConsensusResult {
  const last = round.index + 1 >= project.maxRounds;
  if (verdict.status === "split" && (verdict.weights.size === 0 || last)) {
    const why = last ? `round ${round.index + 1} is the last of ${project.maxRounds}` : "no candidate has a vote";
    return { ...verdict, status: "open", reason: `${verdict.reason} It stays open (${why}): an adjudicator decides.` };
  }
  return verdict;
}

async function afterClose(deps: ReviewDeps, kase: Kase, round: ReviewRound, out: { next: ReviewRound | null; accepted: Accepted | null }): Promise<string | null> {
  let jobRunId: string | null = null;
  if (out.next) {
    ({ jobRunId } = await deps.queue.enqueue("rectify", { caseId: kase.id, roundId: out.next.id }, { caseId: kase.id }));
    await deps.db.reviewRound.update({ where: { id: out.next.id }, data: { jobRunId } });
  }
  const stage = out.accepted ? "accepted" : "closed";
  await deps.realtime.publish({ type: "round", caseId: kase.id, projectId: kase.projectId, roundId: round.id, index: round.index, status: "CLOSED", stage });
  if (out.accepted) await deps.realtime.publish({ type: "case", caseId: kase.id, projectId: kase.projectId, status: "FINAL", failureReason: null });
  return jobRunId;
}

/** A reader's vote (new or changed). */
export async function castVote(deps: ReviewDeps, actor: Actor, kase: Kase, input: { roundId: string; choice: Choice; focusSlice?: number }): Promise<VoteOutcome> {
  const { choice } = input;
  const result = await deps.db.$transaction(async (tx) => {
    // one vote at a time per round: the consensus below sees every vote committed before it
    await tx.$queryRaw`SELECT id FROM "ReviewRound" WHERE id = ${input.roundId} FOR UPDATE`;
    const round = await openRound(tx, kase.id, input.roundId);
    const candidate = await candidateOf(tx, round, choice);
    if (choice.kind === "PICK" && round.index + 1 >= kase.project.maxRounds) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${round.index + 1} is the last of ${kase.project.maxRounds}: accept one of its masks` });
    }
    const before = await tx.vote.findUnique({ where: { roundId_userId: { roundId: round.id, userId: actor.userId } }, include: { candidate: { select: { index: true } } } });
    const previous: Choice | null = before ? { kind: before.kind, candidate: before.candidate?.index ?? null } : null;
    if (previous && choiceKey(previous) === choiceKey(choice)) {
      throw new TRPCError({ code: "CONFLICT", message: `You already voted to ${describe(choice)} in round ${round.index + 1}` });
    }
    if (before) await tx.vote.update({ where: { id: before.id }, data: { kind: choice.kind, candidateId: candidate?.id ?? null } });
    else await tx.vote.create({ data: { roundId: round.id, userId: actor.userId, kind: choice.kind, candidateId: candidate?.id ?? null } });
    await audit(tx, {
      actorId: actor.userId,
      institutionId: actor.institutionId,
      action: previous ? "review.vote.change" : "review.vote",
      entityType: "reviewRound",
      entityId: round.id,
      data: { round: round.index, choice: choiceKey(choice), ...(previous ? { from: choiceKey(previous) } : {}) },
    });
    const verdict = closable(await evaluate(tx, kase, round), round, kase.project);
    if (verdict.status === "open") return { round, verdict, out: { next: null, accepted: null } };
    return { round, verdict, out: await closeRound(tx, deps, kase, round, verdict, actor, { focusSlice: input.focusSlice }) };
  });
  const jobRunId = result.verdict.status === "open" ? null : await afterClose(deps, kase, result.round, result.out);
  await deps.realtime.publish({ type: "review", caseId: kase.id, projectId: kase.projectId, what: "vote" });
  return { consensus: consensusJson(result.verdict), nextRoundId: result.out.next?.id ?? null, jobRunId, accepted: result.out.accepted };
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
