// Applies prisma/migrations/*/migration.sql in name order, each in its own
// transaction, recording what ran. Same code for PGlite and PostgreSQL; we do
// not use `prisma migrate deploy` (it needs engines or breaks on adapter-pg).
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations/", import.meta.url));

/** The two calls the runner needs from a raw connection. */
export interface SqlRunner {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string): Promise<T[]>;
}

export async function migrate(db: SqlRunner, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS "_app_migrations" (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set((await db.query<{ name: string }>(`SELECT name FROM "_app_migrations"`)).map((r) => r.name));
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const applied: string[] = [];
  for (const name of names) {
    if (done.has(name)) continue;
    const sql = await readFile(join(dir, name, "migration.sql"), "utf8");
    await db.exec("BEGIN");
    try {
      await db.exec(sql);
      await db.exec(`INSERT INTO "_app_migrations" (name) VALUES ('${name.replaceAll("'", "''")}')`);
      await db.exec("COMMIT");
    } catch (error) {
      await db.exec("ROLLBACK");
      throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
    }
    applied.push(name);
  }
  return applied;
}
