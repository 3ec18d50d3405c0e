// Several readers on one case, through the real server (socket.io rooms, tRPC, PostgreSQL): the
// consensus rules, vote changes and duplicates, adjudication, simultaneous votes, the shared
// document as a read-only projection, presence identity, reconnection and tenancy. Rounds are
// written directly (no model): these tests are about who may do what and what everyone sees.
import type { Role } from "@prisma/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CollabClient } from "../../app/_lib/collab-client";
import { hashPassword } from "../../server/auth/password";
import { startUair, type UairServer } from "../../server/app";
import { freshDatabase } from "../helpers/db";
import { connected, httpClient } from "../helpers/http-client";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

let app: UairServer;
let world: Awaited<ReturnType<typeof makeWorld>>;
const users: Record<string, { id: string; email: string }> = {};

beforeAll(async () => {
  app = await startUair({ env: testEnv({ DATABASE_URL: await freshDatabase(), PORT: "0", UAIR_WORKERS: "0" }), log: () => undefined });
  world = await makeWorld(app.services.db);
  const hash = await hashPassword(PASSWORD);
  const add = async (name: string, role: Role) => {
    const u = await app.services.db.user.create({ data: { email: `${name}@a.test`, name, passwordHash: hash } });
    await app.services.db.membership.create({ data: { userId: u.id, institutionId: world.a.id, role } });
    users[name] = { id: u.id, email: u.email };
  };
  for (const n of ["ana", "ben", "cai"]) await add(n, "READER");
  await add("judge", "ADJUDICATOR");
}, 60_000);
afterAll(() => app?.close());

async function signIn(name: string) {
  const c = httpClient(app.url);
  await c.client.auth.signIn.mutate({ email: users[name]?.email ?? `${name}@a.test`, password: PASSWORD });
  return c;
}

/** A case in review with an open round of `k` candidates (mask bytes stored), readers assigned. */
async function caseWithRound(opts: { rule?: "MAJORITY" | "UNANIMITY" | "ADJUDICATOR"; quorum?: number | null; assigned: string[]; k?: number }) {
  const db = app.services.db;
  const project = await db.project.create({
    data: { institutionId: world.a.id, name: `p-${Math.random().toString(36).slice(2, 8)}`, structures: ["tumour"], consensusRule: opts.rule ?? "MAJORITY", quorum: opts.quorum ?? null },
  });
  const kase = await db.case.create({ data: { projectId: project.id, label: "case", status: "IN_REVIEW" } });
  const state = { mixture: { dim: 2, weights: [1], means: [0, 0], variances: [1, 1] }, codes: [0, 0], component: [0], membership: [0], candidateCodes: [[0.5, 0], [-0.5, 0]] };
  const round = await db.reviewRound.create({ data: { caseId: kase.id, index: 0, status: "OPEN", structure: "tumour", state, recommendedKey: `rounds/${kase.id}/rec.nii.gz` } });
  await app.services.storage.put(`rounds/${kase.id}/rec.nii.gz`, new Uint8Array([1, 2, 3]));
  for (let i = 0; i < (opts.k ?? 3); i++) {
    const maskKey = `rounds/${kase.id}/candidate-${i}.nii.gz`;
    await app.services.storage.put(maskKey, new Uint8Array([i, i, i, 9]));
    await db.candidate.create({ data: { roundId: round.id, index: i, maskKey, summary: { tumourVoxels: 10 * (i + 1) } } });
  }
  for (const n of opts.assigned) await db.caseAssignment.create({ data: { caseId: kase.id, userId: users[n].id } });
  return { caseId: kase.id, roundId: round.id, projectId: project.id };
}

async function collab(name: string, caseId: string) {
  const c = await signIn(name);
  const s = c.socket();
  await connected(s);
  const client = new CollabClient(s, caseId);
  await client.join();
  return { ...c, s, client };
}

const eventually = <T>(fn: () => T, ms = 2000) => expect.poll(fn, { timeout: ms, interval: 20 });

