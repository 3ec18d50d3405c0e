// Uploads through the real HTTP routes and worker: valid NIfTI and DICOM zip become READY;
// every bad input fails its own case with a clear reason and changes nothing else.
import { zipSync } from "fflate";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUair, type UairServer } from "../../server/app";
import { badInputs, fixture } from "../helpers/bad-inputs";
import { freshDatabase } from "../helpers/db";
import { httpClient } from "../helpers/http-client";
import { until } from "../helpers/poll";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

let app: UairServer;
let world: Awaited<ReturnType<typeof makeWorld>>;
let admin: ReturnType<typeof httpClient>;

beforeAll(async () => {
  app = await startUair({
    env: testEnv({ DATABASE_URL: await freshDatabase(), PORT: "0", UAIR_WORKERS: "1", UAIR_MAX_UPLOAD_MB: "4" }),
    log: () => undefined,
  });
  world = await makeWorld(app.services.db);
  admin = httpClient(app.url);
  await admin.client.auth.signIn.mutate({ email: "admin@a.test", password: PASSWORD });
}, 60_000);
afterAll(() => app?.close());

const put = (c: ReturnType<typeof httpClient>, caseId: string, name: string, body: Uint8Array) =>
  fetch(`${app.url}/api/cases/${caseId}/files/${encodeURIComponent(name)}`, { method: "PUT", body: body as Uint8Array<ArrayBuffer>, headers: { cookie: c.cookie() } });

async function uploadCase(label: string, files: Record<string, Uint8Array>) {
  const { caseId } = await admin.client.case.create.mutate({ projectId: world.projectA.id, label });
  for (const [name, bytes] of Object.entries(files)) expect((await put(admin, caseId, name, bytes)).status).toBe(200);
  await admin.client.case.startIngest.mutate({ caseId });
  return caseId;
}

const settled = (caseId: string) =>
  until(
    () => app.services.db.case.findUniqueOrThrow({ where: { id: caseId } }),
    (c) => c.status === "READY" || c.status === "FAILED",
    "the case's import",
  );

describe("upload and ingest", () => {
  it("a NIfTI volume becomes a READY case with its metadata", async () => {
    const id = await uploadCase("patient A", { "ct.nii.gz": fixture("patient-a/ct.nii.gz") });
    expect((await settled(id)).status).toBe("READY");
    const c = await admin.client.case.byId.query({ caseId: id });
    expect(c.volume).toMatchObject({ dims: [122, 101, 112], orientation: "RAS", sourceFormat: "nifti", huMin: -1207, huMax: 3382 });
    const res = await fetch(`${app.url}/api/cases/${id}/volume.nii.gz`, { headers: { cookie: admin.cookie() } });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${c.volume!.sha256}"`);
  });

  it("a zipped DICOM series becomes READY on its ImagePositionPatient step (2.0 mm, not the 3 mm SliceThickness)", async () => {
    const dir = path.resolve("data/ct/patient-b/dicom");
    const series = Object.fromEntries(fs.readdirSync(dir).map((f) => [`series/${f}`, new Uint8Array(fs.readFileSync(path.join(dir, f)))]));
    const id = await uploadCase("patient B", { "patient-b.zip": zipSync(series, { level: 0 }) });
    const c = await settled(id);
    expect(c.failureReason).toBeNull();
    const v = await app.services.db.volume.findUniqueOrThrow({ where: { caseId: id } });
    expect(v.dims).toEqual([512, 512, 20]);
    expect(v.spacing[2]).toBeCloseTo(2.0, 3);
    expect(v).toMatchObject({ sourceFormat: "dicom", orientation: "LPS" });
  });
});

describe("bad input", () => {
  it("each broken upload fails its own case with a clear reason; nothing else changes; the worker keeps going", async () => {
    const before = await app.services.db.case.findMany({ select: { id: true, status: true, updatedAt: true } });
    const volumes = await app.services.db.volume.count();
    const cases = [];
    for (const b of badInputs()) cases.push({ b, id: await uploadCase(`bad: ${b.what}`, b.files) });
    for (const { b, id } of cases) {
      const c = await settled(id);
      expect(c.status, b.what).toBe("FAILED");
      expect(c.failureReason, b.what).toMatch(b.reason);
    }
    expect(await app.services.db.volume.count()).toBe(volumes);
    expect(await app.services.db.case.findMany({ where: { id: { in: before.map((c) => c.id) } }, select: { id: true, status: true, updatedAt: true } })).toEqual(before);
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    const ok = await uploadCase("after the bad ones", { "ct.nii.gz": fixture("patient-a/ct-crop.nii.gz") });
    expect((await settled(ok)).status).toBe("READY");
  }, 120_000);

  it("an oversize upload is refused with 413, keeps nothing and fails the case", async () => {
    const { caseId } = await admin.client.case.create.mutate({ projectId: world.projectA.id, label: "too big" });
    expect((await put(admin, caseId, "part1.dcm", new Uint8Array(3 * 2 ** 20))).status).toBe(200);
    const res = await put(admin, caseId, "part2.dcm", new Uint8Array(2 * 2 ** 20));
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/larger than the 4 MB limit/);
    expect(await app.services.storage.list(`uploads/${caseId}/`)).toEqual([]);
    const c = await app.services.db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(c).toMatchObject({ status: "FAILED", failureReason: expect.stringMatching(/4 MB limit/) });
    expect((await put(admin, caseId, "again.dcm", new Uint8Array(10))).status).toBe(409);
  });

  it("wrong roles and other institutions are refused, and bad names too", async () => {
    const reader = httpClient(app.url);
    await reader.client.auth.signIn.mutate({ email: "reader@a.test", password: PASSWORD });
    await expect(reader.client.case.create.mutate({ projectId: world.projectA.id, label: "by a reader" })).rejects.toThrow(/may not/);
    const { caseId } = await admin.client.case.create.mutate({ projectId: world.projectA.id, label: "roles" });
    expect((await put(reader, caseId, "x.dcm", new Uint8Array(10))).status).toBe(403);
    const other = httpClient(app.url);
    await other.client.auth.signIn.mutate({ email: "reader@b.test", password: PASSWORD });
    expect((await put(other, caseId, "x.dcm", new Uint8Array(10))).status).toBe(404);
    expect((await put(httpClient(app.url), caseId, "x.dcm", new Uint8Array(10))).status).toBe(401);
    expect((await put(admin, caseId, "..%2F..%2Fescape", new Uint8Array(10))).status).toBe(400);
    expect(await app.services.storage.list(`uploads/${caseId}/`)).toEqual([]);
    await expect(admin.client.case.startIngest.mutate({ caseId })).rejects.toThrow("Upload the case's files first");
    await expect(admin.client.case.create.mutate({ projectId: world.projectA.id, label: "roles" })).rejects.toThrow(/already exists/);
  });

  it("an import starts once: a second start is a conflict", async () => {
    const { caseId } = await admin.client.case.create.mutate({ projectId: world.projectA.id, label: "twice" });
    await put(admin, caseId, "ct.nii.gz", fixture("patient-a/ct-crop.nii.gz"));
    const results = await Promise.allSettled([admin.client.case.startIngest.mutate({ caseId }), admin.client.case.startIngest.mutate({ caseId })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await app.services.db.jobRun.count({ where: { caseId } })).toBe(1);
    expect((await settled(caseId)).status).toBe("READY");
  });
});
