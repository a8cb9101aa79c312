// AGENT_DRIVER=agui (SPEC §13, "Upstream agents"): Parley forwards turns to a
// real AG-UI agent server (test/support/agui-agent.ts, node:http +
// @ag-ui/encoder) and maps its events into the log, on both backends. Checked
// as clients see it — GraphQL messages, graphql-ws events, REST SSE and
// Parley's own AG-UI route (HttpAgent) — and as the upstream sees it: the
// RunAgentInput of every request (threadId, runIds, message ids, tools, the
// tool results of the next step, the configured headers). Server tools, client
// tools and approvals the upstream asks for go through §11 like any other.
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { HttpAgent } from "@ag-ui/client";
import type { AssistantMessage, RunAgentInput, ToolMessage } from "@ag-ui/core";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERIC_ERROR_MESSAGE } from "../../src/domain/disclosure.js";
import { WEATHER_RESULT, startAguiAgent, type AguiAgent } from "../support/agui-agent.js";
import { backends, pgliteBackend } from "../support/backends.js";
import { eventually, gqlData, subscribeWs, wsClient } from "../support/clients.js";
import { closeFakeServers } from "../support/fake-provider.js";
import { createSession, sendText, sessionState } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";
import { collectSse } from "../support/sse.js";
import { withTimeout } from "../support/wait.js";

type Ev = { type: string; sequence: number; ts: string; data: Record<string, any> };
const EVENTS = `subscription($id: ID!, $after: Int) { sessionEvents(sessionId: $id, after: $after) { type sequence ts data } }`;
const MESSAGES = `query($id: ID!) { session(id: $id) { messages(first: 50) { nodes { id role phase
  content { __typename ... on TextPart { text } ... on ToolCallPart { id name arguments } ... on ToolResultPart { toolCallId isError content { ... on TextPart { text } } } } } } } }`;
const HEADERS = { "x-upstream-key": "k-123" };
const TIMEOUT_MS = 1500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isEnd = (e: Ev) => e.type === "session.idled" || e.type === "tool.call_requested";

