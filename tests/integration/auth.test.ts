import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, resolveSession } from "../../server/auth/session";
import { freshDatabase } from "../helpers/db";
import { callerAs, makeServices, makeWorld, PASSWORD } from "../helpers/world";

let services: Awaited<ReturnType<typeof makeServices>>;
let world: Awaited<ReturnType<typeof makeWorld>>;

beforeAll(async () => {
  services = await makeServices(await freshDatabase());
  world = await makeWorld(services.db);
});
afterAll(() => services.close());

describe("sign-in", () => {
  it("with a wrong password fails, sets no cookie and creates no session", async () => {
    const { caller, cookies } = await callerAs(services, null);
    const before = await services.db.session.count();
    await expect(caller.auth.signIn({ email: "reader@a.test", password: "wrong" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: "Wrong email or password",
    });
    await expect(caller.auth.signIn({ email: "nobody@a.test", password: PASSWORD })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(await services.db.session.count()).toBe(before);
    expect(cookies).toEqual([]);
    expect(await services.db.auditEvent.count({ where: { action: "auth.sign-in-failed" } })).toBe(2);
  });

  it("with the right password creates one server-side session and an httpOnly SameSite cookie", async () => {
    const { caller, cookies } = await callerAs(services, null);
    const before = await services.db.session.count();
    await caller.auth.signIn({ email: "READER@a.test ", password: PASSWORD });
    expect(await services.db.session.count()).toBe(before + 1);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^uair_session=[\w-]{40,};/);
    expect(cookies[0]).toContain("HttpOnly");
    expect(cookies[0]).toContain("SameSite=Lax");
    // the database holds only the token's hash
    const token = cookies[0]!.split(";")[0]!.split("=")[1]!;
    expect(await services.db.session.findUnique({ where: { tokenHash: hashToken(token) } })).not.toBeNull();
    expect(await services.db.session.findFirst({ where: { tokenHash: token } })).toBeNull();
  });

  it("rejects malformed input with a validation error", async () => {
    const { caller } = await callerAs(services, null);
    await expect(caller.auth.signIn({ email: "not-an-email", password: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("sessions", () => {
  it("every procedure but sign-in needs a session", async () => {
    const { caller } = await callerAs(services, null);
    await expect(caller.project.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.case.byId({ caseId: world.caseA.id })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(await caller.auth.me()).toBeNull();
  });

  it("a revoked session is refused at once", async () => {
    const { caller, token } = await callerAs(services, world.readerA.id);
    expect((await caller.project.list()).map((p) => p.name)).toEqual(["A liver"]);
    const session = await services.db.session.findUniqueOrThrow({ where: { tokenHash: hashToken(token!) } });
    const other = await callerAs(services, world.readerA.id);
    expect((await other.caller.auth.sessions()).map((s) => s.id)).toContain(session.id);
    await other.caller.auth.revokeSession({ sessionId: session.id });
    // the next request with the same cookie resolves to no user
    expect(await resolveSession(services.db, token)).toBeNull();
  });

  it("a reader cannot revoke another institution's sessions, and learns nothing about them", async () => {
    const victim = await callerAs(services, world.readerB.id);
    const victimSession = await services.db.session.findUniqueOrThrow({ where: { tokenHash: hashToken(victim.token!) } });
    const { caller } = await callerAs(services, world.readerA.id);
    await expect(caller.auth.revokeSession({ sessionId: victimSession.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const { caller: admin } = await callerAs(services, world.adminA.id);
    await expect(admin.auth.revokeSession({ sessionId: victimSession.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await services.db.session.findUniqueOrThrow({ where: { id: victimSession.id } })).revokedAt).toBeNull();
  });

  it("sign-out revokes the current session", async () => {
    const { caller, token, cookies } = await callerAs(services, world.readerA.id);
    await caller.auth.signOut();
    expect(cookies[0]).toContain("Max-Age=0");
    const row = await services.db.session.findUniqueOrThrow({ where: { tokenHash: hashToken(token!) } });
    expect(row.revokedAt).not.toBeNull();
  });
});
