import { describe, expect, it } from "vitest";
import { loadEnv } from "./env";

describe("loadEnv", () => {
  it("applies defaults and resolves the data directory", () => {
    const env = loadEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.UAIR_WORKERS).toBe(1);
    expect(env.UAIR_SEED).toBe(true);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.dataDir).toMatch(/\.uair$/);
  });

  it("treats empty values as unset", () => {
    expect(loadEnv({ DATABASE_URL: "", PORT: "" }).PORT).toBe(3000);
  });

  it("names every bad variable in one clear message", () => {
    expect(() => loadEnv({ PORT: "seventy", DATABASE_URL: "mysql://x", UAIR_SEED: "maybe" })).toThrowError(
      /Invalid configuration:\n {2}PORT: .*\n {2}DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL\n {2}UAIR_SEED: .*\nSee the configuration table in README.md./,
    );
  });
});
