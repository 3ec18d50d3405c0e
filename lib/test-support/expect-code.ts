// Test support only: run `fn`, expect a coded lib error of `kind` with `code` and a message a user
// can act on (optionally matching `message`, or with details.reason), and return it.
import { expect } from "vitest";
import type { CodedError } from "../errors";

export function expectCoded<E extends CodedError<string>>(
  fn: () => unknown,
  kind: abstract new (...args: never[]) => E,
  code: E["code"],
  check: { message?: RegExp; reason?: string } = {},
): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(kind);
    expect((e as E).code).toBe(code);
    expect((e as E).message.length).toBeGreaterThan(20);
    if (check.message) expect((e as E).message).toMatch(check.message);
    if (check.reason) expect((e as E).details?.reason).toBe(check.reason);
    return e as E;
  }
  throw new Error(`expected ${kind.name} ${code}, nothing was thrown`);
}
