// What a case's shared document shows, read from PostgreSQL (the source of truth): the case's
// status and consensus rule, the assigned readers, the newest round with its candidates, votes and
// the consensus rule's current verdict, the round history and the comments.
import { TRPCError } from "@trpc/server";
import type { CaseDocState, DocRound } from "../../lib/collab/doc";
import { caseFor } from "../auth/access";
import type { SessionUser } from "../auth/session";
import { audit } from "../audit";
import type { Db } from "../db/client";
import { castVote, consensusJson, roundVerdict, type ConsensusJson, type ReviewDeps } from "../review/votes";
import { z } from "zod";
import type { CollabHooks } from "./rooms";

const COMMENTS_SHOWN = 500;

export async function projectCase(db: Db, caseId: string): Promise<CaseDocState> {
  const kase = await db.case.findUnique({ where: { id: caseId }, include: { project: true } });
  if (!kase) throw new TRPCError({ code: "NOT_FOUND", message: "Case not found" });
  const [assignments, rounds, comments] = await Promise.all([
    db.caseAssignment.findMany({ where: { caseId }, include: { user: { select: { id: true, name: true, memberships: { where: { institutionId: kase.project.institutionId }, select: { role: true } } } } }, orderBy: { createdAt: "asc" } }),
    db.reviewRound.findMany({
      where: { caseId },
      orderBy: { index: "asc" },
      include: { candidates: { orderBy: { index: "asc" }, select: { index: true, summary: true } }, votes: { include: { user: { select: { name: true } }, candidate: { select: { index: true } } } } },
    }),
    db.comment.findMany({ where: { caseId }, orderBy: { createdAt: "desc" }, take: COMMENTS_SHOWN, include: { user: { select: { name: true } } } }),
  ]);
  const current = rounds.at(-1) ?? null;
  let round: DocRound | null = null;
  if (current) {
    // an open round shows the rule's verdict so far; a closed one, how it closed
    const verdict: ConsensusJson | null =
      current.status === "OPEN"
        ? consensusJson(roundVerdict(kase.project, current.index, assignments.map((a) => a.user.id), current.votes.map((v) => ({ userId: v.userId, kind: v.kind, candidate: v.candidate?.index ?? null }))))
        : ((current.consensus as ConsensusJson | null) ?? null);
    const stage = (current.summary as { preview?: unknown } | null)?.preview ? (current.status === "COMPUTING" ? "preview" : "ready") : null;
    round = {
      id: current.id,
      index: current.index,
      status: current.status,
      structure: current.structure,
      stage,
      candidates: current.status === "COMPUTING" ? [] : current.candidates.map((c) => ({ index: c.index, summary: c.summary as Record<string, unknown> })),
      consensus: verdict && { status: verdict.status, reason: verdict.reason, cast: verdict.cast, needed: verdict.needed, choice: verdict.choice },
    };
  }
  const roundIndex = new Map(rounds.map((r) => [r.id, r.index]));
  return {
    caseStatus: kase.status,
    rule: kase.project.consensusRule,
    quorum: kase.project.quorum,
    assigned: assignments.map((a) => ({ id: a.user.id, name: a.user.name, role: a.user.memberships[0]?.role ?? "" })),
    round,
    votes: (current?.votes ?? []).map((v) => ({ userId: v.userId, name: v.user.name, kind: v.kind, candidate: v.candidate?.index ?? null, at: v.updatedAt.toISOString() })),
    comments: comments.map((c) => ({ id: c.id, userId: c.userId, name: c.user.name, roundIndex: c.roundId ? (roundIndex.get(c.roundId) ?? null) : null, slice: c.slice, position: c.position, text: c.text, at: c.createdAt.toISOString() })),
    history: rounds.map((r) => ({
      index: r.index,
      status: r.status,
      picks: r.votes.map((v) => ({ name: v.user.name, kind: v.kind, candidate: v.candidate?.index ?? null })),
      consensus: (r.consensus as ConsensusJson | null)?.reason ?? null,
    })),
  };
}

const voteSchema = z.object({ roundId: z.string().min(1), kind: z.enum(["PICK", "ACCEPT"]), candidate: z.number().int().nonnegative().nullable(), focusSlice: z.number().int().nonnegative().optional() });

/** The hooks of the collaboration rooms, backed by PostgreSQL, the access rules and the audit log. */
export function collabHooks(services: ReviewDeps): CollabHooks {
  const { db } = services;
  return {
    authorize: async (user: SessionUser, caseId: string) => {
      const { institutionId } = await caseFor(db, user, caseId);
      return { institutionId };
    },
    vote: async (user, access, caseId, body) => {
      const input = voteSchema.safeParse(body);
      if (!input.success) throw new TRPCError({ code: "BAD_REQUEST", message: input.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
      const { roundId, kind, candidate, focusSlice } = input.data;
      const out = await castVote(services, { userId: user.userId, name: user.name, institutionId: access.institutionId }, caseId, { roundId, choice: { kind, candidate }, focusSlice });
      return { ...out };
    },
    project: (caseId) => projectCase(db, caseId),
    load: async (caseId) => {
      const row = await db.collabDocument.findUnique({ where: { caseId } });
      return row ? new Uint8Array(row.state) : null;
    },
    store: async (caseId, state) => {
      const bytes = Buffer.from(state);
      await db.collabDocument.upsert({ where: { caseId }, create: { caseId, state: bytes }, update: { state: bytes } });
    },
    refused: async (user, caseId, what) => {
      const kase = await db.case.findUnique({ where: { id: caseId }, include: { project: { select: { institutionId: true } } } });
      const member = kase && user.memberships.some((m) => m.institutionId === kase.project.institutionId);
      await audit(db, {
        actorId: user.userId,
        institutionId: member ? kase!.project.institutionId : null,
        action: "collab.write.refused",
        entityType: "case",
        entityId: caseId,
        data: { what },
      });
    },
  };
}
