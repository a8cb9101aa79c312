// Where a steered message sits in what the model is sent (SPEC §11): after
// the tool results of the step before the one that first sees it, also when
// the turn later waits and rebuilds its history from the log. Runs a whole
// turn through the openai driver against a local fake Chat Completions server
// that records each request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, gqlData } from "../support/clients.js";
import { chunk, finish, startStream } from "../support/fake-openai.js";
import { closeFakeServers, fakeServer, type FakeServer } from "../support/fake-provider.js";
import { createSession, sendText, sessionState } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const WEATHER = { name: "get_weather", description: "The weather", parameters: { type: "object" } };
const SUBMIT = `mutation($s: ID!, $r: ToolResultInput!) { submitToolResults(sessionId: $s, results: [$r]) { status } }`;

/** Each request's messages as [role, text or call ids]: what the model was shown, in order. */
const shown = (body: { messages: { role: string; content?: unknown; tool_calls?: { id: string }[]; tool_call_id?: string }[] }) =>
  body.messages
    .filter((m) => m.role !== "system")
    .map((m) => {
      if (m.tool_calls) return [m.role, m.tool_calls.map((c) => c.id).join(",")];
      if (m.role === "tool") return [m.role, `${m.tool_call_id}: ${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}`];
      const text = typeof m.content === "string" ? m.content : (m.content as { text?: string }[]).map((p) => p.text ?? "").join("");
      return [m.role, text];
    });

for (const backend of await backends()) {
  describe(`a steered message in the model's history on ${backend.name}`, () => {
    let server: TestServer;
    let fake: FakeServer;
    let url: string;

    beforeAll(async () => {
      // Steps 1 and 2 call the client tool (call_a, call_b); step 3 answers.
      fake = await fakeServer((_req, res) => {
        const n = fake.requests.length;
        startStream(res);
        if (n <= 2) {
          const call = { index: 0, id: n === 1 ? "call_a" : "call_b", type: "function", function: { name: "get_weather", arguments: "{}" } };
          chunk(res, { delta: { role: "assistant", tool_calls: [call] } });
          return finish(res, "tool_calls");
        }
        chunk(res, { delta: { role: "assistant", content: "Sunny, then cloudy (in Celsius)." } });
        return finish(res, "stop");
      });
      server = await startServer(backend, { AGENT_DRIVER: "openai", OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: "sk-test", OPENAI_MODEL: "gpt-fake" });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await closeFakeServers();
      await backend.cleanup();
    });

    const waits = (sessionId: string) =>
      eventually(async () => (await sessionState(url, sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the turn to wait");

    it("the resumed step sees it after the first result; after a second wait the rebuilt history keeps it there", async () => {
      const sessionId = await createSession(url);
      await sendText(url, sessionId, "weather twice", { controls: { clientTools: [WEATHER] } });
      await waits(sessionId);
      const steered = await sendText(url, sessionId, "in Celsius", { delivery: "STEER" });
      await gqlData(url, SUBMIT, { s: sessionId, r: { toolCallId: "call_a", content: [{ text: { text: "sunny" } }] } });
      await eventually(() => fake.requests.length === 2, 15_000, "step 2");
      await waits(sessionId);
      await gqlData(url, SUBMIT, { s: sessionId, r: { toolCallId: "call_b", content: [{ text: { text: "cloudy" } }] } });
      await eventually(async () => (await sessionState(url, sessionId)).status === "IDLE", 15_000, "the turn to end");

      expect(fake.requests).toHaveLength(3); // one turn, three steps: no extra step, the steer was seen by step 2
      expect(shown(fake.requests[1]!.body)).toEqual([
        ["user", "weather twice"],
        ["assistant", "call_a"],
        ["tool", "call_a: sunny"],
        ["user", "in Celsius"],
      ]);
      expect(shown(fake.requests[2]!.body)).toEqual([
        ["user", "weather twice"],
        ["assistant", "call_a"],
        ["tool", "call_a: sunny"],
        ["user", "in Celsius"],
        ["assistant", "call_b"],
        ["tool", "call_b: cloudy"],
      ]);
      const { message } = await gqlData(url, `query($id: ID!) { message(id: $id) { delivery turnId } }`, { id: steered.id });
      expect(message.delivery).toBe("STEERED");
    });
  });
}
