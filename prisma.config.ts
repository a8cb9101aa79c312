// Prisma CLI configuration (generate / migrate diff). The app itself never runs
// the CLI: migrations are applied by src/db/migrate.ts on start.
import { mkdirSync } from "node:fs";
import { defineConfig } from "prisma/config";

const realUrl = process.env.DATABASE_URL;
const useServer = !!realUrl && /^postgres(ql)?:\/\//.test(realUrl);
// The datasource needs a url or the CLI falls back to a downloaded engine; never dialed.
if (!useServer) process.env.DATABASE_URL = "postgresql://pglite.invalid/embedded";

// The CLI calls adapter() twice per command: two PGlite instances on one dir corrupt it.
let factory: Promise<any> | undefined;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter() {
    return (factory ??= (async () => {
      if (useServer) {
        const { PrismaPg } = await import("@prisma/adapter-pg");
        return new PrismaPg({ connectionString: realUrl! });
      }
      // Diffs only need a scratch database: keep it in memory, never touch ./data.
      mkdirSync("node_modules/.cache", { recursive: true });
      const { PGlite } = await import("@electric-sql/pglite");
      const { PrismaPGlite } = await import("pglite-prisma-adapter");
      return new PrismaPGlite(new PGlite("memory://"));
    })());
  },
});
