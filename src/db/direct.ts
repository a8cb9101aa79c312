// Fixed SQL straight to the driver, for the hottest statements (a page read,
// an append): Prisma's raw path still costs a request through its client
// engine per call (about half a millisecond of CPU, most of a page read's
// overhead in the profiles). Same pool / same PGlite as Prisma, same results:
// the drivers' default parsing gives what Prisma's raw queries give here
// (timestamptz → Date, jsonb → object, text[] → array, enums → string).
// Used only by src/store, and only for fixed statements; Prisma stays the
// data layer for everything else.
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";

/** Runs one fixed statement; the same call shape as Prisma's, so it fits where a SqlClient does. */
export interface DirectSql {
  $queryRawUnsafe<T = unknown>(sql: string, ...params: unknown[]): Promise<T>;
}

export function directPg(pool: pg.Pool, onQuery?: (sql: string) => void): DirectSql {
  return {
    async $queryRawUnsafe<T>(sql: string, ...params: unknown[]) {
      onQuery?.(sql);
      return (await pool.query(sql, params)).rows as T;
    },
  };
}

export function directPGlite(pglite: PGlite, onQuery?: (sql: string) => void): DirectSql {
  return {
    async $queryRawUnsafe<T>(sql: string, ...params: unknown[]) {
      onQuery?.(sql);
      return (await pglite.query(sql, params)).rows as T;
    },
  };
}
