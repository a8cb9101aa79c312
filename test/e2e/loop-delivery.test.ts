// Messages during a turn (SPEC §11) as clients see them, on both backends:
// STEER into a streaming turn (one more step quotes it), into a waiting turn
// (the resumed step sees it) and past maxIterations (it runs as its own turn);
// INTERRUPT of a running turn (partial answer kept, it runs before messages
// queued earlier) and of a waiting one; Message.delivery; wait mode over
// GraphQL (waitMs) and REST (?wait=true); bad bounds store nothing; a client
// that goes away ends its wait. Then INTERRUPT across two instances.
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, postgresAvailable, postgresBackend } from "../support/backends.js";
import { eventually, gql, gqlData, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText, sessionState } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

type Ev = { type: string; sequence: number; ts: string; context: { turnId: string | null; inputMessageId: string | null }; data: Record<string, any> };
const EVENTS = `subscription($id: ID!, $after: Int) { sessionEvents(sessionId: $id, after: $after) { type sequence ts context { turnId inputMessageId } data } }`;
const CREATE = `mutation($i: CreateMessageInput!) { createMessage(input: $i) { id sequence turnId delivery } }`;
const SUBMIT = `mutation($s: ID!, $r: [ToolResultInput!]!) { submitToolResults(sessionId: $s, results: $r) { status } }`;
const WEATHER = { name: "get_weather", description: "The weather where the user is", parameters: { type: "object" } };

const text = (t: string) => [{ text: { text: t } }];
/** A user text whose quoted reply streams in many deltas (DEMO_DELAY_MS apart). */
const long = (label: string, words = 90) => `${label} ${Array.from({ length: words }, (_, i) => `w${i}`).join(" ")}`;
const isEnd = (e: Ev) => e.type === "session.idled";
const textOf = (e: Ev) => e.data.message.content.map((p: { text?: string }) => p.text ?? "").join("");
const answers = (events: Ev[]) => events.filter((e) => e.type === "output.message.completed").map(textOf);
const gapless = (events: Ev[]) => events.every((e, i) => i === 0 || e.sequence === events[i - 1]!.sequence + 1);

