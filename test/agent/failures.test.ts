// Failing turns through the real app with the openai driver pointed at a fake
// provider: provider errors shaped by each disclosure level (clamped by the
// model's maximum), and MAX_ITERATIONS ending a runaway tool loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { GENERIC_ERROR_MESSAGE } from "../../src/domain/disclosure.js";
import { LOCAL_OWNER } from "../../src/service/index.js";
import type { StoredEvent } from "../../src/store/event-log.js";
import { backends } from "../support/backends.js";
import { chunk, closeFakeServers, fakeServer, finish, jsonError, startStream } from "../support/fake-openai.js";

const actor = { ownerId: LOCAL_OWNER };
const PROVIDER_TEXT = "Upstream exploded: shard 7 is on fire";

async function turnEnd(app: App, sessionId: string, after: number): Promise<StoredEvent[]> {
  const stream = await app.services.events.open(actor, { sessionId, after });
  const seen: StoredEvent[] = [];
  const timer = setTimeout(() => void stream.return?.(), 15_000);
  for await (const event of stream) {
    seen.push(event);
    if (event.type === "session.idled") break;
  }
  clearTimeout(timer);
  return seen;
}

for (const backend of await backends()) {
  describe(`failing turns on ${backend.name}`, () => {
    let app: App;
    let mode: "error" | "loop" | "unknown-tool" = "error";
    beforeAll(async () => {
      const provider = await fakeServer((_req, res, body) => {
        if (mode === "error") return jsonError(res, 500, { message: PROVIDER_TEXT, type: "server_error" });
        startStream(res);
        const answered = body.messages.some((m: { role: string }) => m.role === "tool");
        if (mode === "unknown-tool" && answered) {
          chunk(res, { delta: { role: "assistant", content: "Sorry, " } });
          chunk(res, { delta: { content: "no such tool." } });
          return finish(res, "stop");
        }
        const name = mode === "loop" ? "calculator" : "no_such_tool";
        chunk(res, { delta: { role: "assistant", tool_calls: [{ index: 0, id: `call_${Date.now()}`, type: "function", function: { name, arguments: '{"expression":"1+1"}' } }] } });
        finish(res, "tool_calls");
      });
      await backend.open().then((db) => db.close());
      app = await createApp(
        loadConfig({
          DATABASE_URL: backend.databaseUrl ?? "",
          DATA_DIR: "memory://",
          LOG_LEVEL: "silent",
          AGENT_DRIVER: "openai",
          OPENAI_BASE_URL: provider.baseURL,
          OPENAI_API_KEY: "sk-test",
          OPENAI_MODEL: "gpt-fake",
          MAX_ITERATIONS: "3",
        }),
      );
      await app.runner.start();
    });
    afterAll(async () => {
      await app?.close();
      await closeFakeServers();
      await backend.cleanup();
    });

    const failWith = async (errorDisclosure: string | undefined, modelMax: "GENERIC" | "STANDARD" | "DETAILED") => {
      mode = "error";
      await app.store.prisma.model.update({ where: { name: "gpt-fake" }, data: { maxErrorDisclosure: modelMax } });
      const session = await app.services.sessions.create(actor, {});
      await app.services.messages.create(actor, {
        sessionId: session.id,
        message: { content: [{ type: "text", text: "hi" }] },
        controls: errorDisclosure ? { errorDisclosure } : null,
      });
      const events = await turnEnd(app, session.id, 1);
      expect(events.slice(-2).map((e) => e.type)).toEqual(["turn.failed", "session.idled"]);
      return events.at(-2)!.data as { error_code: string; error: string; error_disclosure: string };
    };

    it("GENERIC gives only a fixed sentence", async () => {
      expect(await failWith("GENERIC", "DETAILED")).toEqual(expect.objectContaining({ error_code: "llm_error", error: GENERIC_ERROR_MESSAGE, error_disclosure: "generic" }));
    });

    it("STANDARD (the default) gives the code and a safe message, not the provider's text", async () => {
      const failed = await failWith(undefined, "DETAILED");
      expect(failed.error_disclosure).toBe("standard");
      expect(failed.error).toMatch(/^llm_error: /);
      expect(failed.error).not.toContain("shard 7");
    });

    it("DETAILED adds the provider's message when the model allows it", async () => {
      const failed = await failWith("DETAILED", "DETAILED");
      expect(failed.error_disclosure).toBe("detailed");
      expect(failed.error).toMatch(/^llm_error: /);
      expect(failed.error).toContain(PROVIDER_TEXT);
    });

    it("clamps DETAILED to the model's maximum, so a client can narrow but never widen", async () => {
      const failed = await failWith("DETAILED", "STANDARD");
      expect(failed.error_disclosure).toBe("standard");
      expect(failed.error).not.toContain("shard 7");
      expect((await failWith("STANDARD", "GENERIC")).error).toBe(GENERIC_ERROR_MESSAGE);
    });

    it("reports an unknown tool as a tool error and lets the model go on", async () => {
      mode = "unknown-tool";
      const session = await app.services.sessions.create(actor, {});
      await app.services.messages.create(actor, { sessionId: session.id, message: { content: [{ type: "text", text: "use a tool" }] } });
      const events = await turnEnd(app, session.id, 1);
      const tool = events.find((e) => e.type === "tool.completed")!;
      expect(tool.data).toMatchObject({ tool_name: "no_such_tool", status: "error", error: 'unknown tool "no_such_tool"' });
      expect(events.at(-2)!.type).toBe("turn.completed");
      const deltas = events.filter((e) => e.type === "output.message.delta").map((e) => e.data.delta).join("");
      expect(deltas).toBe("Sorry, no such tool.");
    });

    it("ends a runaway tool loop after MAX_ITERATIONS with max_iterations", async () => {
      mode = "loop";
      const session = await app.services.sessions.create(actor, {});
      await app.services.messages.create(actor, { sessionId: session.id, message: { content: [{ type: "text", text: "loop" }] } });
      const events = await turnEnd(app, session.id, 1);
      expect(events.filter((e) => e.type === "output.message.started")).toHaveLength(3);
      expect(events.filter((e) => e.type === "tool.completed").every((e) => e.data.status === "success")).toBe(true);
      expect(events.at(-2)!.type).toBe("turn.failed");
      expect(events.at(-2)!.data).toMatchObject({ error_code: "max_iterations" });
    });
  });
}
