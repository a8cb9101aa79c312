// Durable waiting turns (SPEC §11) as a client sees them, on both backends:
// client tools answered with submitToolResults (per turn and from an agent),
// approvals allowed and rejected with decideToolCalls, a step mixing server,
// client and approval calls, every error rule, idempotent repeats, batches,
// concurrent answers, timeouts, cancel while waiting and maxIterations.
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, gql, gqlData, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText, sessionState } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

type Ev = { type: string; sequence: number; ts: string; data: Record<string, any> };
const EVENTS = `subscription($id: ID!, $after: Int) { sessionEvents(sessionId: $id, after: $after) { type sequence ts data } }`;
const SESSION = `status pendingToolCalls { toolCall { id name arguments } kind turnId requestedAt expiresAt }`;
const SUBMIT = `mutation($s: ID!, $r: [ToolResultInput!]!) { submitToolResults(sessionId: $s, results: $r) { ${SESSION} } }`;
const DECIDE = `mutation($s: ID!, $d: [ToolDecisionInput!]!) { decideToolCalls(sessionId: $s, decisions: $d) { ${SESSION} } }`;
const WEATHER = { name: "get_weather", description: "The weather where the user is", parameters: { type: "object", properties: { city: { type: "string" } } } };

const text = (t: string) => [{ text: { text: t } }];
const isEnd = (e: Ev) => e.type === "session.idled";

