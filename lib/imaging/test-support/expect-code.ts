// Test support only: run `fn`, expect an ImagingError with `code` (and a message a user can act
// on, and optionally a details.reason), and return it for further checks.
import { expect } from "vitest";
import { ImagingError, type ImagingErrorCode } from "../types";

export function expectCode(fn: () => unknown, code: ImagingErrorCode, reason?: string): ImagingError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImagingError);
    expect((e as ImagingError).code).toBe(code);
    expect((e as ImagingError).message.length).toBeGreaterThan(20);
    if (reason) expect((e as ImagingError).details?.reason).toBe(reason);
    return e as ImagingError;
  }
  throw new Error(`expected ImagingError ${code}, nothing was thrown`);
}
