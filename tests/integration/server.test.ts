// The assembled server (without Next): tRPC over HTTP, socket.io auth and rooms, health.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUair, type UairServer } from "../../server/app";
import { freshDatabase } from "../helpers/db";
import { connected, emitAck, httpClient } from "../helpers/http-client";
import { makeWorld, PASSWORD, testEnv } from "../helpers/world";

let app: UairServer;
let world: Awaited<ReturnType<typeof makeWorld>>;

beforeAll(async () => {
  const url = await freshDatabase();
  app = await startUair({ env: testEnv({ DATABASE_URL: url, PORT: "0", UAIR_WORKERS: "0" }), log: () => undefined });
  world = await makeWorld(app.services.db);
});
afterAll(() => app?.close());

describe("HTTP API", () => {
  it("signs in over HTTP with an httpOnly cookie and answers with that session", async () => {
    const { client, jar } = httpClient(app.url);
    await expect(client.auth.signIn.mutate({ email: "reader@a.test", password: "nope" })).rejects.toThrow("Wrong email or password");
    expect(jar.size).toBe(0);
    await client.auth.signIn.mutate({ email: "reader@a.test", password: PASSWORD });
    expect(jar.get("uair_session")).toBeTruthy();
    expect((await client.auth.me.query())?.email).toBe("reader@a.test");
    await expect(client.project.byId.query({ projectId: world.projectB.id })).rejects.toThrow("Project not found");
  });

  it("health is 503 while no worker is alive, and says why", async () => {
    const res = await fetch(`${app.url}/api/health`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toMatchObject({ ok: false, database: { ok: true }, queue: { ok: true }, workers: { ok: false, alive: 0 } });
  });

  it("health is 200 when a worker beats its heartbeat", async () => {
    await app.services.db.workerHeartbeat.create({ data: { id: "test-worker", hostname: "test", pid: 1 } });
    const res = await fetch(`${app.url}/api/health`);
    expect(res.status).toBe(200);
    expect((await res.json()).workers.alive).toBe(1);
    await app.services.db.workerHeartbeat.delete({ where: { id: "test-worker" } });
  });
});

describe("socket.io", () => {
  it("refuses a connection without a session", async () => {
    const s = httpClient(app.url).socket();
    await expect(connected(s)).rejects.toThrow("unauthorized");
    s.close();
  });

  it("lets a reader into their own case room only, and relays that room's events", async () => {
    const { client, socket } = httpClient(app.url);
    await client.auth.signIn.mutate({ email: "reader@a.test", password: PASSWORD });
    const s = socket();
    await connected(s);
    expect(await emitAck(s, "case:join", world.caseA.id)).toEqual({ ok: true });
    expect(await emitAck(s, "case:join", world.caseB.id)).toEqual({ ok: false, error: "Case not found" });
    expect(await emitAck(s, "project:join", world.projectB.id)).toEqual({ ok: false, error: "Project not found" });

    const received: { caseId: string }[] = [];
    s.on("job", (e) => received.push(e));
    const job = { id: "j", kind: "ingest", status: "RUNNING", stage: "parsing", percent: 40, error: null };
    await app.services.realtime.publish({ type: "job", caseId: world.caseB.id, projectId: world.projectB.id, job });
    await app.services.realtime.publish({ type: "job", caseId: world.caseA.id, projectId: world.projectA.id, job });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]!.caseId).toBe(world.caseA.id);
    s.close();
  });

  it("disconnects a live socket at once when its session is revoked", async () => {
    const { client, socket } = httpClient(app.url);
    await client.auth.signIn.mutate({ email: "reader@a.test", password: PASSWORD });
    const s = socket();
    await connected(s);
    const gone = new Promise<string>((r) => s.once("disconnect", (reason) => r(reason)));
    const t = Date.now();
    await client.auth.signOut.mutate();
    expect(await gone).toBe("io server disconnect");
    expect(Date.now() - t).toBeLessThan(2000);
    // and it cannot come back with the same cookie
    const again = httpClient(app.url);
    const s2 = again.socket();
    await expect(connected(s2)).rejects.toThrow("unauthorized");
    s2.close();
  });
});