for (const backend of await backends()) {
  describe(`messages during a turn on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let client: Client;

    beforeAll(async () => {
      server = await startServer(backend, { DEMO_DELAY_MS: "25", TOOL_WAIT_TIMEOUT_MS: "600000" });
      url = server.url;
      client = wsClient(url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    /** Every event of the session after `after` (deltas included) over graphql-ws, live, until stopped. */
    const watch = (sessionId: string, after = 0) => {
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after });
      const all = () => sub.results.map((r) => r.data!.sessionEvents);
      return { all, until: (done: (events: Ev[]) => boolean, ms = 20_000) => sub.until(() => done(all()), ms).then(all), stop: sub.stop };
    };
    const post = async (sessionId: string, body: string, extra: Record<string, unknown> = {}) =>
      (await gqlData(url, CREATE, { i: { sessionId, message: { content: text(body) }, ...extra } })).createMessage;
    const firstDelta = (events: Ev[]) => events.some((e) => e.type === "output.message.delta");
    const deliveries = async (sessionId: string) =>
      (await gqlData(url, `query($id: ID!) { session(id: $id) { messages { nodes { id role delivery } } } }`, { id: sessionId })).session.messages.nodes;

    it("STEER during a streaming step: stored under the running turn, one more step quotes it, still one turn", async () => {
      const sessionId = await createSession(url);
      const stream = watch(sessionId);
      const first = await post(sessionId, long("story"));
      expect(first.delivery).toBe("STARTED");
      await stream.until(firstDelta);
      const steered = await post(sessionId, "also mention dragons", { delivery: "STEER" });
      expect(steered.delivery).toBe("STEERED");
      expect(steered.turnId).toBe(first.turnId); // context.turnId of the running turn

      const all = await stream.until((es) => es.some(isEnd));
      stream.stop();
      expect(gapless(all)).toBe(true);
      const types = all.filter((e) => e.type !== "output.message.delta").map((e) => e.type);
      expect(types).toEqual([
        "session.started",
        "input.message",
        "turn.started",
        "session.activated",
        "output.message.started",
        "input.message", // the steered message, logged while step 1 streams
        "output.message.completed",
        "output.message.started", // the extra step for it
        "output.message.completed",
        "turn.completed",
        "session.idled",
      ]);
      const input = all.filter((e) => e.type === "input.message")[1]!;
      expect(input.context).toEqual({ turnId: first.turnId, inputMessageId: steered.id });
      expect(input.data.message).toMatchObject({ delivery: "steered", turn_id: first.turnId });
      expect(all.filter((e) => e.type === "turn.started")).toHaveLength(1);
      expect(answers(all)[0]).toMatch(/^You said: "story w0/);
      expect(answers(all)[1]).toMatch(/^You said: "also mention dragons"/);
      expect(all.find((e) => e.type === "turn.completed")!.data.iterations).toBe(2);
      expect(all.filter((e) => e.type === "output.message.started").map((e) => e.data.iteration)).toEqual([1, 2]);
      // A steered message a step took in is answered: the turn's end is a boundary to fork at, and the copy keeps its delivery.
      const fork = await gqlData(url, `mutation($i: ForkSessionInput!) { forkSession(input: $i) { id } }`, { i: { sessionId, atSequence: all.at(-1)!.sequence } });
      expect((await deliveries(fork.forkSession.id)).map((m: { delivery: string | null }) => m.delivery)).toEqual(["STARTED", "STEERED", null, null]);
      const nodes = await deliveries(sessionId);
      expect(nodes.map((m: { role: string; delivery: string | null }) => [m.role, m.delivery])).toEqual([
        ["USER", "STARTED"],
        ["USER", "STEERED"],
        ["AGENT", null],
        ["AGENT", null],
      ]);
    });

    it("STEER into a waiting turn: the resumed step sees it after the tool result", async () => {
      const sessionId = await createSession(url);
      const stream = watch(sessionId);
      const first = await post(sessionId, "call get_weather", { controls: { clientTools: [WEATHER] } });
      const requested = (await stream.until((es) => es.some((e) => e.type === "tool.call_requested"))).find((e) => e.type === "tool.call_requested")!;
      await eventually(async () => (await sessionState(url, sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the wait");
      const steered = await post(sessionId, "and tomorrow?", { delivery: "STEER" });
      expect(steered).toMatchObject({ delivery: "STEERED", turnId: first.turnId });
      expect((await sessionState(url, sessionId)).status).toBe("WAITING_FOR_TOOL_RESULTS"); // no new turn, still waiting

      await gqlData(url, SUBMIT, { s: sessionId, r: [{ toolCallId: requested.data.tool_call.id, content: text("sunny") }] });
      const all = await stream.until((es) => es.some(isEnd));
      stream.stop();
      expect(gapless(all)).toBe(true);
      expect(all.filter((e) => e.type === "turn.started")).toHaveLength(1);
      expect(answers(all).at(-1)).toBe('The answer is sunny. You also said: "and tomorrow?".');
      expect(all.find((e) => e.type === "turn.completed")!.data.iterations).toBe(2);
      const types = all.filter((e) => e.type !== "output.message.delta").map((e) => e.type);
      expect(types.slice(types.indexOf("tool.call_requested"))).toEqual([
        "tool.call_requested",
        "input.message",
        "tool.completed",
        "turn.resumed",
        "output.message.started",
        "output.message.completed",
        "turn.completed",
        "session.idled",
      ]);
    });

    it("STEER past maxIterations: the turn ends as it was and the steered message runs as its own turn next", async () => {
      const agent = await gqlData(url, `mutation($i: CreateAgentInput!) { createAgent(input: $i) { id } }`, { i: { name: "One step", maxIterations: 1 } });
      const sessionId = await createSession(url, { agentId: agent.createAgent.id });
      const stream = watch(sessionId);
      const first = await post(sessionId, long("brief"));
      await stream.until(firstDelta);
      const queued = await post(sessionId, "queued before the steer");
      expect(queued.delivery).toBe("QUEUED");
      const steered = await post(sessionId, "one more thing", { delivery: "STEER" });
      const all = await stream.until((es) => es.filter(isEnd).length === 3);
      stream.stop();
      expect(gapless(all)).toBe(true);
      const turns = all.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id);
      // It was meant for the first turn, so it runs right after it, before the message queued earlier.
      expect(turns).toEqual([first.id, steered.id, queued.id]);
      expect(all.find((e) => e.type === "turn.completed")!.data.iterations).toBe(1);
      expect(answers(all)[1]).toMatch(/^You said: "one more thing"/);
      // At the first turn's end the steered message still waited for its turn: no fork there.
      const firstIdle = all.find(isEnd)!.sequence;
      const fork = await gql(url, `mutation($i: ForkSessionInput!) { forkSession(input: $i) { id } }`, { i: { sessionId, atSequence: firstIdle } });
      expect(fork.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "atSequence" });
    });

    it("INTERRUPT a running turn: cancelled as interrupted with its partial answer, then it runs before the message queued earlier", async () => {
      const sessionId = await createSession(url);
      const stream = watch(sessionId);
      const first = await post(sessionId, long("lecture"));
      const queued = await post(sessionId, "queued first");
      expect(queued.delivery).toBe("QUEUED");
      await stream.until(firstDelta);
      const urgent = await post(sessionId, "stop, urgent", { delivery: "INTERRUPT" });
      expect(urgent.delivery).toBe("STARTED");
      expect(urgent.turnId).not.toBe(first.turnId);

      const all = await stream.until((es) => es.filter(isEnd).length === 3);
      stream.stop();
      expect(gapless(all)).toBe(true);
      const cancelled = all.find((e) => e.type === "turn.cancelled")!;
      expect(cancelled.data).toEqual({ turn_id: first.turnId, reason: "interrupted" });
      const partial = all.find((e) => e.type === "output.message.completed")!;
      expect(partial.context.turnId).toBe(first.turnId);
      expect(partial.data.message.metadata).toEqual({ partial: true });
      expect(textOf(partial).length).toBeGreaterThan(0);
      expect(`You said: "${long("lecture")}"`.startsWith(textOf(partial))).toBe(true);
      expect(all.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id)).toEqual([first.id, urgent.id, queued.id]);
      expect(answers(all).slice(1)).toEqual([expect.stringMatching(/^You said: "stop, urgent"/), expect.stringMatching(/^You said: "queued first"/)]);
      const nodes = await deliveries(sessionId);
      expect(nodes.filter((m: { role: string }) => m.role === "USER").map((m: { delivery: string }) => m.delivery)).toEqual(["STARTED", "QUEUED", "STARTED"]);
    });

    it("INTERRUPT during an INTERRUPT's turn interrupts that one", async () => {
      const sessionId = await createSession(url);
      const stream = watch(sessionId);
      await post(sessionId, long("one"));
      await stream.until(firstDelta);
      const second = await post(sessionId, long("two"), { delivery: "INTERRUPT" });
      await stream.until((es) => es.some((e) => e.type === "output.message.delta" && e.context.turnId === second.turnId));
      const third = await post(sessionId, "three", { delivery: "INTERRUPT" });
      const all = await stream.until((es) => es.filter(isEnd).length === 3);
      stream.stop();
      const cancelled = all.filter((e) => e.type === "turn.cancelled").map((e) => [e.data.turn_id, e.data.reason]);
      expect(cancelled).toHaveLength(2);
      expect(cancelled[1]).toEqual([second.turnId, "interrupted"]);
      expect(all.find((e) => e.type === "turn.completed")!.context.turnId).toBe(third.turnId);
    });

    it("INTERRUPT a waiting turn: its calls end as cancelled, turn.cancelled interrupted, then the new turn", async () => {
      const sessionId = await createSession(url);
      const stream = watch(sessionId);
      const first = await post(sessionId, "call get_weather", { controls: { clientTools: [WEATHER] } });
      const requested = (await stream.until((es) => es.some((e) => e.type === "tool.call_requested"))).find((e) => e.type === "tool.call_requested")!;
      await eventually(async () => (await sessionState(url, sessionId)).status === "WAITING_FOR_TOOL_RESULTS", 15_000, "the wait");
      const urgent = await post(sessionId, "forget the weather", { delivery: "INTERRUPT" });
      const all = await stream.until((es) => es.filter(isEnd).length === 2);
      stream.stop();
      const tail = all.filter((e) => e.sequence >= urgent.sequence && e.type !== "output.message.delta");
      expect(tail.map((e) => e.type).slice(0, 6)).toEqual(["input.message", "tool.completed", "turn.cancelled", "session.idled", "turn.started", "session.activated"]);
      expect(tail[1]!.data).toMatchObject({ tool_call_id: requested.data.tool_call.id, status: "error", error: "cancelled" });
      expect(tail[2]!.data).toEqual({ turn_id: first.turnId, reason: "interrupted" });
      expect(answers(all).at(-1)).toMatch(/^You said: "forget the weather"/);
    });

    it("wait mode over GraphQL: the same request gets the answer; a waiting turn answers early; a short waitMs answers while it runs", async () => {
      const sessionId = await createSession(url);
      const QUERY = `mutation($i: CreateMessageInput!) {
        createMessage(input: $i) { id delivery session { status pendingToolCalls { kind } messages(last: 10) { nodes { role content { ... on TextPart { text } } } } } } }`;
      const done = await gqlData(url, QUERY, { i: { sessionId, message: { content: text("what is 6*7?") }, waitMs: 10_000 } });
      expect(done.createMessage.session.status).toBe("IDLE");
      const nodes = done.createMessage.session.messages.nodes;
      expect(nodes.map((m: { role: string }) => m.role)).toEqual(["USER", "AGENT", "TOOL_RESULT", "AGENT"]);
      expect(nodes.at(-1).content[0].text).toBe("The answer is 42.");

      const waiting = await gqlData(url, QUERY, {
        i: { sessionId, message: { content: text("call get_weather") }, controls: { clientTools: [WEATHER] }, waitMs: 10_000 },
      });
      expect(waiting.createMessage.session).toMatchObject({ status: "WAITING_FOR_TOOL_RESULTS", pendingToolCalls: [{ kind: "CLIENT" }] });

      const other = await createSession(url);
      const short = await gqlData(url, QUERY, { i: { sessionId: other, message: { content: text(long("slow")) }, waitMs: 100 } });
      // Answered before the turn ended: queued (a new session is STARTED until its turn starts) or running.
      expect(["STARTED", "ACTIVE"]).toContain(short.createMessage.session.status);
    });

    it("wait mode over REST: turn_status and turn_messages, for its own turn and for the turn a STEER joins", async () => {
      const sessionId = await createSession(url);
      const say = (t: string, extra: Record<string, unknown> = {}) => ({ message: { content: [{ type: "text", text: t }] }, ...extra });
      const done = await rest(url, "POST", `/v1/sessions/${sessionId}/messages?wait=true&timeout_ms=10000`, say("hello"));
      expect(done.status).toBe(201);
      expect(done.body).toMatchObject({ role: "user", delivery: "started", turn_status: "completed" });
      expect(done.body.turn_messages.map((m: { role: string }) => m.role)).toEqual(["agent"]);
      expect(done.body.turn_messages[0].content[0].text).toMatch(/^You said: "hello"/);

      const waiting = await rest(url, "POST", `/v1/sessions/${sessionId}/messages?wait=true`, say("call get_weather", { controls: { client_tools: [WEATHER] } }));
      expect(waiting.body).toMatchObject({ turn_status: "waiting_for_tool_results" });
      expect(waiting.body.turn_messages.map((m: { role: string }) => m.role)).toEqual(["agent"]);
      await rest(url, "POST", `/v1/sessions/${sessionId}/cancel`);

      const other = await createSession(url);
      const stream = watch(other);
      const first = await post(other, long("essay"));
      await stream.until(firstDelta);
      const steered = await rest(url, "POST", `/v1/sessions/${other}/messages?wait=true&timeout_ms=20000`, say("in French", { delivery: "steer" }));
      stream.stop();
      expect(steered.body).toMatchObject({ delivery: "steered", turn_id: first.turnId, turn_status: "completed" });
      expect(steered.body.turn_messages.map((m: { content: { text: string }[] }) => m.content[0]!.text)).toEqual([
        expect.stringMatching(/^You said: "essay/),
        expect.stringMatching(/^You said: "in French"/),
      ]);

      const quick = await rest(url, "POST", `/v1/sessions/${other}/messages?wait=true&timeout_ms=0`, say(long("later")));
      expect(["queued", "running"]).toContain(quick.body.turn_status);
      const plain = await rest(url, "POST", `/v1/sessions/${other}/messages`, say("no wait"));
      expect(plain.body).not.toHaveProperty("turn_status");
    });

    it("bad waitMs or timeout_ms: a typed 4xx naming the field, and nothing stored", async () => {
      const sessionId = await createSession(url);
      const { lastSequence } = await sessionState(url, sessionId);
      for (const waitMs of [-1, 600_001]) {
        const res = await gql(url, CREATE, { i: { sessionId, message: { content: text("x") }, waitMs } });
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "waitMs" });
      }
      for (const query of ["wait=true&timeout_ms=600001", "wait=true&timeout_ms=-5", "wait=true&timeout_ms=soon", "wait=maybe"]) {
        const res = await rest(url, "POST", `/v1/sessions/${sessionId}/messages?${query}`, { message: { content: [{ type: "text", text: "x" }] } });
        expect(res.status, query).toBe(422);
        expect(res.body.error).toMatch(query.startsWith("wait=maybe") ? /^wait must be/ : /^timeout_ms must be/);
      }
      expect((await sessionState(url, sessionId)).lastSequence).toBe(lastSequence);
    });

    it("a client that goes away ends its wait (the bus listener is released)", async () => {
      const sessionId = await createSession(url);
      const stream = watch(sessionId);
      await post(sessionId, long("endless", 900)); // 300 deltas: seconds of streaming
      await stream.until(firstDelta); // the stream stays open: its listener is part of `before`
      const before = server.app.bus.listenerCount(); // the running turn's too, with several instances
      const controller = new AbortController();
      // Queued behind the long turn: only its end, the bound or the client can end this wait.
      const pending = fetch(`${url}/v1/sessions/${sessionId}/messages?wait=true&timeout_ms=600000`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: { content: [{ type: "text", text: "next" }] } }),
        signal: controller.signal,
      }).catch((e: Error) => e);
      await eventually(() => server.app.bus.listenerCount() > before, 10_000, "the wait to listen");
      controller.abort();
      expect(await pending).toBeInstanceOf(Error);
      await eventually(() => server.app.bus.listenerCount() === before, 3_000, "the wait to stop listening");
      expect((await sessionState(url, sessionId)).status).toBe("ACTIVE"); // the turn it waited behind still runs

      // The same over graphql-ws: closing the socket ends a waitMs mutation sent on it.
      const socket = wsClient(url);
      const waiting = subscribeWs(socket, CREATE.replace("turnId delivery", "turnId delivery session { status }"), {
        i: { sessionId, message: { content: text("next again") }, waitMs: 600_000 },
      });
      await eventually(() => server.app.bus.listenerCount() > before, 10_000, "the socket's wait to listen");
      await socket.dispose();
      await eventually(() => server.app.bus.listenerCount() === before, 3_000, "the socket's wait to stop listening");
      waiting.stop();
      expect((await sessionState(url, sessionId)).status).toBe("ACTIVE");
      stream.stop();
      await rest(url, "POST", `/v1/sessions/${sessionId}/cancel`);
    });
  });
}

// One PostgreSQL database, two instances, events between them over LISTEN/NOTIFY.
describe("INTERRUPT across instances (PostgreSQL, PUBSUB=postgres)", async () => {
  const available = await postgresAvailable();
  if (!available) console.warn("[tests] PostgreSQL not reachable: SKIPPING the cross-instance INTERRUPT test.");
  const backend = postgresBackend();
  afterAll(() => backend.cleanup());

  it.skipIf(!available)("a turn running on A is interrupted by a message posted to B, within a bus hop, and the new turn runs next", async () => {
    // Renewals 20 s apart: only the bus can bring the interrupt to A in time.
    const env = { PUBSUB: "postgres", DEMO_DELAY_MS: "60", TURN_LEASE_MS: "60000" };
    const a = await startServer(backend, env);
    const b = await startServer(backend, env);
    const client = wsClient(b.url);
    try {
      const sessionId = await createSession(a.url);
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, EVENTS, { id: sessionId, after: 0 });
      const all = () => sub.results.map((r) => r.data!.sessionEvents);
      const first = await sendText(a.url, sessionId, long("far", 150)); // A runs it: 50 deltas, 3 s
      await sub.until(() => all().some((e) => e.type === "output.message.delta"));
      expect(a.app.runner.runningCount()).toBe(1);
      const urgent = (await gqlData(b.url, CREATE, { i: { sessionId, message: { content: text("from B") }, delivery: "INTERRUPT" } })).createMessage;
      await sub.until(() => all().filter(isEnd).length === 2, 20_000);
      sub.stop();
      const events = all();
      expect(gapless(events)).toBe(true);
      const cancelled = events.find((e) => e.type === "turn.cancelled")!;
      expect(cancelled.data.reason).toBe("interrupted");
      const posted = events.find((e) => e.type === "input.message" && e.context.inputMessageId === urgent.id)!;
      console.log(`[interrupt] posted on B → turn.cancelled on A: ${Date.parse(cancelled.ts) - Date.parse(posted.ts)} ms`);
      const partial = events.find((e) => e.type === "output.message.completed")!;
      expect(partial.data.message.metadata).toEqual({ partial: true });
      expect(textOf(partial).length).toBeLessThan(`You said: "${long("far", 150)}"`.length);
      expect(events.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id)).toEqual([first.id, urgent.id]);
      expect(answers(events).at(-1)).toMatch(/^You said: "from B"/);
    } finally {
      await client.dispose();
      await b.close();
      await a.close();
    }
  });
});
