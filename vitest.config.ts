import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Playwright specs live in e2e/ and are run by Playwright, not vitest
    include: ["lib/**/*.test.ts", "server/**/*.test.ts", "workers/**/*.test.ts", "tests/**/*.test.ts"],
    exclude: ["e2e/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["tests/helpers/global-setup.ts"],
  },
});
