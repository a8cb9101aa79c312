// Fixed SQL straight to the driver, for the hottest statements (a page read,
// an append): Prisma's raw path still costs a request through its client
// engine per call (about half a millisecond of CPU, most of a page read's
// overhead in the profiles). Same pool / same PGlite as Prisma, same results:
// the drivers' default parsing gives what Prisma's raw queries give here
// (timestamptz → Date, jsonb → object, text[] → array, enums → string).
// Used only by src/store, and only for fixed statements; Prisma stays the
// data layer for everything else.
import { createHash } from "node:crypto";
import type pg from "pg";
import type { PGliteClient } from "./pglite-worker.js";

/** Runs one fixed statement; the same call shape as Prisma's, so it fits where a SqlClient does. */
export interface DirectSql {
  $queryRawUnsafe<T = unknown>(sql: string, ...params: unknown[]): Promise<T>;
}

/**
 * On PostgreSQL each fixed statement is a named prepared statement: a
 * connection parses it once, and afterwards only its parameters travel (no
 * SQL text to encode and send, no parse on the server) — the hot statements
 * are long CTEs, and every byte and every parse shares the machine's CPU.
 */
export function directPg(pool: pg.Pool, onQuery?: (sql: string) => void): DirectSql {
  const names = new PreparedNames();
  return {
    async $queryRawUnsafe<T>(sql: string, ...params: unknown[]) {
      onQuery?.(sql);
      const name = names.of(sql);
      try {
        return (await pool.query(name ? { name, text: sql, values: params } : { text: sql, values: params })).rows as T;
      } catch (error) {
        // A migration changed what a prepared `*` returns (another instance upgraded the
        // schema): the statement did not run, so run it again under a fresh name.
        if (!name || !isStalePlan(error)) throw error;
        return (await pool.query({ name: names.renew(sql), text: sql, values: params })).rows as T;
      }
    },
  };
}

/** Statement names by SQL text; past `max` distinct texts a statement goes unnamed, so a connection's cache stays bounded. */
class PreparedNames {
  private readonly names = new Map<string, string>();
  private generation = 0;
  constructor(private readonly max = 256) {}

  of(sql: string): string | undefined {
    const known = this.names.get(sql);
    if (known || this.names.size >= this.max) return known;
    return this.renew(sql);
  }

  renew(sql: string): string {
    const name = `parley_${createHash("sha1").update(sql).digest("hex").slice(0, 12)}_${this.generation++}`;
    this.names.set(sql, name);
    return name;
  }
}

/** PostgreSQL's "cached plan must not change result type" (feature_not_supported). */
const isStalePlan = (error: unknown) => (error as { code?: string })?.code === "0A000" && /cached plan/.test((error as Error).message);

export function directPGlite(pglite: PGliteClient, onQuery?: (sql: string) => void): DirectSql {
  return {
    async $queryRawUnsafe<T>(sql: string, ...params: unknown[]) {
      onQuery?.(sql);
      return (await pglite.query(sql, params)).rows as T;
    },
  };
}
