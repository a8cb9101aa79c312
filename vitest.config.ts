import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql ships CJS (main) and ESM (module) builds. Node loads the CJS one
    // for our dependencies (yoga, Pothos); Vite would give our own code the ESM
    // one, and two graphql realms reject each other's types.
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL("node_modules/graphql/index.js", import.meta.url)) }],
  },
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
