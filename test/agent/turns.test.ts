// Agent turns through the real app (database, runner, bus) on both backends:
// the exact event order of SPEC §4, tools, the FIFO queue, cancel, failures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { createApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { LOCAL_OWNER } from "../../src/service/index.js";
import type { StoredEvent } from "../../src/domain/events.js";

const actor = { ownerId: LOCAL_OWNER };
const text = (t: string) => ({ message: { content: [{ type: "text", text: t }] } });

/** Collects a session's events from `after` until `until` matches, with a timeout. */
async function collect(app: App, sessionId: string, until: (e: StoredEvent, all: StoredEvent[]) => boolean, after = 0, ms = 15_000) {
  const stream = await app.services.events.open(actor, { sessionId, after });
  const seen: StoredEvent[] = [];
  const timer = setTimeout(() => void stream.return?.(), ms);
  try {
    for await (const event of stream) {
      seen.push(event);
      if (until(event, seen)) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.return?.();
  }
  return seen;
}

const idledCount = (n: number) => (_: StoredEvent, all: StoredEvent[]) => all.filter((e) => e.type === "session.idled").length >= n;
const turnTypes = (events: StoredEvent[]) => events.filter((e) => e.type !== "output.message.delta").map((e) => e.type);

for (const backend of await backends()) {
  describe(`agent turns on ${backend.name}`, () => {
    let app: App;
    beforeAll(async () => {
      await backend.open().then((db) => db.close()); // create the database
      app = await createApp(
        loadConfig({ DATABASE_URL: backend.databaseUrl ?? "", DATA_DIR: "memory://", DEMO_DELAY_MS: "0", LOG_LEVEL: "silent", MAX_ITERATIONS: "3" }),
      );
      await app.runner.start();
    });
    afterAll(async () => {
      await app?.close();
      await backend.cleanup();
    });

    it("runs a plain turn in the order of SPEC §4, and the deltas add up to the answer", async () => {
      const session = await app.services.sessions.create(actor, {});
      const input = await app.services.messages.create(actor, { sessionId: session.id, ...text("hello there, agent") });
      const events = await collect(app, session.id, idledCount(1));
      expect(turnTypes(events)).toEqual([
        "session.started",
        "input.message",
        "turn.started",
        "session.activated",
        "output.message.started",
        "output.message.completed",
        "turn.completed",
        "session.idled",
      ]);
      expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
      const deltas = events.filter((e) => e.type === "output.message.delta");
      expect(deltas.length).toBeGreaterThan(1);
      const completed = events.find((e) => e.type === "output.message.completed")!;
      const message = completed.data.message as { id: string; content: { text: string }[]; phase: string };
      expect(deltas.map((d) => d.data.delta).join("")).toBe(message.content[0]!.text);
      expect(message.content[0]!.text).toContain('"hello there, agent"');
      expect(message.phase).toBe("final_answer");
      const turnId = events.find((e) => e.type === "turn.started")!.data.turn_id;
      expect(events.find((e) => e.type === "turn.started")!.data.input_message_id).toBe(input.id);
      expect(events.find((e) => e.type === "turn.completed")!.data).toMatchObject({ turn_id: turnId, iterations: 1, final_message_id: message.id });
      expect((await app.services.sessions.get(actor, session.id)).status).toBe("IDLE");
    });

    it("calls the calculator for arithmetic and answers with the result", async () => {
      const session = await app.services.sessions.create(actor, {});
      await app.services.messages.create(actor, { sessionId: session.id, ...text("what is 12*(3+4)?") });
      const events = await collect(app, session.id, idledCount(1));
      expect(turnTypes(events).slice(2)).toEqual([
        "turn.started",
        "session.activated",
        "output.message.started",
        "output.message.completed",
        "tool.started",
        "tool.completed",
        "output.message.started",
        "output.message.completed",
        "turn.completed",
        "session.idled",
      ]);
      const started = events.find((e) => e.type === "tool.started")!.data.tool_call as { id: string; name: string; arguments: unknown };
      expect(started).toMatchObject({ name: "calculator", arguments: { expression: "12*(3+4)" } });
      expect(started.id).toMatch(/^call_[0-9a-f]+$/);
      const tool = events.find((e) => e.type === "tool.completed")!.data;
      expect(tool).toMatchObject({ tool_call_id: started.id, tool_name: "calculator", status: "success", result: [{ type: "text", text: "84" }] });
      const [first, final] = events.filter((e) => e.type === "output.message.completed").map((e) => e.data.message as { phase: string; content: { type: string; text?: string }[] });
      expect(first!.phase).toBe("commentary");
      expect(first!.content.map((p) => p.type)).toEqual(["tool_call"]);
      expect(final!.phase).toBe("final_answer");
      expect(final!.content[0]!.text).toContain("84");

      const page = (await app.services.messages.page(actor, session.id, {}))!;
      expect(page.nodes.map((m) => m.role)).toEqual(["USER", "AGENT", "TOOL_RESULT", "AGENT"]);
      expect(page.nodes[2]!.id).toBe(tool.message_id);
    });

    it("queues messages sent during a turn and runs them in order, each with the full sequence", async () => {
      const session = await app.services.sessions.create(actor, {});
      const sent = [];
      for (const t of ["first", "second", "third"]) sent.push(await app.services.messages.create(actor, { sessionId: session.id, ...text(t) }));
      const events = await collect(app, session.id, idledCount(3), 0, 30_000);
      const starts = events.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id);
      expect(starts).toEqual(sent.map((m) => m.id));
      // Turns never overlap: each turn.started comes after the previous session.idled.
      const lifecycle = events.filter((e) => ["turn.started", "session.idled"].includes(e.type)).map((e) => e.type);
      expect(lifecycle).toEqual(["turn.started", "session.idled", "turn.started", "session.idled", "turn.started", "session.idled"]);
      const answers = events.filter((e) => e.type === "output.message.completed").map((e) => (e.data.message as { content: { text: string }[] }).content[0]!.text);
      expect(answers.map((a) => /"(\w+)"/.exec(a)![1])).toEqual(["first", "second", "third"]);
    });

    it("fails a turn whose model is not configured with model_unavailable", async () => {
      const model = await app.store.models.ensure({ id: "model_01933b5a0000700080000000000000ff", name: "gpt-unconfigured", provider: "openai", maxErrorDisclosure: "DETAILED" });
      const session = await app.services.sessions.create(actor, { modelId: model.id });
      await app.services.messages.create(actor, { sessionId: session.id, ...text("hi") });
      const events = await collect(app, session.id, idledCount(1));
      expect(turnTypes(events).slice(-2)).toEqual(["turn.failed", "session.idled"]);
      expect(events.at(-2)!.data).toMatchObject({ error_code: "model_unavailable", error_disclosure: "standard" });
    });

    it("answers cancel with no_op when idle", async () => {
      const session = await app.services.sessions.create(actor, {});
      expect((await app.services.sessions.cancelTurn(actor, session.id)).result).toBe("no_op");
    });
  });
}
