// Queue → worker process → PostgreSQL NOTIFY → socket.io → client: a real worker ingests a real
// CT and its progress reaches a signed-in reader's socket; bad input fails the case, not the worker.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUair, type UairServer } from "../../server/app";
import type { RealtimeEvent } from "../../server/realtime/bus";
import { freshDatabase } from "../helpers/db";
import { connected, emitAck, httpClient } from "../helpers/http-client";
import { until } from "../helpers/poll";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

const fixture = (rel: string) => new Uint8Array(fs.readFileSync(path.resolve("data/ct", rel)));

let app: UairServer;
let world: Awaited<ReturnType<typeof makeWorld>>;

beforeAll(async () => {
  const url = await freshDatabase();
  app = await startUair({ env: testEnv({ DATABASE_URL: url, PORT: "0", UAIR_WORKERS: "1" }), log: () => undefined });
  world = await makeWorld(app.services.db);
  await until(() => fetch(`${app.url}/api/health`).then((r) => r.status), (s) => s === 200, "a healthy worker", 30_000);
}, 60_000);
afterAll(() => app?.close());

async function upload(label: string, files: Record<string, Uint8Array>) {
  const kase = await app.services.db.case.create({ data: { projectId: world.projectA.id, label } });
  const keys = [];
  for (const [name, bytes] of Object.entries(files)) {
    const key = `uploads/${kase.id}/${name}`;
    await app.services.storage.put(key, bytes);
    keys.push(key);
  }
  return { kase, keys };
}

describe("worker jobs", () => {
  it("the worker loads the shipped segmentation model at start-up and health says which", async () => {
    const health = await (await fetch(`${app.url}/api/health`)).json();
    expect(health.model).toEqual({ ok: true, loaded: [expect.stringMatching(/^uair-liver-v1 \S+ \(cpu\)$/)], errors: [] });
  });

  it("ingest a real NIfTI CT with progress reaching the case room over socket.io", async () => {
    const { client, socket } = httpClient(app.url);
    await client.auth.signIn.mutate({ email: "reader@a.test", password: PASSWORD });
    const s = socket();
    await connected(s);
    const { kase, keys } = await upload("patient A", { "ct.nii.gz": fixture("patient-a/ct.nii.gz") });
    expect(await emitAck(s, "case:join", kase.id)).toEqual({ ok: true });
    const events: RealtimeEvent[] = [];
    s.on("job", (e: RealtimeEvent) => events.push(e));
    s.on("case", (e: RealtimeEvent) => events.push(e));

    await app.services.queue.enqueue("ingest", { caseId: kase.id, uploadKeys: keys }, { caseId: kase.id });
    await expect.poll(() => events.some((e) => e.type === "job" && e.job.status === "SUCCEEDED"), { timeout: 30_000 }).toBe(true);

    const jobs = events.flatMap((e) => (e.type === "job" ? [e.job] : []));
    const percents = jobs.map((j) => j.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(jobs.map((j) => j.stage)).size).toBeGreaterThanOrEqual(4);
    expect(events.filter((e) => e.type === "case").map((e) => (e as { status: string }).status)).toEqual(["INGESTING", "READY"]);

    const reader = await client.case.byId.query({ caseId: kase.id });
    expect(reader.status).toBe("READY");
    expect(reader.volume).toMatchObject({ dims: [122, 101, 112], orientation: "RAS", sourceFormat: "nifti" });
    s.close();
  });

  it("a truncated upload fails its case with a clear reason, and the worker keeps working", async () => {
    const whole = fixture("patient-a/ct.nii.gz");
    const { kase, keys } = await upload("truncated", { "ct.nii.gz": whole.subarray(0, whole.length >> 1) });
    const { jobRunId } = await app.services.queue.enqueue("ingest", { caseId: kase.id, uploadKeys: keys }, { caseId: kase.id });
    await expect
      .poll(async () => (await app.services.db.jobRun.findUniqueOrThrow({ where: { id: jobRunId } })).status, { timeout: 30_000 })
      .toBe("FAILED");
    const failed = await app.services.db.case.findUniqueOrThrow({ where: { id: kase.id }, include: { volume: true } });
    expect(failed.status).toBe("FAILED");
    expect(failed.failureReason).toMatch(/cut off/);
    expect(failed.volume).toBeNull();
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);

    const ok = await upload("after failure", { "ct.nii.gz": fixture("no-liver/ct.nii.gz") });
    await app.services.queue.enqueue("ingest", { caseId: ok.kase.id, uploadKeys: ok.keys }, { caseId: ok.kase.id });
    await expect
      .poll(async () => (await app.services.db.case.findUniqueOrThrow({ where: { id: ok.kase.id } })).status, { timeout: 30_000 })
      .toBe("READY");
  });
});
