import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // PGlite cold starts and real servers: generous, but every wait still ends.
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: "forks",
    // Two cores here: more workers only thrash.
    maxWorkers: 2,
  },
});
