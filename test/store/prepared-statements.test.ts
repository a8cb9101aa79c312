// The direct path's named prepared statements on PostgreSQL (src/db/direct.ts):
// a connection parses a statement once and reuses it, and a schema change by
// another instance (a migration during a rolling deploy) that changes what a
// prepared `SELECT *` returns does not break the running one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.js";
import { DEMO_MODEL_ID } from "../../src/store/models.js";
import { postgresAvailable, postgresBackend } from "../support/backends.js";

const available = await postgresAvailable();
if (!available) console.warn("[tests] PostgreSQL not reachable: SKIPPING the prepared-statement tests.");

describe.skipIf(!available)("direct SQL on PostgreSQL: named prepared statements", () => {
  const backend = postgresBackend();
  let db: Database;

  beforeAll(async () => {
    db = await backend.open();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await backend.cleanup();
  });

  /** Prepared statements of the connection that runs this (pg-pool hands out its most recently used idle one). */
  const preparedTexts = async () =>
    (await db.sql.$queryRawUnsafe<{ statement: string }[]>(`SELECT "statement" FROM pg_prepared_statements WHERE "name" LIKE 'parley_%'`)).map((r) => r.statement);

  it("prepares a statement once per connection and reuses it with new parameters", async () => {
    const query = `SELECT "id", "name" FROM "Model" WHERE "id" = $1`;
    expect(await preparedTexts()).not.toContain(query);
    const first = await db.sql.$queryRawUnsafe<{ id: string }[]>(query, DEMO_MODEL_ID);
    const missing = await db.sql.$queryRawUnsafe<{ id: string }[]>(query, "model_none");
    expect(first.map((r) => r.id)).toEqual([DEMO_MODEL_ID]);
    expect(missing).toEqual([]);
    expect((await preparedTexts()).filter((text) => text === query)).toHaveLength(1);
  });

  it("survives a migration that changes what a prepared SELECT * returns: the statement is prepared again", async () => {
    const query = `SELECT * FROM "Model" WHERE "id" = $1`;
    // Prepare on every connection of the pool, so whichever runs next holds the old plan.
    const before = await Promise.all(Array.from({ length: 10 }, () => db.sql.$queryRawUnsafe<Record<string, unknown>[]>(query, DEMO_MODEL_ID)));
    expect(before.every((rows) => rows.length === 1 && !("addedLater" in rows[0]!))).toBe(true);

    await db.sql.$queryRawUnsafe(`ALTER TABLE "Model" ADD COLUMN "addedLater" text DEFAULT 'yes'`);
    try {
      const after = await Promise.all(Array.from({ length: 10 }, () => db.sql.$queryRawUnsafe<Record<string, unknown>[]>(query, DEMO_MODEL_ID)));
      for (const rows of after) expect(rows[0]).toMatchObject({ id: DEMO_MODEL_ID, addedLater: "yes" });
    } finally {
      await db.sql.$queryRawUnsafe(`ALTER TABLE "Model" DROP COLUMN "addedLater"`);
    }
  });
});
