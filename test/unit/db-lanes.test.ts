// On embedded PGlite (one connection) a caller's statement goes ahead of the
// turn runner's queued writes: the gate admits interactive work first, and
// lets a background one through after a streak so turns are never starved.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inBackground } from "../../src/db/lanes.js";
import { pgliteWithLanes } from "../../src/db/pglite-lanes.js";
import type { PGliteClient } from "../../src/db/pglite-worker.js";

describe("PGlite lanes", () => {
  let raw: PGlite;
  let db: PGliteClient;
  beforeAll(async () => {
    raw = new PGlite("memory://");
    await raw.waitReady;
    db = pgliteWithLanes(raw);
    await db.exec(`CREATE TABLE t (n int)`);
  });
  afterAll(() => raw.close());

  /** Holds the gate (taken at once, synchronously) with a transaction until `release` is called. */
  function hold() {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const done = inBackground(() => db.transaction(async (tx) => {
      await tx.query(`INSERT INTO t VALUES (0)`);
      await released;
    }));
    return { release, done };
  }

  it("runs a request's statement before the background statements queued ahead of it", async () => {
    const order: string[] = [];
    const held = hold();
    const background = [1, 2, 3].map((n) => inBackground(() => db.query(`INSERT INTO t VALUES ($1)`, [n]).then(() => order.push(`background ${n}`))));
    const request = db.query(`SELECT count(*)::int AS n FROM t`).then((r) => {
      order.push("request");
      return (r.rows[0] as { n: number }).n;
    });
    held.release();
    await Promise.all([held.done, ...background, request]);
    expect(order).toEqual(["request", "background 1", "background 2", "background 3"]);
    expect(await request).toBe(1); // it saw the held transaction's row, none of the background ones
  });

  it("lets a background statement through after a streak of requests", async () => {
    const order: string[] = [];
    const held = hold();
    const background = inBackground(() => db.query(`SELECT 1`).then(() => order.push("background")));
    const requests = Array.from({ length: 12 }, (_, i) => db.query(`SELECT 1`).then(() => order.push(`request ${i}`)));
    held.release();
    await Promise.all([held.done, background, ...requests]);
    expect(order.indexOf("background")).toBe(2); // after 2 requests in a row, not after all 12
  });
});
