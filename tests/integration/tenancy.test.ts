import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../helpers/db";
import { callerAs, makeServices, makeWorld } from "../helpers/world";

let services: Awaited<ReturnType<typeof makeServices>>;
let world: Awaited<ReturnType<typeof makeWorld>>;

beforeAll(async () => {
  services = await makeServices(await freshDatabase());
  world = await makeWorld(services.db);
  // a round with a vote in institution B
  const round = await services.db.reviewRound.create({ data: { caseId: world.caseB.id, index: 0, status: "OPEN" } });
  const cand = await services.db.candidate.create({ data: { roundId: round.id, index: 0, maskKey: "masks/x.nii.gz" } });
  await services.db.vote.create({ data: { roundId: round.id, userId: world.readerB.id, candidateId: cand.id } });
});
afterAll(() => services.close());

describe("tenant isolation over tRPC", () => {
  it("a reader of A sees only A's projects", async () => {
    const { caller } = await callerAs(services, world.readerA.id);
    expect((await caller.project.list()).map((p) => p.id)).toEqual([world.projectA.id]);
    expect((await caller.institution.mine()).map((i) => i.id)).toEqual([world.a.id]);
  });

  it("asking for B's project, case, rounds/votes or members by id answers NOT_FOUND", async () => {
    const { caller } = await callerAs(services, world.readerA.id);
    const own = await caller.project.byId({ projectId: world.projectA.id });
    expect(own.cases.map((c) => c.label)).toEqual(["A-001"]);
    await expect(caller.project.byId({ projectId: world.projectB.id })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Project not found" });
    await expect(caller.case.byId({ caseId: world.caseB.id })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Case not found" });
    await expect(caller.review.rounds({ caseId: world.caseB.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.institution.members({ institutionId: world.b.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // the same answer as for an id that does not exist: nothing leaks
    await expect(caller.case.byId({ caseId: "does-not-exist" })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Case not found" });
  });

  it("B's reader sees B's votes; A's reader cannot", async () => {
    const b = await callerAs(services, world.readerB.id);
    const rounds = await b.caller.review.rounds({ caseId: world.caseB.id });
    expect(rounds[0]?.votes).toHaveLength(1);
  });

  it("an admin of A cannot change B's project, and the attempt changes nothing", async () => {
    const { caller } = await callerAs(services, world.adminA.id);
    await expect(caller.project.update({ projectId: world.projectB.id, name: "hijacked" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.project.create({ institutionId: world.b.id, name: "planted" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await services.db.project.findUniqueOrThrow({ where: { id: world.projectB.id } })).name).toBe("B liver");
    expect(await services.db.project.count({ where: { institutionId: world.b.id } })).toBe(1);
  });
});

describe("roles", () => {
  it("a reader may not change project settings (FORBIDDEN); an admin may, and it is audited", async () => {
    const reader = await callerAs(services, world.readerA.id);
    await expect(reader.caller.project.update({ projectId: world.projectA.id, candidateCount: 6 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(reader.caller.institution.audit({ institutionId: world.a.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const admin = await callerAs(services, world.adminA.id);
    await admin.caller.project.update({ projectId: world.projectA.id, candidateCount: 6 });
    const events = await admin.caller.institution.audit({ institutionId: world.a.id });
    expect(events[0]).toMatchObject({ action: "project.update", entityId: world.projectA.id, actorId: world.adminA.id });
  });

  it("project settings are validated", async () => {
    const admin = await callerAs(services, world.adminA.id);
    await expect(admin.caller.project.update({ projectId: world.projectA.id, candidateCount: 50 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.caller.project.create({ institutionId: world.a.id, name: "A liver" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
