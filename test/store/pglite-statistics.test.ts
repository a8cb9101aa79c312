// PGlite has no autovacuum (no background processes), so without our own
// ANALYZE the planner never learns how big a session is and reads its history
// page by scanning and sorting every message of it. The statistics are
// refreshed at open and then periodically (src/db/pglite-statistics.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.js";
import { createStore, type Store } from "../../src/store/index.js";
import { eventually } from "../support/wait.js";

const MESSAGES = 5_000;

describe("PGlite keeps its planner statistics fresh", () => {
  let db: Database;
  let store: Store;

  beforeAll(async () => {
    db = await openDatabase({ dataDir: "memory://", analyzeEveryMs: 300 });
    store = createStore(db);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it(`plans a history page of a ${MESSAGES.toLocaleString("en")}-message session as an index read, not a sort of the session`, async () => {
    const session = await store.sessions.create("owner-stats", {});
    await db.sql.$queryRawUnsafe(
      `WITH e AS (
         INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "data")
         SELECT 'event_' || g, $1, g + 1, 'input.message', now(), '{}'::jsonb FROM generate_series(1, $2::int) g RETURNING "id", "sequence")
       INSERT INTO "Message" ("id", "sessionId", "eventId", "sequence", "role", "content", "createdAt")
       SELECT 'message_' || e."sequence", $1, e."id", e."sequence", 'USER', '[{"type":"text","text":"hello"}]'::jsonb, now() FROM e`,
      session.id,
      MESSAGES,
    );
    const plan = async () =>
      (await db.sql.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(
        `EXPLAIN SELECT "id" FROM "Message" WHERE "sessionId" = $1 AND ($2::int IS NULL OR "sequence" < $2::int) ORDER BY "sequence" DESC LIMIT 51`,
        session.id,
        null,
      )).map((row) => row["QUERY PLAN"]).join("\n");
    const planned = await eventually(async () => {
      const text = await plan();
      return /Index Scan Backward/.test(text) ? text : null;
    }, 10_000, "the periodic ANALYZE to give the planner the session's size");
    expect(planned).not.toMatch(/Sort/);
  });
});