for (const backend of await backends()) {
  describe(`upstream AG-UI agent on ${backend.name}`, () => {
    let agent: AguiAgent;
    let server: TestServer;
    let url: string;
    let client: Client;

    beforeAll(async () => {
      agent = await startAguiAgent();
      server = await startServer(backend, {
        AGENT_DRIVER: "agui",
        AGUI_AGENT_URL: agent.url,
        AGUI_AGENT_HEADERS: JSON.stringify(HEADERS),
        AGUI_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
      });
      url = server.url;
      client = wsClient(url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await closeFakeServers();
      await backend.cleanup();
    });

    /** Sends `text` and gathers the session's events over graphql-ws until the turn ends or waits (deltas included). */
    async function turn(sessionId: string, text: string, done: (e: Ev) => boolean = isEnd): Promise<Ev[]> {
      const { lastSequence } = await sessionState(url, sessionId);
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: lastSequence });
      await sendText(url, sessionId, text);
      const results = await sub.until((rs) => rs.some((r) => done(r.data!.sessionEvents)));
      sub.stop();
      return results.map((r) => r.data!.sessionEvents);
    }
    const withoutDeltas = (events: Ev[]) => events.filter((e) => e.type !== "output.message.delta");
    const inputsOf = (sessionId: string): RunAgentInput[] => agent.inputs.filter((i) => i.threadId === sessionId);
    const messagesOf = async (sessionId: string) => (await gqlData(url, MESSAGES, { id: sessionId })).session.messages.nodes as any[];

    it("streams the upstream's text as deltas into one agent message; the request names the session, Parley's ids, the turn's tools and the headers", async () => {
      const sessionId = await createSession(url);
      const events = await turn(sessionId, "hello upstream");
      const deltas = events.filter((e) => e.type === "output.message.delta").map((e) => e.data.delta);
      expect(deltas).toEqual(["Upstream heard: ", "hello upstream"]);
      expect(events.find((e) => e.type === "output.message.started")!.data.model).toBe("agui");
      expect(events.find((e) => e.type === "turn.completed")!.data).toMatchObject({ iterations: 1, usage: { input_tokens: 11, output_tokens: 5 } });

      const [user, answer] = await messagesOf(sessionId);
      expect(user).toMatchObject({ role: "USER", content: [{ text: "hello upstream" }] });
      expect(answer).toMatchObject({ role: "AGENT", phase: "FINAL_ANSWER", content: [{ __typename: "TextPart", text: "Upstream heard: hello upstream" }] });

      const [input] = inputsOf(sessionId);
      expect(inputsOf(sessionId)).toHaveLength(1);
      expect(input!.runId).toMatch(UUID);
      expect(input!.messages).toEqual([{ id: user.id, role: "user", content: "hello upstream" }]);
      // The default agent's tools: the built-ins, each with its description and JSON Schema.
      expect(input!.tools.map((t) => t.name).sort()).toEqual(["calculator", "current_time"]);
      expect(input!.tools.find((t) => t.name === "calculator")).toMatchObject({ description: expect.stringMatching(/\w/), parameters: { type: "object" } });
      const request = agent.server.requests.find((r) => r.body.runId === input!.runId)!;
      expect(request.headers).toMatchObject({ "x-upstream-key": "k-123", accept: "text/event-stream", "content-type": "application/json" });

      // The next turn sends the whole history again, under Parley's ids, with a new runId.
      await turn(sessionId, "and again");
      const [, second] = inputsOf(sessionId);
      const messages = await messagesOf(sessionId);
      expect(second!.runId).toMatch(UUID);
      expect(second!.runId).not.toBe(input!.runId);
      expect(second!.messages).toEqual([
        { id: user.id, role: "user", content: "hello upstream" },
        { id: answer.id, role: "assistant", content: "Upstream heard: hello upstream" },
        { id: messages[2].id, role: "user", content: "and again" },
      ]);

      // The model row of the driver.
      const { models } = await gqlData(url, `{ models { name provider } }`);
      expect(models).toContainEqual({ name: "agui", provider: "agui" });
    });

    it("a tool the upstream runs itself: TOOL_CALL_RESULT becomes tool.completed, and the one run is split into two Parley steps there", async () => {
      const sessionId = await createSession(url);
      const events = withoutDeltas(await turn(sessionId, "weather in Paris"));
      expect(events.map((e) => e.type)).toEqual([
        "input.message", "turn.started", "session.activated",
        "output.message.started", "output.message.completed", "tool.started", "tool.completed",
        "output.message.started", "output.message.completed", "turn.completed", "session.idled",
      ]);
      const [first, second] = events.filter((e) => e.type === "output.message.completed").map((e) => e.data.message);
      const call = first.content.find((p: any) => p.type === "tool_call");
      expect(first.content[0]).toEqual({ type: "text", text: "Let me look that up." });
      expect(call).toMatchObject({ name: "get_weather", arguments: { city: "Paris" } });
      expect(events.filter((e) => e.type === "output.message.started").map((e) => e.data.iteration)).toEqual([1, 2]);
      const completed = events.find((e) => e.type === "tool.completed")!.data;
      expect(completed).toMatchObject({ tool_call_id: call.id, tool_name: "get_weather", status: "success", result: [{ type: "text", text: WEATHER_RESULT("Paris") }] });
      expect(second.content).toEqual([{ type: "text", text: "It is sunny in Paris." }]);
      expect(events.find((e) => e.type === "turn.completed")!.data.iterations).toBe(2);
      expect(inputsOf(sessionId)).toHaveLength(1); // Parley did not ask again: the upstream's run went on

      // The same turn over GraphQL messages and REST SSE.
      const messages = await messagesOf(sessionId);
      expect(messages.map((m) => m.role)).toEqual(["USER", "AGENT", "TOOL_RESULT", "AGENT"]);
      expect(messages[2]).toMatchObject({ id: completed.message_id, content: [{ toolCallId: call.id, isError: false, content: [{ text: WEATHER_RESULT("Paris") }] }] });
      const sse = await collectSse(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, (e) => e.type === "session.idled");
      expect(sse.map((e) => e.type).filter((t) => t !== "output.message.delta")).toEqual(["session.started", ...events.map((e) => e.type)]);
      expect(sse.find((e) => e.type === "tool.completed")!.data).toEqual(completed);
    });

    it("an agent's maxIterations ends a split run after its last step: the upstream request is closed, not left open", async () => {
      const { createAgent } = await gqlData(url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, {
        input: { name: "one-step", maxIterations: 1 },
      });
      const sessionId = await createSession(url, { agentId: createAgent.id });
      const before = agent.server.requests.length;
      // The upstream would go on (heartbeats for 20 s) after its tool result: Parley must close the request itself.
      const events = withoutDeltas(await turn(sessionId, "weather in Rome, slowly"));
      expect(events.slice(-4).map((e) => e.type)).toEqual(["tool.started", "tool.completed", "turn.failed", "session.idled"]);
      expect(events.at(-2)!.data.error_code).toBe("max_iterations");
      await withTimeout(agent.server.closed(before), 10_000, "the upstream request to close");
    });

    it("a server tool the upstream asks for: Parley runs calculator and sends its result in the next RunAgentInput", async () => {
      const sessionId = await createSession(url);
      const events = withoutDeltas(await turn(sessionId, "calculate 6*7"));
      const [first, second] = events.filter((e) => e.type === "output.message.completed").map((e) => e.data.message);
      const call = first.content.find((p: any) => p.type === "tool_call");
      expect(call).toMatchObject({ name: "calculator", arguments: { expression: "6*7" } });
      const completed = events.find((e) => e.type === "tool.completed")!.data;
      expect(completed).toMatchObject({ tool_call_id: call.id, tool_name: "calculator", status: "success", result: [{ type: "text", text: "42" }] });
      expect(second.content).toEqual([{ type: "text", text: "The upstream got: 42." }]);

      const inputs = inputsOf(sessionId);
      expect(inputs).toHaveLength(2);
      expect(inputs[1]!.runId).not.toBe(inputs[0]!.runId);
      const [user] = await messagesOf(sessionId);
      expect(inputs[1]!.messages).toEqual([
        { id: user.id, role: "user", content: "calculate 6*7" },
        { id: first.id, role: "assistant", toolCalls: [{ id: call.id, type: "function", function: { name: "calculator", arguments: '{"expression":"6*7"}' } }] } satisfies AssistantMessage,
        { id: completed.message_id, role: "tool", toolCallId: call.id, content: "42" } satisfies ToolMessage,
      ]);
    });

    it("a client tool the upstream asks for: a §11 wait, answered with submitToolResults, and the answer goes up in the next request", async () => {
      const parameters = { type: "object", properties: { options: { type: "array", items: { type: "string" } } } };
      const { createAgent } = await gqlData(url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, {
        input: { name: "painter", clientTools: [{ name: "pick_color", parameters }] },
      });
      const sessionId = await createSession(url, { agentId: createAgent.id });
      const waiting = withoutDeltas(await turn(sessionId, "pick a color"));
      const requested = waiting.find((e) => e.type === "tool.call_requested")!.data;
      expect(requested).toMatchObject({ kind: "client", tool_call: { name: "pick_color", arguments: { options: ["teal", "amber"] } } });
      expect(inputsOf(sessionId)[0]!.tools).toContainEqual({ name: "pick_color", description: "", parameters });

      // tool.call_requested comes first; the session waits once the step is over.
      const session = await eventually(async () => {
        const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { status pendingToolCalls { toolCall { id name } kind } } }`, { id: sessionId });
        return session.status === "WAITING_FOR_TOOL_RESULTS" && session;
      }, 10_000, "the session to wait");
      expect(session).toEqual({ status: "WAITING_FOR_TOOL_RESULTS", pendingToolCalls: [{ toolCall: { id: requested.tool_call.id, name: "pick_color" }, kind: "CLIENT" }] });

      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: waiting.at(-1)!.sequence });
      await gqlData(url, `mutation($s: ID!, $r: [ToolResultInput!]!) { submitToolResults(sessionId: $s, results: $r) { status } }`, {
        s: sessionId,
        r: [{ toolCallId: requested.tool_call.id, content: [{ text: { text: "teal" } }] }],
      });
      const rest = (await sub.until((rs) => rs.some((r) => r.data!.sessionEvents.type === "session.idled"))).map((r) => r.data!.sessionEvents);
      sub.stop();
      expect(withoutDeltas(rest).map((e) => e.type)).toEqual([
        "tool.completed", "turn.resumed", "output.message.started", "output.message.completed", "turn.completed", "session.idled",
      ]);
      expect(rest.find((e) => e.type === "output.message.completed")!.data.message.content).toEqual([{ type: "text", text: "The upstream got: teal." }]);
      const second = inputsOf(sessionId)[1]!;
      expect(second.messages.at(-1)).toMatchObject({ role: "tool", toolCallId: requested.tool_call.id, content: "teal" });
    });

    it("a server tool that needs approval waits for decideToolCalls, runs once approved, and its result goes up", async () => {
      const { createAgent } = await gqlData(url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, {
        input: { name: "careful", instructions: "Ask before computing.", approvalRequired: ["calculator"] },
      });
      const sessionId = await createSession(url, { agentId: createAgent.id });
      const waiting = withoutDeltas(await turn(sessionId, "calculate 5*5"));
      const requested = waiting.find((e) => e.type === "tool.call_requested")!.data;
      expect(requested).toMatchObject({ kind: "approval", tool_call: { name: "calculator", arguments: { expression: "5*5" } } });
      // The agent's instructions lead the request as a system message.
      expect(inputsOf(sessionId)[0]!.messages[0]).toEqual({ id: "parley_instructions", role: "system", content: "Ask before computing." });

      await eventually(async () => (await sessionState(url, sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 10_000, "the session to wait");
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: waiting.at(-1)!.sequence });
      await gqlData(url, `mutation($s: ID!, $d: [ToolDecisionInput!]!) { decideToolCalls(sessionId: $s, decisions: $d) { status } }`, {
        s: sessionId,
        d: [{ toolCallId: requested.tool_call.id, approve: true }],
      });
      const rest = withoutDeltas((await sub.until((rs) => rs.some((r) => r.data!.sessionEvents.type === "session.idled"))).map((r) => r.data!.sessionEvents));
      sub.stop();
      expect(rest.map((e) => e.type)).toEqual([
        "tool.started", "tool.completed", "turn.resumed", "output.message.started", "output.message.completed", "turn.completed", "session.idled",
      ]);
      expect(rest.find((e) => e.type === "output.message.completed")!.data.message.content).toEqual([{ type: "text", text: "The upstream got: 25." }]);
      expect(inputsOf(sessionId)).toHaveLength(2);
      expect(inputsOf(sessionId)[1]!.messages.at(-1)).toMatchObject({ role: "tool", toolCallId: requested.tool_call.id, content: "25" });
    });

    it("Parley's own AG-UI route serves an upstream turn: its text, the upstream's own tool call and result", async () => {
      const threadId = `upstream-${randomUUID()}`;
      const client = new HttpAgent({ url: `${url}/v1/ag-ui`, threadId, initialMessages: [{ id: randomUUID(), role: "user", content: "weather in Oslo" }] });
      const events: any[] = [];
      await withTimeout(client.runAgent({ runId: randomUUID() }, { onEvent: ({ event }) => void events.push(event) }), 20_000, "runAgent");
      const start = events.find((e) => e.type === "TOOL_CALL_START");
      expect(start).toMatchObject({ toolCallName: "get_weather" });
      expect(events.find((e) => e.type === "TOOL_CALL_RESULT")).toMatchObject({ toolCallId: start.toolCallId });
      expect(events.find((e) => e.type === "TOOL_CALL_RESULT").content).toContain(WEATHER_RESULT("Oslo"));
      const text = events.filter((e) => e.type === "TEXT_MESSAGE_CONTENT").map((e) => e.delta).join("");
      expect(text).toBe("Let me look that up.It is sunny in Oslo.");
      expect(events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
    });

    it("RUN_ERROR fails the turn as llm_error, disclosed like any provider error", async () => {
      const failWith = async (errorDisclosure: string | undefined, modelMax: "GENERIC" | "STANDARD" | "DETAILED") => {
        await server.app.db.prisma.model.update({ where: { name: "agui" }, data: { maxErrorDisclosure: modelMax } });
        const sessionId = await createSession(url);
        const { lastSequence } = await sessionState(url, sessionId);
        const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: lastSequence });
        await sendText(url, sessionId, "fail", errorDisclosure ? { controls: { errorDisclosure } } : {});
        const events = (await sub.until((rs) => rs.some((r) => r.data!.sessionEvents.type === "session.idled"))).map((r) => r.data!.sessionEvents);
        sub.stop();
        expect(events.slice(-2).map((e) => e.type)).toEqual(["turn.failed", "session.idled"]);
        return events.at(-2)!.data;
      };
      try {
        const standard = await failWith(undefined, "DETAILED");
        expect(standard).toMatchObject({ error_code: "llm_error", error_disclosure: "standard", error: "llm_error: The upstream agent reported an error." });
        const detailed = await failWith("DETAILED", "DETAILED");
        expect(detailed.error).toMatch(/^llm_error: /);
        expect(detailed.error).toContain("GRAPH_ERROR: the graph exploded at node 7");
        expect((await failWith("DETAILED", "STANDARD")).error).not.toContain("node 7");
        expect((await failWith("GENERIC", "STANDARD")).error).toBe(GENERIC_ERROR_MESSAGE);
      } finally {
        await server.app.db.prisma.model.update({ where: { name: "agui" }, data: { maxErrorDisclosure: "STANDARD" } });
      }
    });

    it("an upstream that never answers, or goes silent mid-run, fails the turn as model_unavailable after AGUI_REQUEST_TIMEOUT_MS, not a hang", async () => {
      for (const text of ["hang", "stall"]) {
        const sessionId = await createSession(url);
        const events = await turn(sessionId, text);
        const started = events.find((e) => e.type === "turn.started")!;
        const failed = events.find((e) => e.type === "turn.failed")!;
        expect(failed.data).toMatchObject({ error_code: "model_unavailable", error: "model_unavailable: The upstream agent did not answer in time." });
        const waited = Date.parse(failed.ts) - Date.parse(started.ts);
        expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(waited).toBeLessThan(TIMEOUT_MS + 10_000);
        if (text === "stall") expect(events.filter((e) => e.type === "output.message.delta").map((e) => e.data.delta)).toEqual(["Thinking"]);
      }
    });

    it("cancelling the turn aborts the upstream request and keeps the partial answer", async () => {
      const sessionId = await createSession(url);
      const before = agent.server.requests.length;
      const deltas = await turn(sessionId, "slow", (e) => e.type === "output.message.delta");
      expect(deltas.at(-1)!.data.delta).toMatch(/^word\d+ /);
      await gqlData(url, `mutation($s: ID!) { cancelTurn(sessionId: $s) { id } }`, { s: sessionId });
      // The upstream sees its request closed.
      await withTimeout(agent.server.closed(before), 10_000, "the upstream request to close");
      const end = await collectSse(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, (e) => e.type === "session.idled");
      expect(end.map((e) => e.type).slice(-3)).toEqual(["output.message.completed", "turn.cancelled", "session.idled"]);
      const partial = end.find((e) => e.type === "output.message.completed")!.data as any;
      expect(partial.message.content[0].text).toMatch(/^word0 /);
      expect(partial.message.metadata).toEqual({ partial: true });
    });
  });
}

describe("upstream AG-UI agent unreachable", () => {
  let server: TestServer;
  let port: number;

  beforeAll(async () => {
    // A port that was just free and is closed now: connections are refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    server = await startServer(pgliteBackend(), { AGENT_DRIVER: "agui", AGUI_AGENT_URL: `http://127.0.0.1:${port}/agent`, AGUI_REQUEST_TIMEOUT_MS: "60000" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a refused connection fails the turn as model_unavailable at once (well within the timeout); DETAILED names the reason", async () => {
    await server.app.db.prisma.model.update({ where: { name: "agui" }, data: { maxErrorDisclosure: "DETAILED" } });
    const sessionId = await createSession(server.url);
    const started = Date.now();
    await sendText(server.url, sessionId, "hello?", { controls: { errorDisclosure: "DETAILED" } });
    const client = wsClient(server.url);
    try {
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: 0 });
      const events = (await sub.until((rs) => rs.some((r) => r.data!.sessionEvents.type === "session.idled"))).map((r) => r.data!.sessionEvents);
      sub.stop();
      const failed = events.find((e) => e.type === "turn.failed")!.data;
      expect(failed.error_code).toBe("model_unavailable");
      expect(failed.error).toMatch(/^model_unavailable: The upstream agent could not be reached\./);
      expect(failed.error).toContain("ECONNREFUSED");
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await client.dispose();
    }
  });
});