for (const backend of await backends()) {
  describe(`waiting turns on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let client: Client;

    beforeAll(async () => {
      server = await startServer(backend, { TOOL_WAIT_TIMEOUT_MS: "600000" });
      url = server.url;
      client = wsClient(url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    /** Events of a session after `after` (over graphql-ws), until `done` holds; deltas left out. */
    async function eventsUntil(sessionId: string, after: number, done: (events: Ev[]) => boolean): Promise<Ev[]> {
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after });
      const all = () => sub.results.map((r) => r.data!.sessionEvents).filter((e) => e.type !== "output.message.delta");
      await sub.until(() => done(all()));
      sub.stop();
      return all();
    }
    /** Posts a text and waits until the turn waits (its tool.call_requested events and WAITING_FOR_TOOL_RESULTS) or ends. */
    async function postUntilWaiting(sessionId: string, body: string, extra: Record<string, unknown> = {}) {
      const { lastSequence } = await sessionState(url, sessionId);
      await sendText(url, sessionId, body, extra);
      await eventually(async () => {
        const { status } = await sessionState(url, sessionId);
        return status === "WAITING_FOR_TOOL_RESULTS" || status === "IDLE";
      }, 15_000, "the turn to wait");
      const events = await eventsUntil(sessionId, lastSequence, (es) => es.some((e) => e.type === "tool.call_requested" || isEnd(e)));
      return { events, after: lastSequence };
    }
    const session = async (id: string) => (await gqlData(url, `query($id: ID!) { session(id: $id) { ${SESSION} } }`, { id })).session;
    const answers = (events: Ev[]) =>
      events.filter((e) => e.type === "output.message.completed").map((e) => e.data.message.content.map((p: { text?: string }) => p.text ?? "").join(""));
    const errorOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) => res.errors?.[0]?.extensions;

    it("a per-turn client tool: tool.call_requested, WAITING, pendingToolCalls, then the result resumes the turn", async () => {
      const sessionId = await createSession(url);
      const { events, after } = await postUntilWaiting(sessionId, 'call get_weather {"city":"Paris"}', { controls: { clientTools: [WEATHER] } });
      const requested = events.filter((e) => e.type === "tool.call_requested");
      expect(requested).toHaveLength(1);
      const call = requested[0]!.data;
      expect(call).toMatchObject({ turn_id: expect.stringMatching(/^turn_/), kind: "client", tool_call: { name: "get_weather", arguments: { city: "Paris" } } });
      expect(Date.parse(call.expires_at) - Date.parse(requested[0]!.ts)).toBe(600_000);
      expect(events.map((e) => e.type)).not.toContain("tool.started");
      const waiting = await session(sessionId);
      expect(waiting.status).toBe("WAITING_FOR_TOOL_RESULTS");
      expect(waiting.pendingToolCalls).toEqual([
        { toolCall: call.tool_call, kind: "CLIENT", turnId: call.turn_id, requestedAt: requested[0]!.ts, expiresAt: call.expires_at },
      ]);

      const answered = await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: call.tool_call.id, content: text("sunny, 21°C") }] });
      expect(answered.submitToolResults.pendingToolCalls).toEqual([]);
      const rest = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      const types = rest.map((e) => e.type);
      expect(types.slice(types.indexOf("tool.call_requested"))).toEqual([
        "tool.call_requested",
        "tool.completed",
        "turn.resumed",
        "output.message.started",
        "output.message.completed",
        "turn.completed",
        "session.idled",
      ]);
      expect(rest.find((e) => e.type === "tool.completed")!.data).toMatchObject({
        tool_call_id: call.tool_call.id,
        tool_name: "get_weather",
        status: "success",
        result: [{ type: "text", text: "sunny, 21°C" }],
        error: null,
      });
      expect(rest.find((e) => e.type === "turn.resumed")!.data).toEqual({ turn_id: call.turn_id });
      expect(answers(rest).at(-1)).toBe("The answer is sunny, 21°C.");
      expect(rest.filter((e) => e.type === "output.message.started").map((e) => e.data.iteration)).toEqual([1, 2]);
      expect(rest.find((e) => e.type === "turn.completed")!.data.iterations).toBe(2);
      const messages = await gqlData(url, `query($id: ID!) { session(id: $id) { status messages { nodes { role } } } }`, { id: sessionId });
      expect(messages.session.status).toBe("IDLE");
      expect(messages.session.messages.nodes.map((m: { role: string }) => m.role)).toEqual(["USER", "AGENT", "TOOL_RESULT", "AGENT"]);
    });

    it("an agent's client tool waits the same way; isError gives status error", async () => {
      const agent = await gqlData(url, `mutation($i: CreateAgentInput!) { createAgent(input: $i) { id } }`, { i: { name: "Front", clientTools: [WEATHER] } });
      const sessionId = await createSession(url, { agentId: agent.createAgent.id });
      const { events, after } = await postUntilWaiting(sessionId, "call get_weather");
      const id = events.find((e) => e.type === "tool.call_requested")!.data.tool_call.id;
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: id, content: text("no GPS fix"), isError: true }] });
      const rest = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      expect(rest.find((e) => e.type === "tool.completed")!.data).toMatchObject({ status: "error", error: "no GPS fix" });
      expect(answers(rest).at(-1)).toBe("I could not work that out: no GPS fix.");
    });

    it("approval: allowed runs the tool on resume (tool.started, tool.completed, turn.resumed); rejected never runs", async () => {
      const sessionId = await createSession(url);
      const first = await postUntilWaiting(sessionId, 'call calculator {"expression":"6*7"}', { controls: { approvalRequired: ["calc*"] } });
      const requested = first.events.find((e) => e.type === "tool.call_requested")!.data;
      expect(requested.kind).toBe("approval");
      expect((await session(sessionId)).pendingToolCalls[0].kind).toBe("APPROVAL");
      await gqlData(url, DECIDE, { s: sessionId, d: [{ toolCallId: requested.tool_call.id, approve: true }] });
      const allowed = await eventsUntil(sessionId, first.after, (es) => es.some(isEnd));
      const types = allowed.map((e) => e.type);
      expect(types.slice(types.indexOf("tool.call_requested"), types.indexOf("turn.resumed") + 1)).toEqual([
        "tool.call_requested",
        "tool.started",
        "tool.completed",
        "turn.resumed",
      ]);
      expect(allowed.find((e) => e.type === "tool.completed")!.data).toMatchObject({ status: "success", result: [{ type: "text", text: "42" }] });
      expect(answers(allowed).at(-1)).toBe("The answer is 42.");

      const second = await postUntilWaiting(sessionId, 'call calculator {"expression":"1/0"}', { controls: { approvalRequired: ["calculator"] } });
      const id = second.events.find((e) => e.type === "tool.call_requested")!.data.tool_call.id;
      await gqlData(url, DECIDE, { s: sessionId, d: [{ toolCallId: id, approve: false, reason: "not now" }] });
      const rejected = await eventsUntil(sessionId, second.after, (es) => es.some(isEnd));
      expect(rejected.map((e) => e.type)).not.toContain("tool.started");
      expect(rejected.find((e) => e.type === "tool.completed")!.data).toMatchObject({ status: "error", error: "rejected: not now" });
      expect(answers(rejected).at(-1)).toBe("I could not work that out: rejected: not now.");
    });

    it("one step with a server tool, a client tool and an approval: requests first, server tool runs, then the wait", async () => {
      const sessionId = await createSession(url);
      const body = 'call calculator {"expression":"2+2"}\ncall get_weather {}\ncall current_time {}';
      const { after } = await postUntilWaiting(sessionId, body, { controls: { clientTools: [WEATHER], approvalRequired: ["current_time"] } });
      const before = await eventsUntil(sessionId, after, (es) => es.filter((e) => e.type === "tool.completed").length === 1);
      const types = before.map((e) => e.type);
      expect(types.slice(types.indexOf("output.message.completed"))).toEqual([
        "output.message.completed",
        "tool.call_requested",
        "tool.call_requested",
        "tool.started",
        "tool.completed",
      ]);
      const [client, approval] = before.filter((e) => e.type === "tool.call_requested").map((e) => e.data) as [Ev["data"], Ev["data"]];
      expect([client.kind, approval.kind]).toEqual(["client", "approval"]);
      await eventually(async () => (await session(sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the wait");
      await gqlData(url, DECIDE, { s: sessionId, d: [{ toolCallId: approval.tool_call.id, approve: false }] });
      expect((await session(sessionId)).pendingToolCalls.map((p: { kind: string }) => p.kind)).toEqual(["CLIENT"]);
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: client.tool_call.id, content: text("rain") }] });
      const all = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      expect(answers(all).at(-1)).toBe("I could not work that out: 4; rain; rejected.");
    });

    it("error rules: unknown id, wrong kind, idempotent repeat, CONFLICT for another answer, batches all-or-nothing", async () => {
      const sessionId = await createSession(url);
      const { events, after } = await postUntilWaiting(sessionId, "call get_weather\ncall get_weather\ncall calculator {\"expression\":\"1+1\"}", {
        controls: { clientTools: [WEATHER], approvalRequired: ["calculator"] },
      });
      await eventually(async () => (await session(sessionId)).pendingToolCalls.length === 3, 15_000, "three waiting calls");
      const ids = events.filter((e) => e.type === "tool.call_requested").map((e) => e.data.tool_call.id);
      const [a, b, approval] = ids as [string, string, string];

      const unknown = await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: "call_nope", content: text("x") }] });
      expect(errorOf(unknown)).toMatchObject({ code: "VALIDATION_FAILED", field: "results[0].toolCallId" });
      const wrongKind = await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: a, content: text("x") }, { toolCallId: approval, content: text("x") }] });
      expect(errorOf(wrongKind)).toMatchObject({ code: "VALIDATION_FAILED", field: "results[1].toolCallId" });
      const wrongKind2 = await gql(url, DECIDE, { s: sessionId, d: [{ toolCallId: a, approve: true }] });
      expect(errorOf(wrongKind2)).toMatchObject({ code: "VALIDATION_FAILED", field: "decisions[0].toolCallId" });
      // Nothing of the failed batches was applied: a is still waiting.
      expect((await session(sessionId)).pendingToolCalls.map((p: { toolCall: { id: string } }) => p.toolCall.id)).toEqual(ids);

      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: a, content: text("one") }] });
      const { lastSequence } = await sessionState(url, sessionId);
      // The same answer again: success, no new event.
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: a, content: text("one") }] });
      expect((await sessionState(url, sessionId)).lastSequence).toBe(lastSequence);
      const other = await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: a, content: text("two") }] });
      expect(errorOf(other)).toMatchObject({ code: "CONFLICT" });
      const flipped = await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: a, content: text("one"), isError: true }] });
      expect(errorOf(flipped)).toMatchObject({ code: "CONFLICT" });
      // A batch with one bad entry applies nothing: b stays waiting.
      const mixed = await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: b, content: text("fine") }, { toolCallId: a, content: text("two") }] });
      expect(errorOf(mixed)).toMatchObject({ code: "CONFLICT" });
      expect((await session(sessionId)).pendingToolCalls.map((p: { toolCall: { id: string } }) => p.toolCall.id)).toEqual([b, approval]);
      expect((await sessionState(url, sessionId)).lastSequence).toBe(lastSequence);

      // A repeat mixed with a new answer: the repeat is a no-op, the new one applies.
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: a, content: text("one") }, { toolCallId: b, content: text("fine") }] });
      await gqlData(url, DECIDE, { s: sessionId, d: [{ toolCallId: approval, approve: true, reason: "ok" }] });
      await gqlData(url, DECIDE, { s: sessionId, d: [{ toolCallId: approval, approve: true, reason: "ok" }] });
      const changed = await gql(url, DECIDE, { s: sessionId, d: [{ toolCallId: approval, approve: false }] });
      expect(errorOf(changed)).toMatchObject({ code: "CONFLICT" });
      const all = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      expect(all.filter((e) => e.type === "tool.completed").map((e) => e.data.tool_call_id)).toEqual([a, b, approval]);
      expect(answers(all).at(-1)).toBe("The answer is one; fine; 2.");
      // Ended calls of an ended turn: same rules.
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: b, content: text("fine") }] });
      expect(errorOf(await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: b, content: text("late") }] }))).toMatchObject({ code: "CONFLICT" });
      expect(errorOf(await gql(url, SUBMIT, { s: "session_nope", r: [] }))).toMatchObject({ code: "INVALID_ID" });
    });

    it("concurrent answers to one call from two clients: exactly one tool.completed", async () => {
      const sessionId = await createSession(url);
      const { events, after } = await postUntilWaiting(sessionId, "call get_weather", { controls: { clientTools: [WEATHER] } });
      const id = events.find((e) => e.type === "tool.call_requested")!.data.tool_call.id;
      const tries = await Promise.all(
        ["a", "b", "a", "b", "a"].map((t) => gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: id, content: text(t) }] })),
      );
      const ok = tries.filter((r) => !r.errors);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(tries.filter((r) => r.errors).every((r) => errorOf(r)!.code === "CONFLICT")).toBe(true);
      const all = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      expect(all.filter((e) => e.type === "tool.completed")).toHaveLength(1);
      expect(all.filter((e) => e.type === "turn.resumed")).toHaveLength(1);
    });

    it("cancelTurn while waiting: the calls end as cancelled, then turn.cancelled and session.idled; late answers CONFLICT", async () => {
      const sessionId = await createSession(url);
      const { events, after } = await postUntilWaiting(sessionId, "call get_weather\ncall get_weather", { controls: { clientTools: [WEATHER] } });
      const ids = events.filter((e) => e.type === "tool.call_requested").map((e) => e.data.tool_call.id);
      await eventually(async () => (await session(sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the wait");
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: ids[0], content: text("first") }] });
      const cancelled = await gqlData(url, `mutation($s: ID!) { cancelTurn(sessionId: $s) { status } }`, { s: sessionId });
      expect(JSON.stringify(cancelled)).toContain("IDLE");
      const all = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      const types = all.map((e) => e.type);
      expect(types.slice(-4)).toEqual(["tool.completed", "tool.completed", "turn.cancelled", "session.idled"]);
      expect(all.at(-3)!.data).toMatchObject({ tool_call_id: ids[1], status: "error", error: "cancelled" });
      expect(all.at(-2)!.data.reason).toBe("cancelled by client");
      expect((await session(sessionId)).pendingToolCalls).toEqual([]);
      const late = await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: ids[1], content: text("late") }] });
      expect(errorOf(late)).toMatchObject({ code: "CONFLICT" });
      // The session runs the next message normally.
      const next = await postUntilWaiting(sessionId, "hello");
      expect(answers(await eventsUntil(sessionId, next.after, (es) => es.some(isEnd))).at(-1)).toMatch(/^You said: "hello"/);
    });

    it("maxIterations: a last step that waits still waits, then turn.resumed and turn.failed max_iterations", async () => {
      const agent = await gqlData(url, `mutation($i: CreateAgentInput!) { createAgent(input: $i) { id } }`, {
        i: { name: "Short", clientTools: [WEATHER], maxIterations: 1 },
      });
      const sessionId = await createSession(url, { agentId: agent.createAgent.id });
      const { events, after } = await postUntilWaiting(sessionId, "call get_weather");
      const id = events.find((e) => e.type === "tool.call_requested")!.data.tool_call.id;
      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: id, content: text("x") }] });
      const all = await eventsUntil(sessionId, after, (es) => es.some(isEnd));
      expect(all.map((e) => e.type).slice(-4)).toEqual(["tool.completed", "turn.resumed", "turn.failed", "session.idled"]);
      expect(all.at(-2)!.data.error_code).toBe("max_iterations");
    });

    it("delivery: a QUEUE message supersedes a waiting turn; REJECT stores nothing while a turn waits", async () => {
      const sessionId = await createSession(url);
      const { events, after } = await postUntilWaiting(sessionId, "call get_weather", { controls: { clientTools: [WEATHER] } });
      const id = events.find((e) => e.type === "tool.call_requested")!.data.tool_call.id;
      await eventually(async () => (await session(sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the wait");
      const { lastSequence } = await sessionState(url, sessionId);
      const rejected = await gql(url, `mutation($i: CreateMessageInput!) { createMessage(input: $i) { id } }`, {
        i: { sessionId, message: { content: text("not now") }, delivery: "REJECT" },
      });
      expect(errorOf(rejected)).toMatchObject({ code: "CONFLICT" });
      expect((await sessionState(url, sessionId)).lastSequence).toBe(lastSequence);

      const next = await sendText(url, sessionId, "never mind", { delivery: "QUEUE" });
      const all = await eventsUntil(sessionId, after, (es) => es.filter(isEnd).length === 2);
      const tail = all.filter((e) => e.sequence >= next.sequence);
      expect(tail.map((e) => e.type).slice(0, 6)).toEqual(["input.message", "tool.completed", "turn.cancelled", "session.idled", "turn.started", "session.activated"]);
      expect(tail[1]!.data).toMatchObject({ tool_call_id: id, status: "error", error: "cancelled" });
      expect(tail[2]!.data.reason).toBe("superseded");
      expect(answers(all).at(-1)).toMatch(/^You said: "never mind"/);
      expect(errorOf(await gql(url, SUBMIT, { s: sessionId, r: [{ toolCallId: id, content: text("late") }] }))).toMatchObject({ code: "CONFLICT" });
      // With no turn running or waiting, REJECT starts a turn like any other delivery.
      const idle = await postUntilWaiting(sessionId, "hello again", { delivery: "REJECT" });
      expect(answers(await eventsUntil(sessionId, idle.after, (es) => es.some(isEnd))).at(-1)).toMatch(/^You said: "hello again"/);
    });

    it("per-turn controls are validated with the agents' rules, nothing stored", async () => {
      const sessionId = await createSession(url);
      const { lastSequence } = await sessionState(url, sessionId);
      const post = (controls: Record<string, unknown>) =>
        gql(url, `mutation($i: CreateMessageInput!) { createMessage(input: $i) { id } }`, { i: { sessionId, message: { content: text("x") }, controls } });
      expect(errorOf(await post({ clientTools: [{ name: "calculator" }] }))).toMatchObject({ code: "VALIDATION_FAILED", field: "controls.clientTools[0].name" });
      expect(errorOf(await post({ clientTools: [{ name: "bad name" }] }))).toMatchObject({ code: "VALIDATION_FAILED", field: "controls.clientTools[0].name" });
      expect(errorOf(await post({ clientTools: [{ name: "ok", parameters: { type: "string" } }] }))).toMatchObject({
        code: "VALIDATION_FAILED",
        field: "controls.clientTools[0].parameters",
      });
      expect(errorOf(await post({ approvalRequired: ["a*b"] }))).toMatchObject({ code: "VALIDATION_FAILED", field: "controls.approvalRequired[0]" });
      expect((await sessionState(url, sessionId)).lastSequence).toBe(lastSequence);
    });
  });
}
