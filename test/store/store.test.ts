// The store on both backends: gapless sequences under concurrency, the
// message projection (and its rebuild), keyset pages, owner scoping.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import type { Database } from "../../src/db/client.js";
import { createStore, type Store } from "../../src/store/index.js";
import { events } from "../../src/domain/events.js";
import type { NewMessage } from "../../src/domain/messages.js";
import { newId } from "../../src/ids.js";
import { DEMO_MODEL_ID } from "../../src/store/models.js";

const claim = { historyLimit: 50, defaultModelId: DEMO_MODEL_ID };

/** Stores a user message with its queued turn, as createMessage does. */
const post = (store: Store, ownerId: string, sessionId: string, text: string, idempotencyKey: string | null = null) => {
  const turnId = newId("turn");
  const message = { ...userMessage(sessionId, text), turnId, delivery: null };
  return store.inputMessages.post(ownerId, sessionId, { message, turnId, delivery: "queue", idempotencyKey, requestHash: idempotencyKey && "h" });
};

const userMessage = (sessionId: string, text: string): NewMessage => ({
  id: newId("message"),
  sessionId,
  role: "USER",
  content: [{ type: "text", text }],
  controls: null,
  externalActor: null,
  metadata: null,
  tags: ["t"],
  phase: null,
  thinking: null,
  thinkingSignature: null,
  turnId: null,
  delivery: "STARTED",
  createdAt: new Date(),
});

