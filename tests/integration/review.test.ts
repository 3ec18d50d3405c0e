// The selection loop for one reader, end to end: a real worker runs the shipped model on real CT,
// publishes the slices in view first, opens round 0; a pick rectifies round 1; accepting makes the
// case final, writes the consensus annotation and the institution's profile. Stale rounds,
// duplicate votes and foreign institutions change nothing.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { decode as decodePng } from "fast-png";
import { readNifti } from "../../lib/imaging/nifti-read";
import { startUair, type UairServer } from "../../server/app";
import type { RealtimeEvent } from "../../server/realtime/bus";
import { freshDatabase } from "../helpers/db";
import { connected, emitAck, httpClient } from "../helpers/http-client";
import { until } from "../helpers/poll";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

let app: UairServer;
let world: Awaited<ReturnType<typeof makeWorld>>;
let caseId: string;
const reader = () => {
  const c = httpClient(app.url);
  return c.client.auth.signIn.mutate({ email: "reader@a.test", password: PASSWORD }).then(() => c);
};

beforeAll(async () => {
  app = await startUair({ env: testEnv({ DATABASE_URL: await freshDatabase(), PORT: "0", UAIR_WORKERS: "1", UAIR_CANDIDATE_SAMPLES: "8" }), log: () => undefined });
  world = await makeWorld(app.services.db);
  await app.services.db.project.update({ where: { id: world.projectA.id }, data: { candidateCount: 3, maxRounds: 3 } });
  const kase = await app.services.db.case.create({ data: { projectId: world.projectA.id, label: "patient A" } });
  caseId = kase.id;
  const key = `uploads/${kase.id}/ct.nii.gz`;
  await app.services.storage.put(key, new Uint8Array(fs.readFileSync(path.resolve("data/ct/patient-a/ct.nii.gz"))));
  await app.services.queue.enqueue("ingest", { caseId, uploadKeys: [key] }, { caseId });
  await until(() => app.services.db.case.findUniqueOrThrow({ where: { id: caseId } }), (c) => c.status === "READY", "ingest", 60_000);
}, 90_000);
afterAll(() => app?.close());

const roundOpen = (client: Awaited<ReturnType<typeof reader>>["client"], index: number) =>
  until(() => client.review.rounds.query({ caseId }), (rs) => rs[index]?.status === "OPEN", `round ${index + 1} open`, 90_000);

