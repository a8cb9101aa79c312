// Failing turns as a client sees them (createMessage over HTTP, events over
// graphql-ws), with the openai driver pointed at a fake provider: provider
// errors shaped by each disclosure level (clamped by the model's maximum), an
// unknown tool, and MAX_ITERATIONS ending a runaway tool loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import type { App } from "../../src/app.js";
import { GENERIC_ERROR_MESSAGE } from "../../src/domain/disclosure.js";
import { backends } from "../support/backends.js";
import { subscribeWs, wsClient } from "../support/clients.js";
import { chunk, closeFakeServers, fakeServer, finish, jsonError, startStream } from "../support/fake-openai.js";
import { startServer, type TestServer } from "../support/server.js";
import { createSession, sendText } from "../support/fixtures.js";

const PROVIDER_TEXT = "Upstream exploded: shard 7 is on fire";
type Ev = { type: string; data: Record<string, any> };

for (const backend of await backends()) {
  describe(`failing turns on ${backend.name}`, () => {
    let server: TestServer;
    let app: App;
    let client: Client;
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
      server = await startServer(backend, {
        AGENT_DRIVER: "openai",
        OPENAI_BASE_URL: provider.baseURL,
        OPENAI_API_KEY: "sk-test",
        OPENAI_MODEL: "gpt-fake",
        MAX_ITERATIONS: "3",
      });
      app = server.app;
      client = wsClient(server.url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await closeFakeServers();
      await backend.cleanup();
    });

    /** The session's events after the first, over graphql-ws, until session.idled. */
    const turnEnd = async (sessionId: string): Promise<Ev[]> => {
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, `subscription($id: ID!) { sessionEvents(sessionId: $id, after: 1) { type data } }`, { id: sessionId });
      const results = await sub.until((rs) => rs.some((r) => r.data?.sessionEvents.type === "session.idled"));
      sub.stop();
      return results.map((r) => r.data!.sessionEvents);
    };

    const failWith = async (errorDisclosure: string | undefined, modelMax: "GENERIC" | "STANDARD" | "DETAILED") => {
      mode = "error";
      await app.db.prisma.model.update({ where: { name: "gpt-fake" }, data: { maxErrorDisclosure: modelMax } });
      const sessionId = await createSession(server.url);
      await sendText(server.url, sessionId, "hi", errorDisclosure ? { controls: { errorDisclosure } } : {});
      const events = await turnEnd(sessionId);
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
      const sessionId = await createSession(server.url);
      await sendText(server.url, sessionId, "use a tool");
      const events = await turnEnd(sessionId);
      const tool = events.find((e) => e.type === "tool.completed")!;
      expect(tool.data).toMatchObject({ tool_name: "no_such_tool", status: "error", error: 'unknown tool "no_such_tool"' });
      expect(events.at(-2)!.type).toBe("turn.completed");
      const deltas = events.filter((e) => e.type === "output.message.delta").map((e) => e.data.delta).join("");
      expect(deltas).toBe("Sorry, no such tool.");
    });

    it("ends a runaway tool loop after MAX_ITERATIONS with max_iterations", async () => {
      mode = "loop";
      const sessionId = await createSession(server.url);
      await sendText(server.url, sessionId, "loop");
      const events = await turnEnd(sessionId);
      expect(events.filter((e) => e.type === "output.message.started")).toHaveLength(3);
      expect(events.filter((e) => e.type === "tool.completed").every((e) => e.data.status === "success")).toBe(true);
      expect(events.at(-2)!.type).toBe("turn.failed");
      expect(events.at(-2)!.data).toMatchObject({ error_code: "max_iterations" });
    });
  });
}
