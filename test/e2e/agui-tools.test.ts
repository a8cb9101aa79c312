// AG-UI people in the loop (SPEC §11, §13) driven by @ag-ui/client's
// HttpAgent on both backends: a frontend tool's round trip (RUN_FINISHED with
// pendingToolCallIds, then a run with the tool message), approvals through
// interrupts and `resume` (approved and rejected), both kinds at once, and
// Last-Event-ID resume across a wait (raw fetch: HttpAgent drops SSE ids).
// Every event is parsed with @ag-ui/core's schemas; nothing is stored twice.
import { randomUUID } from "node:crypto";
import { HttpAgent } from "@ag-ui/client";
import type { Message, Tool } from "@ag-ui/core";
import { EventSchema } from "@ag-ui/core/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { readSse } from "../support/sse.js";
import { eventually, withTimeout } from "../support/wait.js";

type AnyEvent = Record<string, any> & { type: string };

const valid = (event: unknown): AnyEvent => EventSchema.parse(event) as AnyEvent;
const textOf = (events: AnyEvent[]) => events.filter((e) => e.type === "TEXT_MESSAGE_CONTENT").map((e) => e.delta as string).join("");
const userMessage = (content: string): Message => ({ id: randomUUID(), role: "user", content });
const toolMessage = (toolCallId: string, content: string): Message => ({ id: randomUUID(), role: "tool", toolCallId, content });