describe("review loop (one reader)", () => {
  it("round 0: the slices in view first, then the whole volume with K candidates, masks on the CT grid", async () => {
    const { client, socket, cookie } = await reader();
    const s = socket();
    await connected(s);
    expect(await emitAck(s, "case:join", caseId)).toEqual({ ok: true });
    const events: Extract<RealtimeEvent, { type: "round" }>[] = [];
    s.on("round", (e) => events.push(e));

    const { roundId } = await client.review.start.mutate({ caseId, structure: "tumour", focusSlice: 80 });
    await expect(client.review.start.mutate({ caseId })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    const rounds = await roundOpen(client, 0);
    await expect.poll(() => events.map((e) => e.stage), { timeout: 10_000 }).toEqual(["preview", "ready"]);
    s.close();

    const r0 = rounds[0];
    expect(r0).toMatchObject({ id: roundId, index: 0, structure: "tumour", priorSource: "model prior" });
    expect(r0.candidates.length).toBeGreaterThanOrEqual(1);
    expect(r0.candidates.length).toBeLessThanOrEqual(3);
    const summary = r0.summary as { pruned: { reason: string }[]; samples: number; timings: Record<string, number>; recommended: { liverMl: number } };
    // fewer than K only with a stated reason
    expect(r0.candidates.length + summary.pruned.length).toBeGreaterThanOrEqual(3);
    expect(summary.samples).toBe(8);
    expect(summary.recommended.liverMl).toBeGreaterThan(500); // patient A's liver is ~1.1 L
    expect(summary.timings.encodeMs).toBeGreaterThan(0);
    expect(r0.preview?.slices).toEqual([78, 82]);

    // masks download with the session, land on the CT's grid, and hold labels 0..2
    const res = await fetch(`${app.url}${r0.candidates[0].url}`, { headers: { cookie: cookie() } });
    expect(res.status).toBe(200);
    const mask = readNifti(new Uint8Array(await res.arrayBuffer()));
    expect(mask.dims).toEqual([122, 101, 112]);
    expect(Math.max(...new Set(mask.data))).toBeLessThanOrEqual(2);
    const preview = readNifti(new Uint8Array(await (await fetch(`${app.url}${r0.preview!.candidates[0].url}`, { headers: { cookie: cookie() } })).arrayBuffer()));
    expect(preview.dims).toEqual([122, 101, 5]);
    expect((await fetch(`${app.url}${r0.candidates[0].url}`)).status).toBe(401);

    // the samples' disagreement on the tumour: a percentage map on the same grid, clear where they agree (8 samples of a
    // lesion-free liver may agree everywhere; the map itself is unit-tested in lib/uair)
    const heat = readNifti(new Uint8Array(await (await fetch(`${app.url}${r0.uncertaintyUrl}`, { headers: { cookie: cookie() } })).arrayBuffer()));
    expect(heat.dims).toEqual([122, 101, 112]);
    expect(heat.nifti.description).toMatch(/sample disagreement/);
    const values = heat.data as Uint8Array;
    expect(Math.max(...new Set(values))).toBeLessThanOrEqual(100);
    expect(values.filter((v) => v === 0).length).toBeGreaterThan(values.length / 2);

    // the gallery: one slice of a mask over the CT as a PNG, coloured where the mask is
    const png = await fetch(`${app.url}${r0.candidates[0].url.replace(/\.nii\.gz$/, "")}/slice-95.png`, { headers: { cookie: cookie() } });
    expect(png.status).toBe(200);
    const img = decodePng(new Uint8Array(await png.arrayBuffer()));
    expect(img.channels).toBe(3);
    let tinted = 0;
    for (let p = 0; p < img.width * img.height; p++) if (img.data[p * 3] !== img.data[p * 3 + 1]) tinted++;
    expect(tinted).toBeGreaterThan(50); // patient A's liver is on slice 96
    expect((await fetch(`${app.url}/api/rounds/${r0.id}/candidate-0/slice-999.png`, { headers: { cookie: cookie() } })).status).toBe(400);
    expect((await fetch(`${app.url}/api/rounds/${r0.id}/candidate-0/slice-95.png`)).status).toBe(401);
  }, 120_000);

  it("another institution's reader cannot see or act on the review", async () => {
    const b = httpClient(app.url);
    await b.client.auth.signIn.mutate({ email: "reader@b.test", password: PASSWORD });
    const [r0] = await (await reader()).client.review.rounds.query({ caseId });
    await expect(b.client.review.rounds.query({ caseId })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    await expect(b.client.review.pick.mutate({ caseId, roundId: r0.id, candidateIndex: 0 })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    expect((await fetch(`${app.url}${r0.candidates[0].url}`, { headers: { cookie: b.cookie() } })).status).toBe(404);
    expect((await fetch(`${app.url}/api/rounds/${r0.id}/candidate-0/slice-10.png`, { headers: { cookie: b.cookie() } })).status).toBe(404);
  });

  it("a pick closes round 0 and rectifies round 1; a second vote or a stale round is refused and changes nothing", async () => {
    const { client } = await reader();
    const [r0] = await client.review.rounds.query({ caseId });
    await expect(client.review.pick.mutate({ caseId, roundId: r0.id, candidateIndex: 7 })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    // nobody is assigned to the case: one reader's pick is the consensus
    const picked = await client.review.pick.mutate({ caseId, roundId: r0.id, candidateIndex: 0 });
    expect(picked.consensus).toMatchObject({ status: "decided", choice: "PICK:0" });
    const nextRoundId = picked.nextRoundId!;
    await expect(client.review.pick.mutate({ caseId, roundId: r0.id, candidateIndex: 0 })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    const rounds = await roundOpen(client, 1);
    expect(rounds[0]).toMatchObject({ status: "CLOSED", consensusCandidateId: r0.candidates[0].id });
    expect(rounds[0].votes).toHaveLength(1);
    expect(rounds[1]).toMatchObject({ id: nextRoundId, index: 1 });
    expect(rounds[1].candidates.length).toBeGreaterThanOrEqual(1);

    // a rectify job that arrives late (round 1 is already open) is dropped, not applied
    const before = await app.services.db.candidate.findMany({ where: { roundId: nextRoundId }, orderBy: { index: "asc" } });
    const { jobRunId } = await app.services.queue.enqueue("rectify", { caseId, roundId: nextRoundId }, { caseId });
    const job = await until(() => app.services.db.jobRun.findUniqueOrThrow({ where: { id: jobRunId } }), (j) => j.status !== "QUEUED" && j.status !== "RUNNING", "stale job", 30_000);
    expect(job.status).toBe("SUCCEEDED");
    expect(job.result).toMatchObject({ dropped: expect.stringMatching(/round 1 is open/) });
    expect(await app.services.db.candidate.findMany({ where: { roundId: nextRoundId }, orderBy: { index: "asc" } })).toEqual(before);
  }, 120_000);

  it("accepting makes the case final with the consensus annotation and the institution's profile", async () => {
    const { client } = await reader();
    const rounds = await client.review.rounds.query({ caseId });
    const r1 = rounds[1];
    await expect(client.review.accept.mutate({ caseId, roundId: rounds[0].id, candidateIndex: 0 })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    const out = await client.review.accept.mutate({ caseId, roundId: r1.id, candidateIndex: 0 });
    expect(out.accepted?.profile).toMatch(/^tumour: .*n = 1/);
    await expect(client.review.accept.mutate({ caseId, roundId: r1.id, candidateIndex: 0 })).rejects.toMatchObject({ data: { code: "CONFLICT" } });

    const kase = await client.case.byId.query({ caseId });
    expect(kase.status).toBe("FINAL");
    const consensus = kase.annotations.find((a) => a.name === "UAIR consensus");
    expect(consensus).toMatchObject({ source: "CONSENSUS" });
    expect(consensus!.versions[0].provenance).toMatchObject({ accepted: "round 2, candidate 1", structure: "tumour" });
    const profile = await app.services.db.preferenceProfile.findFirstOrThrow({ where: { institutionId: world.a.id, structure: "tumour" } });
    expect(profile.count).toBe(1);
    expect(profile.mean).toHaveLength(6);
    expect(await app.services.db.preferenceProfile.count({ where: { institutionId: world.b.id } })).toBe(0);
    await expect(client.review.start.mutate({ caseId })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    const actions = (await app.services.db.auditEvent.findMany({ where: { institutionId: world.a.id, action: { startsWith: "review." } }, orderBy: { at: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["review.start", "review.round.open", "review.vote", "review.round.close", "review.round.open", "review.vote", "review.round.close", "review.accept"]);
  }, 60_000);
});

describe("touch-up after acceptance", () => {
  it("a brush/eraser edit saves the next version with who changed how many voxels; bad edits change nothing", async () => {
    const { client, cookie } = await reader();
    const kase = await client.case.byId.query({ caseId });
    const consensus = kase.annotations.find((a) => a.name === "UAIR consensus")!;
    const v1 = consensus.versions[0];
    const mask = readNifti(new Uint8Array(await (await fetch(`${app.url}/api/masks/${v1.id}.nii.gz`, { headers: { cookie: cookie() } })).arrayBuffer()));
    const labels = new Uint8Array(mask.data as Uint8Array);
    const put = (versionId: string, data: Uint8Array, who = cookie()) =>
      fetch(`${app.url}/api/annotations/versions/${versionId}/edit`, { method: "PUT", body: gzipSync(data), headers: { cookie: who, "content-type": "application/octet-stream" } });

    // refused, nothing saved: wrong size, a label that is not 0-2, no change, a stranger, no session
    expect((await put(v1.id, labels.subarray(1))).status).toBe(400);
    const bad = labels.slice();
    bad[10] = 7;
    const badReply = await put(v1.id, bad);
    expect(badReply.status).toBe(400);
    expect((await badReply.json()).error).toMatch(/label 7 at voxel 10/);
    expect((await put(v1.id, labels)).status).toBe(400);
    const b = httpClient(app.url);
    await b.client.auth.signIn.mutate({ email: "reader@b.test", password: PASSWORD });
    expect((await put(v1.id, labels, b.cookie())).status).toBe(404);
    expect((await put(v1.id, labels, "")).status).toBe(401);
    expect(await app.services.db.annotationVersion.count({ where: { annotationId: consensus.id } })).toBe(1);

    // paint 30 voxels tumour, erase 5 liver voxels
    const edited = labels.slice();
    const liver = [...labels.keys()].filter((i) => labels[i] === 1);
    for (const i of liver.slice(0, 30)) edited[i] = 2;
    for (const i of liver.slice(100, 105)) edited[i] = 0;
    const ok = await put(v1.id, edited);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ version: 2, changedVoxels: 35, added: { 2: 30 }, removed: { 1: 35 } });
    const after = (await client.case.byId.query({ caseId })).annotations.find((a) => a.name === "UAIR consensus")!;
    expect(after.versions[0]).toMatchObject({ version: 2, provenance: { edit: { basedOn: 1, by: "reader", changedVoxels: 35 } } });
    const saved = readNifti(new Uint8Array(await (await fetch(`${app.url}/api/masks/${after.versions[0].id}.nii.gz`, { headers: { cookie: cookie() } })).arrayBuffer()));
    expect(Buffer.from(saved.data as Uint8Array).equals(Buffer.from(edited))).toBe(true);
    // an edit of version 1 now is stale
    const stale = await put(v1.id, labels.map((v, i) => (i === liver[200] ? 2 : v)));
    expect(stale.status).toBe(409);
    expect(await app.services.db.annotationVersion.count({ where: { annotationId: consensus.id } })).toBe(2);
    expect(await app.services.db.auditEvent.count({ where: { action: "annotation.edit", entityId: consensus.id } })).toBe(1);
  }, 60_000);
});

describe("QA from the review", () => {
  it("each reader's pick of the newest voted round becomes a contour set, once; readers may not do it", async () => {
    const { client } = await reader();
    await expect(client.qa.fromRounds.mutate({ caseId })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    const admin = httpClient(app.url);
    await admin.client.auth.signIn.mutate({ email: "admin@a.test", password: PASSWORD });
    const out = await admin.client.qa.fromRounds.mutate({ caseId });
    expect(out).toEqual({ round: 2, created: 1, readers: 1 });
    const picks = await app.services.db.annotation.findFirstOrThrow({ where: { caseId, name: "reader's review pick" }, include: { versions: true } });
    const rounds = await client.review.rounds.query({ caseId });
    const picked = await app.services.db.candidate.findFirstOrThrow({ where: { roundId: rounds[1].id, index: 0 } });
    expect(picks.versions).toHaveLength(1);
    expect(picks.versions[0]).toMatchObject({ maskKey: picked.maskKey, provenance: { review: { round: 2, candidate: 1, vote: "ACCEPT" } } });
    expect(await admin.client.qa.fromRounds.mutate({ caseId })).toMatchObject({ created: 0 });
  }, 30_000);
});
