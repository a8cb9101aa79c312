// The baselines' database handle: `pg` (pool of 10, like Parley's) on
// PostgreSQL; PGlite's own query() on the same data directory for PGlite
// (`pg` cannot speak to embedded PGlite). No Prisma, no ORM: hand-written SQL.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { lockDataDir } from "../../src/db/lock.js";

export type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export interface FloorDb {
  query: Query;
  close(): Promise<void>;
}

/** Opens DATABASE_URL, else DATA_DIR (PGlite); null when the environment names neither. */
export async function connectFloorDb(env: NodeJS.ProcessEnv = process.env): Promise<FloorDb | null> {
  if (env.DATABASE_URL) {
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
    return { query: async (sql, params) => (await pool.query(sql, params)).rows, close: () => pool.end() };
  }
  if (!env.DATA_DIR) return null;
  const dataDir = resolve(env.DATA_DIR);
  const unlock = lockDataDir(dataDir);
  const db = new PGlite(resolve(dataDir, "pglite"));
  await db.waitReady;
  return {
    query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
    close: async () => {
      await db.close();
      unlock();
    },
  };
}

/** One output.message.delta event appended: bump the session's sequence, insert the event. */
export const APPEND_SQL = `
WITH seq AS (
  UPDATE "Session" SET "lastSequence" = "lastSequence" + 1, "updatedAt" = now() WHERE "id" = $1 RETURNING "lastSequence" AS s
)
INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
SELECT $2, $1, seq.s, 'output.message.delta', $4::timestamptz, NULL, NULL, $3::jsonb FROM seq
RETURNING "sequence"`;

export const floorId = (prefix: string) => `${prefix}_${randomBytes(16).toString("hex")}`;

/** Appends one delta event with APPEND_SQL; `ts` is the append time the event carries. */
export function appendDelta(db: FloorDb, sessionId: string, data: unknown, ts: Date = new Date()): Promise<Record<string, unknown>[]> {
  return db.query(APPEND_SQL, [sessionId, floorId("event"), JSON.stringify(data), ts.toISOString()]);
}
