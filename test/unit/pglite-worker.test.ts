// PGlite in a worker thread behind the facade the adapter, the direct path and
// the migration runner use: results, parsers, errors and transactions must
// look as they do from PGlite on the main thread.
import { messages, types } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPGliteWorker, type PGliteWorker } from "../../src/db/pglite-worker.js";

describe("PGlite in a worker", () => {
  let db: PGliteWorker;
  const crashes: Error[] = [];
  beforeAll(async () => {
    db = startPGliteWorker("memory://", (error) => crashes.push(error));
    await db.waitReady;
    await db.exec(`CREATE TABLE t (id int PRIMARY KEY, name text, at timestamptz, data jsonb, bytes bytea)`);
  });
  afterAll(() => db?.close());

  it("runs a query with parameters, with PGlite's default parsing", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const insert = await db.query(`INSERT INTO t VALUES ($1, $2, $3, $4) RETURNING id`, [1, "one", at, { a: [1, 2] }]);
    expect(insert.affectedRows).toBe(1);
    const result = await db.query<{ name: string; at: Date; data: unknown }>(`SELECT name, at, data FROM t WHERE id = $1`, [1]);
    expect(result.rows).toEqual([{ name: "one", at, data: { a: [1, 2] } }]);
    expect(result.rows[0]!.at).toBeInstanceOf(Date);
    expect(result.fields).toEqual([
      { name: "name", dataTypeID: types.TEXT },
      { name: "at", dataTypeID: types.TIMESTAMPTZ },
      { name: "data", dataTypeID: types.JSONB },
    ]);
  });

  it("returns array rows and applies the caller's parsers on this thread", async () => {
    await db.query(`INSERT INTO t (id, at) VALUES (2, '2026-01-02 03:04:05+00'), (3, NULL)`);
    const result = await db.query(`SELECT id, at FROM t WHERE id IN (2, 3) ORDER BY id`, [], {
      rowMode: "array",
      parsers: { [types.TIMESTAMPTZ]: (text: string) => `parsed ${text}` },
    });
    expect(result.rows).toEqual([
      [2, "parsed 2026-01-02 03:04:05+00"],
      [3, null],
    ]);
  });

  it("round-trips bytes", async () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    await db.query(`INSERT INTO t (id, bytes) VALUES (4, $1)`, [bytes]);
    const { rows } = await db.query<{ bytes: Uint8Array }>(`SELECT bytes FROM t WHERE id = 4`);
    expect(rows[0]!.bytes).toBeInstanceOf(Uint8Array);
    expect([...rows[0]!.bytes]).toEqual([0, 1, 254, 255]);
  });

  it("fails with the main thread's DatabaseError, code and all", async () => {
    const error = await db.query(`INSERT INTO t (id) VALUES (1)`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(messages.DatabaseError);
    expect(error).toMatchObject({ code: "23505", severity: "ERROR", table: "t", constraint: "t_pkey", detail: "Key (id)=(1) already exists." });
  });

  it("commits a transaction", async () => {
    const value = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO t (id, name) VALUES (10, 'kept')`);
      return (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM t WHERE id = 10`)).rows[0]!.n;
    });
    expect(value).toBe(1);
    expect((await db.query(`SELECT name FROM t WHERE id = 10`)).rows).toEqual([{ name: "kept" }]);
  });

  it("rolls back on rollback() and on an error inside", async () => {
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO t (id) VALUES (11)`);
      await tx.rollback();
      expect(tx.closed).toBe(true);
    });
    const error = await db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO t (id) VALUES (12)`);
        await tx.query(`INSERT INTO t (id) VALUES (12)`);
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "23505" });
    expect((await db.query(`SELECT id FROM t WHERE id IN (11, 12)`)).rows).toEqual([]);
  });

  it("execs a multi-statement script", async () => {
    const results = await db.exec(`INSERT INTO t (id) VALUES (20); INSERT INTO t (id) VALUES (21); SELECT count(*)::int AS n FROM t WHERE id >= 20`);
    expect(results).toHaveLength(3);
    expect(results[2]!.rows).toEqual([{ n: 2 }]);
  });

  it("closes: the worker ends and later calls fail clearly", async () => {
    const other = startPGliteWorker("memory://", (error) => crashes.push(error));
    await other.waitReady;
    await other.ping();
    await other.close();
    await expect(other.query("SELECT 1")).rejects.toThrow(/PGlite worker exited/);
    expect(crashes).toEqual([]); // a close is not a crash
  });
});
