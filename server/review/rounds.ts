// Round bookkeeping shared by the review procedures: which round is current, the round a pick
// asks for, and the Δz / volume ratio an accepted candidate contributes to its institution.
import { randomInt } from "node:crypto";
import type { Prisma, ReviewRound } from "@prisma/client";
import { TRPCError } from "@trpc/server";
import { readRoundState, type RoundState } from "../review-state";
import type { Db } from "../db/client";

type Tx = Prisma.TransactionClient | Db;

export const newSeed = () => randomInt(0, 2 ** 31 - 1);

/** A round a reader acts on must be open and the newest of its case (`newest`: its highest round index); anything else is stale. */
export function assertCurrentOpen(round: { index: number; status: string }, newest: number): void {
  if (newest > round.index) {
    throw new TRPCError({ code: "CONFLICT", message: `Round ${round.index + 1} is over; the case has moved on to round ${newest + 1}` });
  }
  if (round.status !== "OPEN") {
    const what = round.status === "COMPUTING" ? "still computing its candidates" : `already ${round.status.toLowerCase()}`;
    throw new TRPCError({ code: "CONFLICT", message: `Round ${round.index + 1} is ${what}` });
  }
}

/** The round, if it is the case's and current (see assertCurrentOpen). */
export async function openRound(db: Tx, caseId: string, roundId: string): Promise<ReviewRound> {
  const round = await db.reviewRound.findUnique({ where: { id: roundId } });
  if (!round || round.caseId !== caseId) throw new TRPCError({ code: "NOT_FOUND", message: "Review round not found" });
  const newest = await db.reviewRound.findFirst({ where: { caseId }, orderBy: { index: "desc" }, select: { index: true } });
  assertCurrentOpen(round, newest?.index ?? round.index);
  return round;
}

/**
 * The candidate a choice names among the round's (null = the recommended mask, which can only be
 * accepted); BAD_REQUEST for a pick of the recommended mask or a candidate the round does not have.
 */
export function chosenCandidate<C extends { index: number }>(roundIndex: number, candidates: readonly C[], choice: { kind: string; candidate: number | null }): C | null {
  if (choice.candidate === null) {
    if (choice.kind === "PICK") throw new TRPCError({ code: "BAD_REQUEST", message: "A pick names a candidate; the recommended mask can only be accepted" });
    return null;
  }
  const candidate = candidates.find((c) => c.index === choice.candidate);
  if (!candidate) throw new TRPCError({ code: "BAD_REQUEST", message: `Round ${roundIndex + 1} has no candidate ${choice.candidate + 1}` });
  return candidate;
}

export function stateOf(round: ReviewRound): RoundState {
  return readRoundState(round.state);
}

/**
 * What an accepted mask says about the institution's style (method §5): its whitened code (a
 * candidate's medoid, or for the recommended mask the mean of the round's codes) and its target
 * volume relative to the prior mean's.
 */
export function acceptedObservation(state: RoundState, candidate: { index: number; summary: Prisma.JsonValue } | null, structure: string) {
  const dim = state.candidateCodes?.[0]?.length ?? 0;
  let delta: number[];
  if (candidate) {
    delta = state.candidateCodes?.[candidate.index] ?? [];
  } else {
    const codes = state.codes ?? [];
    const n = dim ? codes.length / dim : 0;
    delta = Array.from({ length: dim }, (_, d) => codes.reduce((s, v, i) => (i % dim === d ? s + v : s), 0) / Math.max(1, n));
  }
  const voxels = candidate
    ? Number((candidate.summary as Record<string, unknown>)[structure === "liver" ? "liverVoxels" : "tumourVoxels"] ?? NaN)
    : (state.recommendedTargetVoxels ?? NaN);
  const base = state.priorMeanTargetVoxels ?? 0;
  return { deltaZ: delta, volumeRatio: base > 0 && Number.isFinite(voxels) ? voxels / base : null };
}
