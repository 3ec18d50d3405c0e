// Test support only: run `fn`, expect a UairError with `code` and a message a user can act on.
import { expect } from "vitest";
import { UairError, type UairErrorCode } from "../errors";

export function expectCode(fn: () => unknown, code: UairErrorCode, message?: RegExp): UairError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UairError);
    expect((e as UairError).code).toBe(code);
    expect((e as UairError).message.length).toBeGreaterThan(20);
    if (message) expect((e as UairError).message).toMatch(message);
    return e as UairError;
  }
  throw new Error(`expected UairError ${code}, nothing was thrown`);
}
