// Turns that run an agent, as a client sees them (GraphQL mutations, events
// over graphql-ws), with the demo driver on both backends (SPEC §10): the
// `[name] ` prefix, the `call NAME {json}` rule, tool patterns, maxIterations,
// turn.started.data.agent_id, the snapshot taken at turn start (kept through
// a wait for a client tool too), and the default agent after a delete.
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, gqlData, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText, sessionState } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

type Ev = { type: string; sequence: number; ts: string; data: Record<string, any> };
const EVENTS = `subscription($id: ID!, $after: Int) { sessionEvents(sessionId: $id, after: $after) { type sequence ts data } }`;

for (const backend of await backends()) {
  describe(`turns with an agent on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let client: Client;

    beforeAll(async () => {
      // Deltas 5 ms apart: a long quoted reply keeps a turn running long enough to change its agent meanwhile.
      server = await startServer(backend, { DEMO_DELAY_MS: "5" });
      url = server.url;
      client = wsClient(url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    const createAgent = async (input: Record<string, unknown>): Promise<string> =>
      (await gqlData(url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, { input })).createAgent.id;

    /** Posts a text and returns the turn's events (over graphql-ws) up to session.idled, deltas left out. */
    async function turn(sessionId: string, text: string, onEvent?: (e: Ev) => Promise<void> | void): Promise<Ev[]> {
      const { lastSequence } = await sessionState(url, sessionId);
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: lastSequence });
      await sendText(url, sessionId, text);
      let handled = 0;
      const results = await sub.until((rs) => {
        for (; onEvent && handled < rs.length; handled++) void onEvent(rs[handled]!.data!.sessionEvents);
        return rs.some((r) => r.data?.sessionEvents.type === "session.idled");
      });
      sub.stop();
      return results.map((r) => r.data!.sessionEvents).filter((e) => e.type !== "output.message.delta");
    }
    const answers = (events: Ev[]) =>
      events.filter((e) => e.type === "output.message.completed").map((e) => e.data.message.content.map((p: { text?: string }) => p.text ?? "").join(""));
    const toolCalls = (events: Ev[]) => events.filter((e) => e.type === "tool.started").map((e) => e.data.tool_call);

    it("an agent with instructions prefixes every reply with [name]; turn.started names it", async () => {
      const agentId = await createAgent({ name: "Pirate", instructions: "Talk like a pirate." });
      const sessionId = await createSession(url, { agentId });
      const plain = await turn(sessionId, "hello there");
      expect(plain.find((e) => e.type === "turn.started")!.data.agent_id).toBe(agentId);
      expect(answers(plain)).toEqual([expect.stringMatching(/^\[Pirate\] You said: "hello there"/)]);

      const called = await turn(sessionId, 'call calculator {"expression":"2+3"}');
      expect(toolCalls(called)).toEqual([{ id: expect.stringMatching(/^call_/), name: "calculator", arguments: { expression: "2+3" } }]);
      expect(called.find((e) => e.type === "tool.completed")!.data).toMatchObject({ status: "success", result: [{ type: "text", text: "5" }] });
      expect(answers(called)).toEqual(["", "[Pirate] The answer is 5."]);
      expect(called.at(-2)!.type).toBe("turn.completed");
    });

    it("several call lines make one step with several calls, in order, answered together", async () => {
      const sessionId = await createSession(url, { agentId: await createAgent({ name: "Plain" }) }); // no instructions: no prefix
      const events = await turn(sessionId, 'call calculator {"expression":"6*7"}\ncall calculator {"expression":"1+1"}\ncall current_time {"timezone":"UTC"}');
      expect(events.filter((e) => e.type === "output.message.started").map((e) => e.data.iteration)).toEqual([1, 2]);
      expect(toolCalls(events).map((c) => [c.name, c.arguments])).toEqual([
        ["calculator", { expression: "6*7" }],
        ["calculator", { expression: "1+1" }],
        ["current_time", { timezone: "UTC" }],
      ]);
      const [, answer] = answers(events);
      expect(answer).toMatch(/^The answer is 42; 2; .+\(\d{4}-\d{2}-\d{2}T.+Z\)\.$/);
    });

    it("tools: [] offers no tool: a call gets a reply saying so, and arithmetic is not computed", async () => {
      const sessionId = await createSession(url, { agentId: await createAgent({ name: "Toolless", instructions: "No tools.", tools: [] }) });
      const called = await turn(sessionId, 'call calculator {"expression":"2+3"}');
      expect(toolCalls(called)).toEqual([]);
      expect(answers(called)).toEqual([expect.stringMatching(/^\[Toolless\] I cannot call "calculator": that tool is not offered/)]);
      const arithmetic = await turn(sessionId, "what is 2+3?");
      expect(toolCalls(arithmetic)).toEqual([]);
      expect(answers(arithmetic)[0]).toMatch(/^\[Toolless\] You said: "what is 2\+3\?"/);
    });

    it("tool patterns select what is offered: calc* allows the calculator and not the clock", async () => {
      const sessionId = await createSession(url, { agentId: await createAgent({ name: "Calc", tools: ["calc*"] }) });
      expect(answers(await turn(sessionId, "call current_time"))[0]).toMatch(/"current_time": that tool is not offered in this turn\. The tools offered are: calculator\./);
      expect(answers(await turn(sessionId, "call calculator {\"expression\":\"10/4\"}"))).toEqual(["", "The answer is 2.5."]);
      // The call rule comes before arithmetic and time: the calculator is offered and the text holds a sum and a time question, yet nothing runs.
      const first = await turn(sessionId, 'call current_time {"note":"what is 2+3? what time is it?"}');
      expect(toolCalls(first)).toEqual([]);
      expect(answers(first)[0]).toMatch(/^I cannot call "current_time": that tool is not offered/);
    });

    it("maxIterations 1: the step's tools run, then the turn fails max_iterations with no further step", async () => {
      const sessionId = await createSession(url, { agentId: await createAgent({ name: "Short", maxIterations: 1 }) });
      const events = await turn(sessionId, 'call calculator {"expression":"2+3"}');
      expect(events.map((e) => e.type)).toEqual([
        "input.message",
        "turn.started",
        "session.activated",
        "output.message.started",
        "output.message.completed",
        "tool.started",
        "tool.completed",
        "turn.failed",
        "session.idled",
      ]);
      expect(events.find((e) => e.type === "turn.failed")!.data.error_code).toBe("max_iterations");
    });

    it("a turn keeps the agent it started with; after deleteAgent the session runs the default agent", async () => {
      const agentId = await createAgent({ name: "Before", instructions: "x", tools: [] });
      const sessionId = await createSession(url, { agentId });
      const long = Array.from({ length: 150 }, (_, i) => `word${i}`).join(" ");
      let renamed: Promise<{ updateAgent: { updatedAt: string } }> | undefined;
      const events = await turn(sessionId, long, (e) => {
        // Mid-turn (first delta seen): rename the agent and give it tools.
        if (e.type === "output.message.delta" && !renamed) {
          renamed = gqlData(url, `mutation($id: ID!) { updateAgent(input: { id: $id, name: "After", tools: ["*"] }) { updatedAt } }`, { id: agentId });
        }
      });
      expect(renamed).toBeDefined();
      // The update was stored while the turn still ran.
      const { updatedAt } = (await renamed!).updateAgent;
      expect(new Date(updatedAt).getTime()).toBeLessThan(new Date(events.find((e) => e.type === "turn.completed")!.ts).getTime());
      expect(answers(events)[0]).toMatch(/^\[Before\] You said/);
      expect(answers(await turn(sessionId, "hi"))[0]).toMatch(/^\[After\] You said/);

      await gqlData(url, `mutation($id: ID!) { deleteAgent(id: $id) }`, { id: agentId });
      const fallback = await turn(sessionId, 'call calculator {"expression":"2+3"}');
      expect(fallback.find((e) => e.type === "turn.started")!.data.agent_id).toBeNull();
      expect(toolCalls(fallback).map((c) => c.name)).toEqual(["calculator"]); // the default agent offers the built-ins
      expect(answers(fallback)).toEqual(["", "The answer is 5."]); // and has no instructions: no prefix
    });

    it("an agent updated, then deleted, while its turn waits for a client tool does not change that turn", async () => {
      const agentId = await createAgent({ name: "Asker", instructions: "Ask first.", tools: [], clientTools: [{ name: "ask_user" }] });
      const sessionId = await createSession(url, { agentId });
      const { lastSequence } = await sessionState(url, sessionId);
      await sendText(url, sessionId, 'call ask_user {"q":"colour?"}');
      await eventually(async () => (await sessionState(url, sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the turn to wait");
      await gqlData(url, `mutation($id: ID!) { updateAgent(input: { id: $id, name: "Renamed", instructions: null }) { id } }`, { id: agentId });
      await gqlData(url, `mutation($id: ID!) { deleteAgent(id: $id) }`, { id: agentId });
      const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { agentId pendingToolCalls { toolCall { id } } } }`, { id: sessionId });
      expect(session.agentId).toBeNull(); // the next turn runs the default agent
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: lastSequence });
      await gqlData(url, `mutation($s: ID!, $r: [ToolResultInput!]!) { submitToolResults(sessionId: $s, results: $r) { status } }`, {
        s: sessionId,
        r: [{ toolCallId: session.pendingToolCalls[0].toolCall.id, content: [{ text: { text: "teal" } }] }],
      });
      const results = await sub.until((rs) => rs.some((r) => r.data?.sessionEvents.type === "session.idled"));
      sub.stop();
      const events = results.map((r) => r.data!.sessionEvents).filter((e) => e.type !== "output.message.delta");
      expect(events.find((e) => e.type === "turn.started")!.data.agent_id).toBe(agentId);
      expect(events.map((e) => e.type)).toContain("turn.resumed");
      expect(answers(events).at(-1)).toBe("[Asker] The answer is teal."); // the name and instructions it started with
      expect(events.at(-2)!.type).toBe("turn.completed");
    });

    it("a session without an agent runs the default agent (agent_id null, wave 1 replies)", async () => {
      const sessionId = await createSession(url);
      const events = await turn(sessionId, "what is 12*(3+4)?");
      expect(events.find((e) => e.type === "turn.started")!.data.agent_id).toBeNull();
      expect(answers(events)).toEqual(["", "The answer is 84."]);
    });
  });
}
