// Test support only: expect an ImagingError with `code` and optionally a details.reason
// (lib/test-support/expect-code.ts).
import { expectCoded } from "../../test-support/expect-code";
import { ImagingError, type ImagingErrorCode } from "../types";

export const expectCode = (fn: () => unknown, code: ImagingErrorCode, reason?: string): ImagingError => expectCoded(fn, ImagingError, code, { reason });
