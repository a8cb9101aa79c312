// Group commit of deltas: many sessions streaming at once share statements,
// and every session's log stays gapless and in order, interleaved with its
// ordinary appends, on both backends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import type { Database } from "../../src/db/client.js";
import type { DirectSql } from "../../src/db/direct.js";
import { createStore, type Store } from "../../src/store/index.js";
import { events } from "../../src/domain/events.js";
import { newId } from "../../src/ids.js";

for (const backend of await backends()) {
  describe(`group commit of deltas on ${backend.name}`, () => {
    let db: Database;
    let store: Store;
    let statements = 0;

    beforeAll(async () => {
      db = await backend.open();
      // The real driver, counted.
      const sql: DirectSql = { $queryRawUnsafe: (query, ...params) => (statements++, db.sql.$queryRawUnsafe(query, ...params)) };
      store = createStore({ prisma: db.prisma, sql });
    }, 60_000);
    afterAll(async () => {
      await db?.close();
      await backend.cleanup();
    });

    it("appends 10 sessions × 20 deltas in far fewer statements, each session's sequences gapless and its deltas in order", async () => {
      const sessions = await Promise.all(Array.from({ length: 10 }, () => store.sessions.create("owner-g", {})));
      const before = statements;
      const streamed = await Promise.all(
        sessions.map(async (session) => {
          const ctx = { turnId: newId("turn"), inputMessageId: newId("message") };
          const messageId = newId("message");
          const stored = [];
          for (let i = 0; i < 20; i++) {
            // Every 5th write is an ordinary append between the deltas.
            if (i % 5 === 4) stored.push(...(await store.log.append(session.id, [{ type: "custom.mark", context: ctx, data: { i } }])));
            stored.push(...(await store.log.appendDeltas(session.id, [events.outputMessageDelta(ctx, messageId, `d${i} `)])));
          }
          return { session, stored };
        }),
      );
      const used = statements - before;
      expect(used).toBeGreaterThan(0);
      expect(used).toBeLessThan(200); // one by one: 200 deltas + 40 marks = 240 statements

      for (const { session, stored } of streamed) {
        const log = await store.events.readAfter("owner-g", session.id, 0);
        expect(log.map((e) => e.sequence)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
        expect(log.slice(1).map((e) => e.id)).toEqual(stored.map((e) => e.id)); // after session.started, in the order written
        const deltas = log.filter((e) => e.type === "output.message.delta").map((e) => (e.data as { delta: string }).delta);
        expect(deltas.join("")).toBe(Array.from({ length: 20 }, (_, i) => `d${i} `).join(""));
        const [row] = await db.sql.$queryRawUnsafe<{ lastSequence: number }[]>(`SELECT "lastSequence" FROM "Session" WHERE "id" = $1`, session.id);
        expect(row!.lastSequence).toBe(1 + 20 + 4);
      }
    });

    it("fails only the deltas of a session that no longer exists", async () => {
      const kept = await store.sessions.create("owner-g", {});
      const gone = await store.sessions.create("owner-g", {});
      await store.sessions.delete("owner-g", gone.id);
      const ctx = { turnId: newId("turn"), inputMessageId: newId("message") };
      const [ok, failed] = await Promise.allSettled([
        store.log.appendDeltas(kept.id, [events.outputMessageDelta(ctx, newId("message"), "kept")]),
        store.log.appendDeltas(gone.id, [events.outputMessageDelta(ctx, newId("message"), "lost")]),
      ]);
      expect(ok.status).toBe("fulfilled");
      expect(failed.status).toBe("rejected");
      expect(((failed as PromiseRejectedResult).reason as { code: string }).code).toBe("NOT_FOUND");
      expect((await store.events.readAfter("owner-g", kept.id, 0)).map((e) => e.sequence)).toEqual([1, 2]);
    });
  });
}
