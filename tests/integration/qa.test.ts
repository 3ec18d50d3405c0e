// QA of contour sets end to end with a real worker: three tumour contour sets of one CT (a tight
// and a generous reader of the synthetic lesions, and a reader who missed the largest lesion and
// marked a false one) are imported and measured, analysed (pairwise agreement, STAPLE, hot spots,
// per-lesion agreement), flagged against the project's threshold, accepted as the consensus (which
// is measured), reported, and exported as CSV that reads back the same as the JSON export.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNifti } from "../../lib/imaging/nifti-read";
import { writeNifti } from "../../lib/imaging/nifti-write";
import type { Measurements } from "../../lib/measure";
import { parseCsv } from "../../lib/report/csv";
import { connectedComponents3d } from "../../lib/uair";
import { startUair, type UairServer } from "../../server/app";
import { freshDatabase } from "../helpers/db";
import { httpClient } from "../helpers/http-client";
import { until } from "../helpers/poll";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

let app: UairServer;
let world: Awaited<ReturnType<typeof makeWorld>>;
let caseId: string;
const DATA = "data/eval-synthetic/patient-a";

async function signIn(email: string) {
  const c = httpClient(app.url);
  await c.client.auth.signIn.mutate({ email, password: PASSWORD });
  return c;
}

/** The tight reader without its largest lesion, plus a false lesion in the liver far from the others. */
function thirdReader(): Uint8Array {
  const tight = readNifti(new Uint8Array(fs.readFileSync(`${DATA}/tight.nii.gz`)));
  const labels = new Uint8Array(tight.data as Uint8Array);
  const tumour = labels.map((v) => (v === 2 ? 1 : 0));
  const { labels: parts, sizes } = connectedComponents3d(tumour, tight.dims);
  const largest = sizes.indexOf(Math.max(...sizes)) + 1;
  for (let i = 0; i < labels.length; i++) if (parts[i] === largest) labels[i] = 1;
  // a 3x3x2 "lesion" on liver voxels no tumour is near
  const liver = [...labels.keys()].filter((i) => labels[i] === 1);
  const at = liver[Math.floor(liver.length / 2)];
  const [nx, ny] = tight.dims;
  for (let dz = 0; dz < 2; dz++) for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) labels[at + dx + nx * (dy + ny * dz)] = 2;
  return writeNifti({ ...tight, data: labels }, { isLabel: true });
}

beforeAll(async () => {
  app = await startUair({ env: testEnv({ DATABASE_URL: await freshDatabase(), PORT: "0", UAIR_WORKERS: "1" }), log: () => undefined });
  world = await makeWorld(app.services.db);
  const { services } = app;
  const kase = await services.db.case.create({ data: { projectId: world.projectA.id, label: "synthetic lesions" } });
  caseId = kase.id;
  await services.storage.put(`uploads/${caseId}/ct.nii.gz`, new Uint8Array(fs.readFileSync(`${DATA}/ct.nii.gz`)));
  await services.queue.enqueue("ingest", { caseId, uploadKeys: [`uploads/${caseId}/ct.nii.gz`] }, { caseId });
  await until(() => services.db.case.findUniqueOrThrow({ where: { id: caseId } }), (c) => c.status === "READY", "ingest", 60_000);
  const sets: [string, Uint8Array][] = [
    ["Reader tight", new Uint8Array(fs.readFileSync(`${DATA}/tight.nii.gz`))],
    ["Reader generous", new Uint8Array(fs.readFileSync(`${DATA}/generous.nii.gz`))],
    ["Reader three", thirdReader()],
  ];
  for (const [name, bytes] of sets) {
    const key = `label-uploads/${caseId}/${name.replace(/ /g, "-")}.nii.gz`;
    await services.storage.put(key, bytes);
    await services.queue.enqueue("import-label", { caseId, key, name, sourceValue: null, actorId: world.adminA.id }, { caseId });
  }
  await until(() => services.db.annotationVersion.count({ where: { annotation: { caseId }, measurements: { not: { equals: null } } } }), (n) => n === 3, "imports measured", 60_000);
}, 120_000);
afterAll(() => app?.close());