describe("consensus rules", () => {
  it("majority (more than half of 3 assigned): one vote waits, the second for the same candidate closes the round and every reader sees it", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana", "ben", "cai"] });
    const [ana, ben, cai] = await Promise.all(["ana", "ben", "cai"].map((n) => collab(n, caseId)));
    const first = await ana.client.vote(roundId, "PICK", 1);
    expect(first).toMatchObject({ ok: true, consensus: { status: "open", cast: 1, needed: 2 } });
    // the pick reaches the others through the document
    for (const r of [ben, cai]) await eventually(() => r.client.state().votes.map((v) => [v.name, v.candidate])).toEqual([["ana", 1]]);
    await eventually(() => cai.client.state().round?.consensus?.reason).toMatch(/Waiting for 1 more vote/);
    const second = await ben.client.vote(roundId, "PICK", 1);
    expect(second).toMatchObject({ ok: true, consensus: { status: "decided", choice: "PICK:1" }, nextRoundId: expect.any(String) });
    for (const r of [ana, ben, cai]) await eventually(() => r.client.state().round?.index).toBe(1);
    const closed = await app.services.db.reviewRound.findUniqueOrThrow({ where: { id: roundId } });
    expect(closed).toMatchObject({ status: "CLOSED", consensus: { status: "decided", choice: "PICK:1", weights: { "1": 2 } } });
    // the rectify job was queued for the next round
    const next = await app.services.db.reviewRound.findUniqueOrThrow({ where: { id: second.nextRoundId! } });
    expect(next).toMatchObject({ index: 1, status: "COMPUTING", jobRunId: expect.any(String) });
    expect(await app.services.db.jobRun.findUniqueOrThrow({ where: { id: next.jobRunId! } })).toMatchObject({ kind: "rectify" });
    // a vote on the closed round is refused and changes nothing
    expect(await cai.client.vote(roundId, "PICK", 0)).toMatchObject({ ok: false, error: expect.stringMatching(/Round 1 is over/) });
    expect(await app.services.db.vote.count({ where: { roundId } })).toBe(2);
    for (const r of [ana, ben, cai]) r.s.close();
  });

  it("a split (1–1 with both assigned readers voted) closes with the votes as weights", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana", "ben"] });
    const { client: ana } = await signIn("ana");
    const { client: ben } = await signIn("ben");
    expect(await ana.review.pick.mutate({ caseId, roundId, candidateIndex: 0 })).toMatchObject({ consensus: { status: "open" }, nextRoundId: null });
    const out = await ben.review.pick.mutate({ caseId, roundId, candidateIndex: 2 });
    expect(out.consensus).toMatchObject({ status: "split", weights: { "0": 1, "2": 1 }, reason: expect.stringMatching(/Split/) });
    expect(out.nextRoundId).toEqual(expect.any(String));
  });

  it("quorum 0.6 of 5 needs 3 votes", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana", "ben", "cai", "judge"], quorum: 0.6 });
    const votes = [];
    for (const n of ["ana", "ben", "cai"]) votes.push(await (await signIn(n)).client.review.pick.mutate({ caseId, roundId, candidateIndex: 1 }));
    // 0.6 x 4 = 2.4 -> 3 votes
    expect(votes.map((v) => v.consensus.status)).toEqual(["open", "open", "decided"]);
    expect(votes[2].consensus.needed).toBe(3);
  });

  it("unanimity: readers who disagree keep the round open; a changed vote (audited) closes it", async () => {
    const { caseId, roundId } = await caseWithRound({ rule: "UNANIMITY", assigned: ["ana", "ben"] });
    const { client: ana } = await signIn("ana");
    const { client: ben } = await signIn("ben");
    await ana.review.pick.mutate({ caseId, roundId, candidateIndex: 0 });
    const disagree = await ben.review.pick.mutate({ caseId, roundId, candidateIndex: 1 });
    expect(disagree.consensus).toMatchObject({ status: "open", reason: expect.stringMatching(/disagree/) });
    // the same vote again is a duplicate: refused, nothing changes
    await expect(ben.review.pick.mutate({ caseId, roundId, candidateIndex: 1 })).rejects.toMatchObject({ data: { code: "CONFLICT" }, message: expect.stringMatching(/already voted to refine toward candidate 2/) });
    const agreed = await ben.review.pick.mutate({ caseId, roundId, candidateIndex: 0 });
    expect(agreed.consensus).toMatchObject({ status: "decided", choice: "PICK:0" });
    const changes = await app.services.db.auditEvent.findMany({ where: { entityId: roundId, action: { startsWith: "review.vote" } }, orderBy: { at: "asc" } });
    expect(changes.map((e) => [e.action, e.data])).toEqual([
      ["review.vote", { round: 0, choice: "PICK:0" }],
      ["review.vote", { round: 0, choice: "PICK:1" }],
      ["review.vote.change", { round: 0, choice: "PICK:0", from: "PICK:1" }],
    ]);
  });

  it("adjudicator rule: votes never close the round; only an adjudicator decides, and an accept makes the case final", async () => {
    const { caseId, roundId } = await caseWithRound({ rule: "ADJUDICATOR", assigned: ["ana", "ben"] });
    const { client: ana } = await signIn("ana");
    const { client: ben } = await signIn("ben");
    const { client: judge } = await signIn("judge");
    await ana.review.accept.mutate({ caseId, roundId, candidateIndex: 2 });
    expect((await ben.review.accept.mutate({ caseId, roundId, candidateIndex: 2 })).consensus).toMatchObject({ status: "open", reason: expect.stringMatching(/adjudicator/) });
    await expect(ana.review.adjudicate.mutate({ caseId, roundId, action: "decide", choice: { kind: "ACCEPT", candidate: 2 } })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(judge.review.adjudicate.mutate({ caseId, roundId, action: "decide", choice: { kind: "ACCEPT", candidate: 7 } })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    const out = await judge.review.adjudicate.mutate({ caseId, roundId, action: "decide", choice: { kind: "ACCEPT", candidate: 2 } });
    expect(out.accepted).toMatchObject({ annotationId: expect.any(String) });
    expect(out.consensus).toMatchObject({ status: "decided", choice: "ACCEPT:2", adjudicatedBy: users.judge.id });
    const kase = await app.services.db.case.findUniqueOrThrow({ where: { id: caseId }, include: { annotations: { include: { versions: true } } } });
    expect(kase.status).toBe("FINAL");
    expect(kase.annotations[0].versions[0]).toMatchObject({ maskKey: `rounds/${caseId}/candidate-2.nii.gz` });
  });

  it("two readers voting at the same instant both count, and the round closes once", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana", "ben"], quorum: 1 });
    const [a, b] = await Promise.all([collab("ana", caseId), collab("ben", caseId)]);
    const [ra, rb] = await Promise.all([a.client.vote(roundId, "PICK", 2), b.client.vote(roundId, "PICK", 2)]);
    const statuses = [ra, rb].map((r) => r.consensus?.status).sort();
    expect(statuses).toEqual(["decided", "open"]);
    expect(await app.services.db.vote.count({ where: { roundId } })).toBe(2);
    expect(await app.services.db.reviewRound.count({ where: { caseId } })).toBe(2);
    a.s.close();
    b.s.close();
  });

  it("bad votes are refused with a reason and change nothing: unknown candidate, a pick of the recommended mask, a stranger's case", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana", "ben"] });
    const { client: ana } = await signIn("ana");
    await expect(ana.review.pick.mutate({ caseId, roundId, candidateIndex: 5 })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: "Round 1 has no candidate 6" });
    const a = await collab("ana", caseId);
    expect(await a.client.vote(roundId, "PICK", null)).toMatchObject({ ok: false, error: expect.stringMatching(/recommended mask can only be accepted/) });
    expect(await a.client.vote(roundId, "MAYBE" as never, 1)).toMatchObject({ ok: false });
    const stranger = httpClient(app.url);
    await stranger.client.auth.signIn.mutate({ email: "reader@b.test", password: PASSWORD });
    await expect(stranger.client.review.pick.mutate({ caseId, roundId, candidateIndex: 0 })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    expect(await app.services.db.vote.count({ where: { roundId } })).toBe(0);
    a.s.close();
  });
});

