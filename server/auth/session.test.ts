import { describe, expect, it } from "vitest";
import { clearedSessionCookie, hashToken, parseCookies, sessionCookie } from "./session";

describe("session cookies", () => {
  it("parses a Cookie header", () => {
    expect(parseCookies("a=1; uair_session=abc%3D; empty=")).toEqual({ a: "1", uair_session: "abc=", empty: "" });
    expect(parseCookies(undefined)).toEqual({});
  });

  it("writes an httpOnly, SameSite, path-wide cookie, Secure on request", () => {
    const exp = new Date("2030-01-01T00:00:00Z");
    expect(sessionCookie("tok", exp, false)).toBe("uair_session=tok; Path=/; HttpOnly; SameSite=Lax; Expires=Tue, 01 Jan 2030 00:00:00 GMT");
    expect(sessionCookie("tok", exp, true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie).toContain("Max-Age=0");
  });

  it("stores tokens only as sha256", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
