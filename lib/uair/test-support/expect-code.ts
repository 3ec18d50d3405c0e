// Test support only: expect a UairError with `code` (lib/test-support/expect-code.ts).
import { expectCoded } from "../../test-support/expect-code";
import { UairError, type UairErrorCode } from "../errors";

export const expectCode = (fn: () => unknown, code: UairErrorCode, message?: RegExp): UairError => expectCoded(fn, UairError, code, { message });