for (const backend of await backends()) {
  describe(`store on ${backend.name}`, () => {
    let db: Database;
    let store: Store;

    beforeAll(async () => {
      db = await backend.open();
      store = createStore(db);
    }, 60_000);
    afterAll(async () => {
      await db?.close();
      await backend.cleanup();
    });

    it("starts a session at sequence 1 with session.started", async () => {
      const session = await store.sessions.create("owner-a", { title: "first" });
      expect(session.lastSequence).toBe(1);
      const log = await store.events.readAfter("owner-a", session.id, 0);
      expect(log.map((e) => [e.sequence, e.type])).toEqual([[1, "session.started"]]);
    });

    it("allocates gapless, unique sequences to 50 concurrent appends", async () => {
      const session = await store.sessions.create("owner-a", {});
      const batches = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.log.append(session.id, i % 2 ? [events.inputMessage(userMessage(session.id, `m${i}`))] : [
            { type: "custom.a", context: {}, data: { i } },
            { type: "custom.b", context: {}, data: { i } },
          ]),
        ),
      );
      const sequences = batches.flat().map((e) => e.sequence).sort((a, b) => a - b);
      const total = 1 + 25 * 2 + 25;
      expect(sequences).toEqual(Array.from({ length: total - 1 }, (_, i) => i + 2));
      const stored = await store.events.readAfter("owner-a", session.id, 0, { limit: 1000 });
      expect(stored.map((e) => e.sequence)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      // Each batch got a contiguous run: events of one append are never interleaved.
      for (const batch of batches) expect(batch.map((e) => e.sequence - batch[0]!.sequence)).toEqual(batch.map((_, i) => i));
      expect(await store.messages.count("owner-a", session.id)).toBe(25);
    });

    it("appending to an unknown session fails and stores nothing", async () => {
      const missing = newId("session");
      await expect(store.log.append(missing, [{ type: "x", context: {}, data: {} }])).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await db.prisma.event.count({ where: { sessionId: missing } })).toBe(0);
    });

    it("filters reads by exact type, prefix and exclusion", async () => {
      const session = await store.sessions.create("owner-a", {});
      await store.log.append(session.id, [
        { type: "output.message.started", context: {}, data: {} },
        { type: "output.message.delta", context: {}, data: {} },
        { type: "tool.started", context: {}, data: {} },
      ]);
      const types = async (o: Parameters<Store["events"]["readAfter"]>[3]) => (await store.events.readAfter("owner-a", session.id, 0, o)).map((e) => e.type);
      expect(await types({ types: ["output.message.*"] })).toEqual(["output.message.started", "output.message.delta"]);
      expect(await types({ types: ["tool.started"] })).toEqual(["tool.started"]);
      expect(await types({ exclude: ["output.message.delta", "session.*"] })).toEqual(["output.message.started", "tool.started"]);
    });

    it("pages messages by sequence in both directions with counts, and rebuilds the projection from the log", async () => {
      const session = await store.sessions.create("owner-a", {});
      for (let i = 0; i < 7; i++) await store.log.append(session.id, [events.inputMessage(userMessage(session.id, `n${i}`))]);
      const text = (rows: { content: unknown }[]) => rows.map((r) => (r.content as { text: string }[])[0]!.text);

      const first = (await store.messages.page("owner-a", session.id, { size: 3, backward: false }))!;
      expect(text(first.nodes)).toEqual(["n0", "n1", "n2"]);
      expect(first.hasMore).toBe(true);
      const next = (await store.messages.page("owner-a", session.id, { size: 3, backward: false, cursor: first.nodes.at(-1)!.sequence }))!;
      expect(text(next.nodes)).toEqual(["n3", "n4", "n5"]);
      const last = (await store.messages.page("owner-a", session.id, { size: 2, backward: true }))!;
      expect(text(last.nodes)).toEqual(["n5", "n6"]);
      const before = (await store.messages.page("owner-a", session.id, { size: 10, backward: true, cursor: last.nodes[0]!.sequence }))!;
      expect(text(before.nodes)).toEqual(["n0", "n1", "n2", "n3", "n4"]);
      expect(before.hasMore).toBe(false);
      // Past the first message: the owner's session, with nothing in range (not null, which is "not yours").
      expect(await store.messages.page("owner-a", session.id, { size: 5, backward: true, cursor: first.nodes[0]!.sequence })).toEqual({ nodes: [], hasMore: false });
      // Narrowed to the columns asked for (plus id, sessionId, sequence).
      const narrow = (await store.messages.page("owner-a", session.id, { size: 1, backward: false, columns: ["role"] }))!;
      expect(Object.keys(narrow.nodes[0]!).sort()).toEqual(["id", "role", "sequence", "sessionId"]);
      expect(await store.messages.count("owner-a", session.id)).toBe(7);
      expect(await store.messages.count("owner-a", session.id, ["AGENT"])).toBe(0);

      const snapshot = await db.prisma.message.findMany({ where: { sessionId: session.id }, orderBy: { sequence: "asc" } });
      await db.prisma.message.deleteMany({ where: { sessionId: session.id } });
      expect(await store.system.rebuildMessages(session.id)).toBe(7);
      const rebuilt = await db.prisma.message.findMany({ where: { sessionId: session.id }, orderBy: { sequence: "asc" } });
      expect(rebuilt).toEqual(snapshot);
    });

    it("scopes sessions by owner: another owner's id reads as unknown", async () => {
      const mine = await store.sessions.create("owner-a", { title: "mine" });
      expect(await store.sessions.get("owner-b", mine.id)).toBeNull();
      expect(await store.sessions.update("owner-b", mine.id, { title: "stolen" })).toBeNull();
      expect(await store.sessions.delete("owner-b", mine.id)).toBe(false);
      expect((await store.sessions.get("owner-a", mine.id))?.title).toBe("mine");
      const page = await store.sessions.page("owner-b", {}, 100, false);
      expect(page.nodes.map((s) => s.id)).not.toContain(mine.id);
    });

    it("scopes every tenant read by owner in SQL: another owner's ids read as nothing", async () => {
      const session = await store.sessions.create("owner-a", {});
      const posted = await post(store, "owner-a", session.id, "private", "key-a");
      if (posted.kind !== "stored") throw new Error(posted.kind);
      const { message } = posted;
      const event = { id: message.eventId };
      const image = await store.images.create("owner-a", { filename: null, mediaType: "image/png", bytes: new Uint8Array([1, 2, 3]) });

      const reads = (owner: string) =>
        Promise.all([
          store.messages.page(owner, session.id, { size: 10, backward: false }).then((p) => p?.nodes.map((m) => m.id) ?? "not yours"),
          store.messages.page(owner, session.id, { size: 10, backward: true }).then((p) => p?.nodes.map((m) => m.id) ?? "not yours"),
          store.messages.count(owner, session.id),
          store.messages.count(owner, session.id, ["USER"]),
          store.messages.getMany(owner, [message.id]).then((rows) => rows.map((m) => m.id)),
          store.messages.getByEventIds(owner, [event!.id]).then((rows) => rows.map((m) => m.id)),
          store.messages.byIdempotencyKey(owner, session.id, "key-a").then((r) => r?.message.id ?? null),
          store.events.readAfter(owner, session.id, 0).then((rows) => rows.map((e) => e.type)),
          store.events.getMany(owner, [event!.id]).then((rows) => rows.map((e) => e.id)),
          store.sessions.lastSequence(owner, session.id),
          store.sessions.getMany(owner, [session.id]).then((rows) => rows.map((s) => s.id)),
          store.images.getMany(owner, [image.id]).then((rows) => rows.map((i) => i.id)),
          store.images.existing(owner, [image.id]).then((ids) => [...ids]),
          store.images.withBytes(owner, image.id).then((i) => i?.id ?? null),
        ]);

      // The owner sees it all (so the reads below are not empty by accident)...
      expect(await reads("owner-a")).toEqual([
        [message.id], [message.id], 1, 1, [message.id], [message.id], message.id,
        ["session.started", "input.message"], [event!.id], 2, [session.id], [image.id], [image.id], image.id,
      ]);
      // ...another owner the same as for ids that do not exist.
      const nothing = ["not yours", "not yours", 0, 0, [], [], null, [], [], 0, [], [], [], null];
      expect(await reads("owner-b")).toEqual(nothing);
      expect(await store.messages.byIdempotencyKey("owner-a", session.id, "key-b")).toBeNull();
    });

    it("deletes a session with its events, messages and turns", async () => {
      const session = await store.sessions.create("owner-a", {});
      await store.log.append(session.id, [events.inputMessage(userMessage(session.id, "bye"))]);
      expect(await store.sessions.delete("owner-a", session.id)).toBe(true);
      expect(await db.prisma.event.count({ where: { sessionId: session.id } })).toBe(0);
      expect(await db.prisma.message.count({ where: { sessionId: session.id } })).toBe(0);
    });

    it("queues a turn with its input message atomically: a used idempotency key stores nothing", async () => {
      const session = await store.sessions.create("owner-a", {});
      const queue = (key: string) => post(store, "owner-a", session.id, "hi", key);
      expect((await queue("k1")).kind).toBe("stored");
      expect((await queue("k1")).kind).toBe("replay");
      expect((await post(store, "owner-b", session.id, "x")).kind).toBe("not_found");
      expect(await db.prisma.event.count({ where: { sessionId: session.id } })).toBe(2);
      expect(await db.prisma.message.count({ where: { sessionId: session.id } })).toBe(1);
      expect(await db.prisma.turn.count({ where: { sessionId: session.id, status: "QUEUED" } })).toBe(1);
      expect((await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastSequence).toBe(2);
    });

    it("claims queued turns in the log order of their messages, even when creation times disagree", async () => {
      const session = await store.sessions.create("owner-a", {});
      const queued: string[] = [];
      for (const text of ["first", "second"]) {
        const posted = await post(store, "owner-a", session.id, text);
        if (posted.kind === "stored") queued.push(posted.message.turnId!);
      }
      // Two racing requests can commit in the other order of their start times.
      await db.prisma.turn.update({ where: { id: queued[0]! }, data: { createdAt: new Date(Date.now() + 60_000) } });
      expect((await store.system.turns.claimNext(session.id, "me", 60_000, claim))?.id).toBe(queued[0]);
    });

    it("ends a turn with its last events only for the lease holder, and only once", async () => {
      const session = await store.sessions.create("owner-a", {});
      const posted = await post(store, "owner-a", session.id, "go");
      const turnId = posted.kind === "stored" ? posted.message.turnId! : "";
      expect((await store.system.turns.claimNext(session.id, "me", 60_000, claim))?.id).toBe(turnId);
      expect(await store.system.turns.claimNext(session.id, "other", 60_000, claim)).toBeNull(); // one RUNNING turn per session
      const last = (owner: string) =>
        store.log.append(session.id, [{ type: "turn.completed", context: { turnId }, data: {} }], { endTurn: { id: turnId, status: "COMPLETED", leaseOwner: owner } });
      expect(await last("someone-else")).toEqual([]);
      expect(await last("me")).toHaveLength(1);
      expect(await last("me")).toEqual([]); // already ended
      expect((await store.system.turns.get(turnId))?.status).toBe("COMPLETED");
      expect((await store.events.readAfter("owner-a", session.id, 0)).filter((e) => e.type === "turn.completed")).toHaveLength(1);
    });

    it("has the demo model", async () => {
      expect((await store.models.list()).map((m) => [m.name, m.provider])).toContainEqual(["demo", "demo"]);
    });
  });
}