describe("contour QA", () => {
  it("every imported contour set is measured: volumes, lesions with RECIST diameters, burden", async () => {
    const v = await app.services.db.annotationVersion.findFirstOrThrow({ where: { annotation: { caseId, name: "Reader tight" } } });
    const m = v.measurements as unknown as Measurements;
    expect(m.lesionCount).toBe(4); // the four synthetic lesions
    expect(m.liverMl).toBeGreaterThan(500);
    expect(m.burden).toBeCloseTo(m.tumourMl / m.liverMl, 10);
    expect(m.lesions[0].longAxisMm).toBeGreaterThan(m.lesions[0].shortAxisMm - 1e-9);
  });

  it("the analysis: pairwise agreement, STAPLE, hot spots, the missed lesion; refusals change nothing", async () => {
    const admin = await signIn("admin@a.test");
    const reader = await signIn("reader@a.test");
    await expect(reader.client.qa.start.mutate({ caseId })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    const one = (await admin.client.case.byId.query({ caseId })).annotations[0].versions[0].id;
    await expect(admin.client.qa.start.mutate({ caseId, versionIds: [one] })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    expect(await app.services.db.qaAnalysis.count({ where: { caseId } })).toBe(0);

    await admin.client.qa.start.mutate({ caseId, structure: "tumour" });
    const a = await until(() => admin.client.qa.latest.query({ caseId }), (x) => x?.status === "DONE" || x?.status === "FAILED", "analysis", 60_000);
    expect(a!.status).toBe("DONE");
    const r = a!.result as {
      readers: { name: string }[];
      pairwise: { dice: number[][]; hd95Mm: number[][]; surfaceDice: number[][] };
      meanPairwiseDice: number;
      staple: { sensitivity: number[]; specificity: number[]; diceToConsensus: number[] };
      hotSpots: { voxels: number }[];
      lesions: { detectedBy: boolean[] }[];
    };
    // the imports ran concurrently: find each reader's column by name
    expect(r.readers.map((x) => x.name).sort()).toEqual(["Reader generous", "Reader three", "Reader tight"]);
    const [tight, generous, three] = ["Reader tight", "Reader generous", "Reader three"].map((n) => r.readers.findIndex((x) => x.name === n));
    for (let i = 0; i < 3; i++) {
      expect(r.pairwise.dice[i][i]).toBe(1);
      for (let j = 0; j < 3; j++) {
        expect(r.pairwise.dice[i][j]).toBe(r.pairwise.dice[j][i]);
        if (i !== j) expect(r.pairwise.dice[i][j]).toBeGreaterThan(0);
        if (i !== j) expect(r.pairwise.dice[i][j]).toBeLessThan(1);
      }
    }
    const off = [r.pairwise.dice[0][1], r.pairwise.dice[0][2], r.pairwise.dice[1][2]];
    expect(r.meanPairwiseDice).toBeCloseTo(off.reduce((s, v) => s + v, 0) / 3, 2);
    expect(r.pairwise.hd95Mm[0][1]).toBeGreaterThan(0);
    expect(r.staple.sensitivity).toHaveLength(3);
    // the generous reader includes the most: the highest sensitivity
    expect(r.staple.sensitivity[generous]).toBeGreaterThanOrEqual(Math.max(r.staple.sensitivity[tight], r.staple.sensitivity[three]));
    expect(r.hotSpots.length).toBeGreaterThan(0);
    expect(r.hotSpots[0].voxels).toBeGreaterThanOrEqual(r.hotSpots.at(-1)!.voxels);
    // reader three missed the lesion the other two found
    expect(r.lesions.some((l) => l.detectedBy[tight] && l.detectedBy[generous] && !l.detectedBy[three])).toBe(true);
    // tight vs generous tumours agree little: the case is flagged in the project view
    const project = await admin.client.project.byId.query({ projectId: world.projectA.id });
    expect(project.cases.find((c) => c.id === caseId)).toMatchObject({ qaFlagged: true });
    const consensus = await fetch(`${app.url}${a!.consensusUrl}`, { headers: { cookie: admin.cookie() } });
    expect(consensus.status).toBe(200);
    expect(readNifti(new Uint8Array(await consensus.arrayBuffer())).dims).toEqual([192, 192, 112]);
  }, 90_000);

  it("accepting the consensus makes the case final with a measured QA consensus; report and exports agree", async () => {
    const admin = await signIn("admin@a.test");
    const a = (await admin.client.qa.latest.query({ caseId }))!;
    await expect(admin.client.qa.decide.mutate({ caseId, analysisId: a.id, decision: "back", comment: " " })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    const out = await admin.client.qa.decide.mutate({ caseId, analysisId: a.id, decision: "consensus" });
    expect(out.status).toBe("FINAL");
    const v = await until(() => app.services.db.annotationVersion.findUniqueOrThrow({ where: { id: out.versionId! } }), (x) => x.measurements !== null, "measured", 30_000);
    expect(v.maskKey).toBe(a.consensusKey);
    const report = await admin.client.report.case.query({ caseId });
    expect(report.result).toMatchObject({ annotation: "QA consensus", version: 1 });
    const m = report.result!.measurements as unknown as Measurements;
    expect(m.lesionCount).toBeGreaterThanOrEqual(4);
    // the tumour consensus carries the readers' liver (by majority): a burden, not 100 % tumour
    expect(m.liverMl).toBeGreaterThan(500);
    expect(m.burden!).toBeLessThan(0.1);
    const key = await fetch(`${app.url}${report.lesionKeyUrls[m.lesions[0].id]}`, { headers: { cookie: admin.cookie() } });
    expect(key.status).toBe(200);
    expect(key.headers.get("content-type")).toBe("image/png");

    const json = (await (await fetch(`${app.url}/api/projects/${world.projectA.id}/export.json`, { headers: { cookie: admin.cookie() } })).json()) as {
      cases: { caseId: string; liverMl: number; lesionCount: number; lesions: { longAxisMm: number }[] }[];
    };
    const csv = parseCsv(await (await fetch(`${app.url}/api/projects/${world.projectA.id}/export.csv`, { headers: { cookie: admin.cookie() } })).text());
    const row = csv.find((x) => x.row === "case" && x.caseId === caseId)!;
    const fromJson = json.cases.find((c) => c.caseId === caseId)!;
    expect(Number(row.liverMl)).toBe(fromJson.liverMl);
    expect(Number(row.lesionCount)).toBe(fromJson.lesionCount);
    const lesionRows = csv.filter((x) => x.row === "lesion" && x.caseId === caseId);
    expect(lesionRows.map((x) => Number(x.longAxisMm))).toEqual(fromJson.lesions.map((l) => l.longAxisMm));
    // strangers and anonymous requests get nothing
    const b = await signIn("reader@b.test");
    expect((await fetch(`${app.url}/api/projects/${world.projectA.id}/export.csv`, { headers: { cookie: b.cookie() } })).status).toBe(404);
    expect((await fetch(`${app.url}/api/projects/${world.projectA.id}/export.csv`)).status).toBe(401);
    // an older analysis cannot be decided once a newer one exists
    await admin.client.qa.start.mutate({ caseId, structure: "liver" });
    await expect(admin.client.qa.decide.mutate({ caseId, analysisId: a.id, decision: "consensus" })).rejects.toMatchObject({ data: { code: "CONFLICT" } });
  }, 90_000);
});
