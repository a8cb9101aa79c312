// PGlite keeps data across restarts, and migrations apply once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PGlite } from "@electric-sql/pglite";
import { openDatabase } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { createStore } from "../../src/store/index.js";

const dir = mkdtempSync(join(tmpdir(), "parley-persist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("embedded PGlite in DATA_DIR", () => {
  it("keeps sessions and events across a close and reopen", async () => {
    const first = await openDatabase({ dataDir: dir });
    const session = await createStore(first).sessions.create("local", { title: "kept" });
    await first.close();

    const second = await openDatabase({ dataDir: dir });
    const store = createStore(second);
    expect((await store.sessions.get("local", session.id))?.title).toBe("kept");
    expect((await store.events.readAfter("local", session.id, 0)).map((e) => e.type)).toEqual(["session.started"]);
    await second.close();
  }, 60_000);

  it("applies each migration once", async () => {
    const pg = new PGlite("memory://");
    const runner = { exec: (sql: string) => pg.exec(sql), query: async (sql: string) => (await pg.query(sql)).rows as never[] };
    const applied = await migrate(runner);
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrate(runner)).toEqual([]);
    await pg.close();
  }, 60_000);
});
