import { describe, expect, it } from "vitest";
import { UairError, isUairError } from "./errors";

describe("UairError", () => {
  it("carries a stable code, a message and details, and isUairError filters by code", () => {
    const e = new UairError("BAD_PICK", "candidate 9 is not shown", { pick: 9 });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("UairError");
    expect(e.code).toBe("BAD_PICK");
    expect(e.details).toEqual({ pick: 9 });
    expect(isUairError(e)).toBe(true);
    expect(isUairError(e, "BAD_PICK")).toBe(true);
    expect(isUairError(e, "BAD_INPUT")).toBe(false);
    expect(isUairError(new Error("x"))).toBe(false);
  });
});