describe("the shared document and presence", () => {
  it("a reader of another institution cannot join the room", async () => {
    const { caseId } = await caseWithRound({ assigned: [] });
    const b = httpClient(app.url);
    await b.client.auth.signIn.mutate({ email: "reader@b.test", password: PASSWORD });
    const s = b.socket();
    await connected(s);
    const client = new CollabClient(s, caseId);
    await expect(client.join()).rejects.toThrow(/Case not found/);
    expect(client.state().round).toBeNull();
    s.close();
  });

  it("a client that writes the document is refused and audited; the server's document is unchanged", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana"] });
    const a = await collab("ana", caseId);
    const forged = new Y.Doc();
    forged.getMap("votes").set(users.ana.id, { userId: users.ana.id, name: "ana", kind: "ACCEPT", candidate: 0, at: new Date().toISOString() });
    const reply = await new Promise<{ ok: boolean; error?: string }>((r) => a.s.emit("collab:update", caseId, Y.encodeStateAsUpdate(forged), r));
    expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(/written by the server only/) });
    const doc = await app.collab.docOf(caseId);
    expect(doc!.getMap("votes").size).toBe(0);
    expect(await app.services.db.vote.count({ where: { roundId } })).toBe(0);
    const refused = await app.services.db.auditEvent.findFirst({ where: { action: "collab.write.refused", entityId: caseId } });
    expect(refused).toMatchObject({ actorId: users.ana.id, institutionId: world.a.id });
    a.s.close();
  });

  it("presence carries the session's identity, whatever the client claims, and leaves with the reader", async () => {
    const { caseId } = await caseWithRound({ assigned: [] });
    const [a, b] = await Promise.all([collab("ana", caseId), collab("ben", caseId)]);
    a.client.awareness.setLocalState({ slice: 42, hovered: 1, user: { id: users.judge.id, name: "judge", color: "#000" }, junk: "x".repeat(10) });
    await eventually(() => b.client.others().map((p) => [p.user.name, p.slice, p.hovered])).toEqual([["ana", 42, 1]]);
    expect(b.client.others()[0]).not.toHaveProperty("junk");
    a.s.close();
    await eventually(() => b.client.others()).toEqual([]);
    b.s.close();
  });

  it("a reader who drops off and comes back gets what was missed, without losing anything", async () => {
    const { caseId, roundId } = await caseWithRound({ assigned: ["ana", "ben", "cai"] });
    const a = await collab("ana", caseId);
    const { client: ben } = await signIn("ben");
    a.s.disconnect();
    await ben.review.pick.mutate({ caseId, roundId, candidateIndex: 0 });
    await ben.review.comment.mutate({ caseId, text: "margin at segment 7", slice: 12, position: [1, 2, 3] });
    expect(a.client.state().votes).toEqual([]);
    a.s.connect();
    await eventually(() => a.client.state().votes.map((v) => v.name)).toEqual(["ben"]);
    await eventually(() => a.client.state().comments.map((c) => [c.name, c.slice, c.text])).toEqual([["ben", 12, "margin at segment 7"]]);
    // ana's own vote after the reconnect closes the round (2 of 3)
    expect(await a.client.vote(roundId, "PICK", 0)).toMatchObject({ ok: true, consensus: { status: "decided" } });
    a.s.close();
  });

  it("assignments: admins only, members of the institution only; the queue lists what waits for me", async () => {
    const { caseId } = await caseWithRound({ assigned: [] });
    const { client: ana } = await signIn("ana");
    const admin = httpClient(app.url);
    await admin.client.auth.signIn.mutate({ email: "admin@a.test", password: PASSWORD });
    await expect(ana.assignment.set.mutate({ caseId, userIds: [users.ana.id] })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(admin.client.assignment.set.mutate({ caseId, userIds: [users.ana.id, world.readerB.id] })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    expect(await app.services.db.caseAssignment.count({ where: { caseId } })).toBe(0);
    await admin.client.assignment.set.mutate({ caseId, userIds: [users.ana.id, users.ben.id] });
    expect((await ana.assignment.forCase.query({ caseId })).assigned.map((a) => a.name)).toEqual(["ana", "ben"]);
    const queue = await ana.assignment.queue.query();
    expect(queue.find((q) => q.caseId === caseId)).toMatchObject({ waitingForMe: true, round: { index: 0, status: "OPEN", voted: false } });
  });
});