const WEATHER: Tool = {
  name: "get_weather",
  description: "The weather in a city, from the browser",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

for (const backend of await backends()) {
  describe(`AG-UI client tools and approvals on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let endpoint: string;

    beforeAll(async () => {
      server = await startServer(backend, { DEMO_DELAY_MS: "5" });
      url = server.url;
      endpoint = `${url}/v1/ag-ui`;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    async function run(agent: HttpAgent, params: Parameters<HttpAgent["runAgent"]>[0] = {}) {
      const events: AnyEvent[] = [];
      const runId = params?.runId ?? randomUUID();
      await withTimeout(agent.runAgent({ ...params, runId }, { onEvent: ({ event }) => void events.push(valid(event)) }), 20_000, "runAgent");
      return { events, runId };
    }

    async function rawRun(body: Record<string, unknown>, headers: Record<string, string> = {}, stopAfter = Infinity) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 20_000);
      const frames: { id: string; event: AnyEvent }[] = [];
      try {
        const init = { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers }, signal: controller.signal };
        for await (const frame of readSse(endpoint, init)) {
          frames.push({ id: frame.id!, event: valid(JSON.parse(frame.data)) });
          if (frames.length >= stopAfter) break;
        }
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
      return frames;
    }

    const input = (threadId: string, runId: string, messages: Message[], extra: Record<string, unknown> = {}) => ({
      threadId, runId, messages, tools: [], context: [], state: {}, forwardedProps: {}, ...extra,
    });

    const agentSession = async (approvalRequired: string[], clientTools: Tool[] = []) => {
      const agent = await rest(url, "POST", "/v1/agents", { name: `hitl-${randomUUID().slice(0, 8)}`, approval_required: approvalRequired, client_tools: clientTools });
      expect(agent.status).toBe(201);
      return (await rest(url, "POST", "/v1/sessions", { agent_id: agent.body.id })).body.id as string;
    };
    const session = async (id: string) => (await rest(url, "GET", `/v1/sessions/${id}`)).body;
    const messagesOf = async (id: string) => (await rest(url, "GET", `/v1/sessions/${id}/messages`)).body.data as any[];
    const eventsOf = async (id: string) =>
      ((await gqlData(url, `query($id: ID!) { session(id: $id) { events(first: 500) { type data context { turnId } } } }`, { id })).session.events as any[]).map((e) => ({
        ...e,
        context: { turn_id: e.context.turnId },
      }));

    it("a frontend tool: TOOL_CALL_* then RUN_FINISHED with pendingToolCallIds; the tool message runs the rest of the turn", async () => {
      const threadId = (await rest(url, "POST", "/v1/sessions", {})).body.id as string;
      const agent = new HttpAgent({ url: endpoint, threadId, initialMessages: [userMessage('call get_weather {"city":"Paris"}')] });
      const first = await run(agent, { tools: [WEATHER] });

      const types = first.events.map((e) => e.type);
      expect(types).toEqual(["RUN_STARTED", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "RUN_FINISHED"]);
      const call = first.events[1]!;
      expect(call).toMatchObject({ toolCallName: "get_weather" });
      expect(JSON.parse(first.events[2]!.delta)).toEqual({ city: "Paris" });
      expect(first.events.at(-1)).toMatchObject({ threadId, runId: first.runId, outcome: { type: "success", pendingToolCallIds: [call.toolCallId] } });
      // RUN_FINISHED may come a moment before the runner has let go of the turn.
      const waiting = await eventually(async () => ((await session(threadId)).status === "waiting_for_tool_results" ? session(threadId) : null), 15_000, "the wait");
      expect(waiting.pending_tool_calls).toMatchObject([{ tool_call: { id: call.toolCallId, name: "get_weather" }, kind: "client" }]);

      // The frontend ran the tool: its answer is the next run's tool message.
      agent.addMessage(toolMessage(call.toolCallId, "sunny, 24 degrees"));
      const second = await run(agent);
      expect(second.events[0]).toMatchObject({ type: "RUN_STARTED", runId: second.runId });
      expect(second.events.some((e) => e.type === "TOOL_CALL_RESULT")).toBe(false); // the client has its own tool message
      expect(textOf(second.events)).toBe("The answer is sunny, 24 degrees.");
      expect(second.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
      expect(second.events.at(-1)!.outcome.pendingToolCallIds).toBeUndefined();

      const stored = await messagesOf(threadId);
      const result = stored.find((m) => m.role === "tool_result");
      expect(result.content[0]).toMatchObject({ type: "tool_result", tool_call_id: call.toolCallId, content: [{ type: "text", text: "sunny, 24 degrees" }] });
      expect(stored.at(-1).content[0].text).toBe(textOf(second.events));
      expect(agent.messages.filter((m) => m.role === "tool")).toHaveLength(1);

      // Retries store nothing: the same messages under a new runId start nothing; the second runId replays its run.
      const again = await run(agent);
      expect(again.events.map((e) => e.type)).toEqual(["RUN_STARTED", "RUN_FINISHED"]);
      const replay = await rawRun(input(threadId, second.runId, agent.messages));
      expect(replay.map((f) => f.event)).toEqual(second.events);
      expect(await messagesOf(threadId)).toEqual(stored);
      expect((await session(threadId)).status).toBe("idle");
    });

    it("an approval: RUN_FINISHED interrupt; resume resolved → the tool runs, resume with approve false → rejected with the reason", async () => {
      const sessionId = await agentSession(["calculator"]);
      const agent = new HttpAgent({ url: endpoint, threadId: sessionId, initialMessages: [userMessage('call calculator {"expression":"6*7"}')] });
      const first = await run(agent);
      const call = first.events.find((e) => e.type === "TOOL_CALL_START")!;
      const finished = first.events.at(-1)!;
      expect(finished).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "interrupt" } });
      expect(finished.outcome.interrupts).toEqual([{ id: call.toolCallId, reason: "tool_approval", toolCallId: call.toolCallId, expiresAt: expect.any(String) }]);
      expect(new Date(finished.outcome.interrupts[0].expiresAt).getTime()).toBeGreaterThan(Date.now());
      expect(agent.pendingInterrupts.map((i) => i.id)).toEqual([call.toolCallId]);
      // HttpAgent itself refuses a run that leaves the interrupt unanswered.
      await expect(agent.runAgent({})).rejects.toThrow(/pending interrupt/);

      const second = await run(agent, { resume: [{ interruptId: call.toolCallId, status: "resolved", payload: { approve: true } }] });
      const result = second.events.find((e) => e.type === "TOOL_CALL_RESULT")!;
      expect(result).toMatchObject({ toolCallId: call.toolCallId, content: "42" });
      expect(textOf(second.events)).toBe("The answer is 42.");
      expect(second.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
      expect(agent.pendingInterrupts).toEqual([]);
      const all = await eventsOf(sessionId);
      const turnId = all.find((e) => e.type === "tool.call_requested").context.turn_id;
      expect(all.filter((e) => e.context.turn_id === turnId).map((e) => e.type).filter((t) => t.startsWith("tool.") || t === "turn.resumed")).toEqual(["tool.call_requested", "tool.started", "tool.completed", "turn.resumed"]);

      // Rejected: the next call of the same thread, answered with approve false and a reason.
      agent.addMessage(userMessage('call calculator {"expression":"1+1"}'));
      const third = await run(agent);
      const rejectedCall = third.events.find((e) => e.type === "TOOL_CALL_START")!;
      expect(third.events.at(-1)!.outcome.type).toBe("interrupt");
      const fourth = await run(agent, { resume: [{ interruptId: rejectedCall.toolCallId, status: "resolved", payload: { approve: false, reason: "not today" } }] });
      expect(fourth.events.find((e) => e.type === "TOOL_CALL_RESULT")).toMatchObject({ toolCallId: rejectedCall.toolCallId, content: "rejected: not today" });
      expect(fourth.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
      const completed = (await eventsOf(sessionId)).find((e) => e.type === "tool.completed" && e.data.tool_call_id === rejectedCall.toolCallId);
      expect(completed.data).toMatchObject({ status: "error", error: "rejected: not today" });
      expect((await eventsOf(sessionId)).some((e) => e.type === "tool.started" && e.data.tool_call.id === rejectedCall.toolCallId)).toBe(false);

      // The same resume again (a retry) stores nothing; a different decision for the ended call is 409.
      const before = await eventsOf(sessionId);
      const retry = await rawRun(input(sessionId, randomUUID(), agent.messages, { resume: [{ interruptId: rejectedCall.toolCallId, status: "resolved", payload: { approve: false, reason: "not today" } }] }));
      expect(retry.map((f) => f.event.type)).toEqual(["RUN_STARTED", "RUN_FINISHED"]);
      const conflict = await rest(url, "POST", "/v1/ag-ui", input(sessionId, randomUUID(), agent.messages, { resume: [{ interruptId: rejectedCall.toolCallId, status: "resolved", payload: { approve: true } }] }));
      expect(conflict.status).toBe(409);
      const unknown = await rest(url, "POST", "/v1/ag-ui", input(sessionId, randomUUID(), agent.messages, { resume: [{ interruptId: "call_nothing", status: "resolved" }] }));
      expect(unknown.status).toBe(422);
      expect(unknown.body.error).toContain("call_nothing");
      expect(await eventsOf(sessionId)).toEqual(before);
    });

    it("both kinds at once: the interrupt outcome with the client call left open; answering both runs the turn to its end", async () => {
      const sessionId = await agentSession(["calculator"]);
      const agent = new HttpAgent({
        url: endpoint,
        threadId: sessionId,
        initialMessages: [userMessage('call calculator {"expression":"2+3"}\ncall get_weather {"city":"Oslo"}')],
      });
      const first = await run(agent, { tools: [WEATHER] });
      const [calc, weather] = first.events.filter((e) => e.type === "TOOL_CALL_START");
      expect([calc!.toolCallName, weather!.toolCallName]).toEqual(["calculator", "get_weather"]);
      expect(first.events.at(-1)!.outcome).toEqual({
        type: "interrupt",
        interrupts: [{ id: calc!.toolCallId, reason: "tool_approval", toolCallId: calc!.toolCallId, expiresAt: expect.any(String) }],
      });

      // Only the approval first: the turn still waits for the browser, so the run ends there at once.
      const approvedOnly = await run(agent, { resume: [{ interruptId: calc!.toolCallId, status: "resolved" }] });
      expect(approvedOnly.events.map((e) => e.type)).toEqual(["RUN_STARTED", "RUN_FINISHED"]);
      expect(approvedOnly.events[1]!.outcome).toEqual({ type: "success", pendingToolCallIds: [weather!.toolCallId] });

      agent.addMessage(toolMessage(weather!.toolCallId, "snow"));
      const last = await run(agent);
      expect(last.events.filter((e) => e.type === "TOOL_CALL_RESULT").map((e) => [e.toolCallId, e.content])).toEqual([[calc!.toolCallId, "5"]]);
      expect(textOf(last.events)).toBe("The answer is 5; snow.");
      expect(last.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
    });

    it("Last-Event-ID across a wait: the resumed run cut mid-answer gets exactly the rest; the first run replays up to its wait", async () => {
      const threadId = `resume-wait-${randomUUID()}`;
      const firstRunId = randomUUID();
      const firstMessages = [userMessage('call get_weather {"city":"Lima"}')];
      const first = await rawRun(input(threadId, firstRunId, firstMessages, { tools: [WEATHER] }));
      const call = first.find((f) => f.event.type === "TOOL_CALL_START")!.event;
      expect(first.at(-1)!.event.outcome).toEqual({ type: "success", pendingToolCallIds: [call.toolCallId] });

      const answer = `cloudy ${"and rather long words ".repeat(20)}`.trim();
      const history = [...firstMessages, { id: randomUUID(), role: "assistant", toolCalls: [{ id: call.toolCallId, type: "function", function: { name: "get_weather", arguments: '{"city":"Lima"}' } }] }, toolMessage(call.toolCallId, answer)] as Message[];
      const secondRunId = randomUUID();
      const head = await rawRun(input(threadId, secondRunId, history), {}, 5); // cut mid-answer
      expect(head.at(-1)!.event.type).toBe("TEXT_MESSAGE_CONTENT");
      const tail = await rawRun(input(threadId, secondRunId, history), { "last-event-id": head.at(-1)!.id });
      expect(tail[0]).toEqual(head[0]);
      const full = await rawRun(input(threadId, secondRunId, history));
      expect([...head, ...tail.slice(1)]).toEqual(full);
      expect(textOf(full.map((f) => f.event))).toBe(`The answer is ${answer}.`);
      expect(full.at(-1)!.event).toMatchObject({ type: "RUN_FINISHED", runId: secondRunId, outcome: { type: "success" } });
      for (let i = 1; i < full.length; i++) {
        const [a, b] = [full[i - 1]!.id, full[i]!.id].map((id) => id.split(".").map(Number)) as [[number, number], [number, number]];
        expect(b[0] > a[0] || (b[0] === a[0] && b[1] > a[1])).toBe(true);
      }
      expect(Number(full[0]!.id.split(".")[0])).toBeGreaterThan(Number(first.at(-1)!.id.split(".")[0]));

      // The first run, asked again after the wait is over: the same frames, ending at its wait.
      expect(await rawRun(input(threadId, firstRunId, firstMessages, { tools: [WEATHER] }))).toEqual(first);
      const resumedFirst = await rawRun(input(threadId, firstRunId, firstMessages), { "last-event-id": first[1]!.id });
      expect(resumedFirst).toEqual([first[0], ...first.slice(2)]);
    });

    it("bad client tools (a server tool's name, a bad name) are 422 and store nothing", async () => {
      const threadId = `bad-tools-${randomUUID()}`;
      const before = (await rest(url, "GET", "/v1/sessions?limit=1")).body.total;
      const clash = await rest(url, "POST", "/v1/ag-ui", input(threadId, randomUUID(), [userMessage("hi")], { tools: [{ name: "calculator", description: "mine", parameters: { type: "object" } }] }));
      expect(clash.status).toBe(422);
      expect(clash.body.error).toMatch(/calculator/);
      const badName = await rest(url, "POST", "/v1/ag-ui", input(threadId, randomUUID(), [userMessage("hi")], { tools: [{ name: "no spaces", description: "x" }] }));
      expect(badName.status).toBe(422);
      expect((await rest(url, "GET", "/v1/sessions?limit=1")).body.total).toBe(before);
    });
  });
}
