// AG-UI server (SPEC §13) driven by the published client, @ag-ui/client's
// HttpAgent, against the real server on both backends: plain and tool turns,
// thread strings ↔ sessions, idempotent resends, failures and cancel, and
// exact resume with Last-Event-ID (raw fetch there: HttpAgent drops SSE ids).
// Every event received is checked against @ag-ui/core's own schemas.
import { randomUUID } from "node:crypto";
import { HttpAgent } from "@ag-ui/client";
import type { Message } from "@ag-ui/core";
import { EventSchema } from "@ag-ui/core/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/ids.js";
import { backends } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { UNKNOWN, settled } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { readSse } from "../support/sse.js";

type AnyEvent = Record<string, any> & { type: string };

/** What an onRunFailed subscriber returns so HttpAgent neither logs nor rethrows (typed out of the return type, honoured at run time). */
const STOP = { stopPropagation: true } as never;

const userMessage = (content: string, id = randomUUID()): Message => ({ id, role: "user", content });

/** Parses with @ag-ui/core's schema: throws on anything the protocol does not allow. */
const valid = (event: unknown): AnyEvent => EventSchema.parse(event) as AnyEvent;

const textOf = (events: AnyEvent[]) =>
  events.filter((e) => e.type === "TEXT_MESSAGE_CONTENT").map((e) => e.delta as string).join("");

for (const backend of await backends()) {
  describe(`AG-UI on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let endpoint: string;

    beforeAll(async () => {
      // Deltas 10 ms apart: a long reply keeps its turn running long enough to cut and cancel it.
      server = await startServer(backend, { DEMO_DELAY_MS: "10" });
      url = server.url;
      endpoint = `${url}/v1/ag-ui`;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    /** Runs the agent once with HttpAgent; returns every event its subscriber saw (schema-checked). */
    async function runAgent(agent: HttpAgent, runId = randomUUID()) {
      const events: AnyEvent[] = [];
      const result = await withTimeout(agent.runAgent({ runId }, { onEvent: ({ event }) => void events.push(valid(event)) }), "runAgent");
      return { events, result, runId };
    }

    /** A raw POST /v1/ag-ui, read as SSE frames (id and parsed, schema-checked event) until the stream ends or `stopAfter` frames. */
    async function rawRun(body: Record<string, unknown>, headers: Record<string, string> = {}, stopAfter = Infinity) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 20_000);
      const frames: { id: string; event: AnyEvent }[] = [];
      try {
        for await (const frame of readSse(endpoint, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers }, signal: controller.signal })) {
          frames.push({ id: frame.id!, event: valid(JSON.parse(frame.data)) });
          if (frames.length >= stopAfter) break;
        }
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
      if (frames.length < stopAfter && frames.length > 0 && !["RUN_FINISHED", "RUN_ERROR"].includes(frames.at(-1)!.event.type)) {
        throw new Error(`stream ended without RUN_FINISHED/RUN_ERROR (timeout?): ${frames.map((f) => f.event.type).join(",")}`);
      }
      return frames;
    }

    const input = (threadId: string, runId: string, messages: Message[]) => ({ threadId, runId, messages, tools: [], context: [], state: {}, forwardedProps: {} });

    const sessionOfMessage = async (messageId: string) =>
      (await gqlData(url, `query($id: ID!) { message(id: $id) { sessionId } }`, { id: messageId })).message.sessionId as string;

    const storedMessages = async (sessionId: string) => (await rest(url, "GET", `/v1/sessions/${sessionId}/messages`)).body.data as any[];

    it("a demo turn: RUN_STARTED, text deltas that concatenate to the stored agent message, RUN_FINISHED success", async () => {
      const threadId = `thread-${randomUUID()}`;
      const agent = new HttpAgent({ url: endpoint, threadId, initialMessages: [userMessage("hello there, AG-UI")] });
      const { events, runId } = await runAgent(agent);

      const types = events.map((e) => e.type);
      expect(types[0]).toBe("RUN_STARTED");
      expect(events[0]).toMatchObject({ threadId, runId });
      expect(types.at(-1)).toBe("RUN_FINISHED");
      expect(events.at(-1)).toMatchObject({ threadId, runId, outcome: { type: "success" } });
      expect(types.filter((t) => t === "TEXT_MESSAGE_CONTENT").length).toBeGreaterThan(1); // one per delta, not one blob
      expect(types.indexOf("TEXT_MESSAGE_START")).toBeLessThan(types.indexOf("TEXT_MESSAGE_CONTENT"));
      expect(types.lastIndexOf("TEXT_MESSAGE_END")).toBeGreaterThan(types.lastIndexOf("TEXT_MESSAGE_CONTENT"));

      const start = events.find((e) => e.type === "TEXT_MESSAGE_START")!;
      const sessionId = await sessionOfMessage(start.messageId);
      const stored = await storedMessages(sessionId);
      const agentMessage = stored.find((m) => m.id === start.messageId);
      expect(agentMessage.role).toBe("agent");
      expect(textOf(events)).toBe(agentMessage.content[0].text);
      expect(textOf(events)).toMatch(/^You said: "hello there, AG-UI"/);
      // HttpAgent built the same conversation from the events.
      expect(agent.messages.map((m) => [m.role, m.content])).toEqual([
        ["user", "hello there, AG-UI"],
        ["assistant", agentMessage.content[0].text],
      ]);
    });

    it("a calculator turn: TOOL_CALL_START/ARGS/END, TOOL_CALL_RESULT, then the answer", async () => {
      const agent = new HttpAgent({ url: endpoint, threadId: `calc-${randomUUID()}`, initialMessages: [userMessage("what is 12*(3+4)?")] });
      const { events } = await runAgent(agent);
      const types = events.map((e) => e.type);
      const start = events.find((e) => e.type === "TOOL_CALL_START")!;
      expect(start).toMatchObject({ toolCallName: "calculator" });
      const args = events.filter((e) => e.type === "TOOL_CALL_ARGS" && e.toolCallId === start.toolCallId).map((e) => e.delta).join("");
      expect(JSON.parse(args)).toEqual({ expression: "12*(3+4)" });
      expect(types.indexOf("TOOL_CALL_END")).toBeGreaterThan(types.indexOf("TOOL_CALL_ARGS"));
      const result = events.find((e) => e.type === "TOOL_CALL_RESULT")!;
      expect(result).toMatchObject({ toolCallId: start.toolCallId, role: "tool" });
      expect(result.content).toContain("84");
      expect(types.indexOf("TOOL_CALL_RESULT")).toBeGreaterThan(types.indexOf("TOOL_CALL_END"));
      expect(textOf(events)).toBe("The answer is 84.");
      expect(events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });

      // The stored log agrees: the tool result message carries the id the event named.
      const sessionId = await sessionOfMessage(result.messageId);
      const toolMessage = (await storedMessages(sessionId)).find((m) => m.id === result.messageId);
      expect(toolMessage).toMatchObject({ role: "tool_result", content: [{ type: "tool_result", tool_call_id: start.toolCallId }] });
      // HttpAgent attached the call to its assistant message and added the tool message.
      const assistant = agent.messages.find((m) => m.role === "assistant" && m.toolCalls?.length) as any;
      expect(assistant.toolCalls[0]).toMatchObject({ id: start.toolCallId, function: { name: "calculator" } });
      expect(agent.messages.some((m) => m.role === "tool" && m.toolCallId === start.toolCallId)).toBe(true);
    });

    it("a thread string names one session: the second run of the thread lands in the same session", async () => {
      const threadId = `same-${randomUUID()}`;
      const agent = new HttpAgent({ url: endpoint, threadId, initialMessages: [userMessage("first message")] });
      const first = await runAgent(agent);
      agent.addMessage(userMessage("second message"));
      const second = await runAgent(agent);

      const firstSession = await sessionOfMessage(first.events.find((e) => e.type === "TEXT_MESSAGE_START")!.messageId);
      const secondSession = await sessionOfMessage(second.events.find((e) => e.type === "TEXT_MESSAGE_START")!.messageId);
      expect(secondSession).toBe(firstSession);
      const stored = await storedMessages(firstSession);
      expect(stored.filter((m) => m.role === "user").map((m) => m.content[0].text)).toEqual(["first message", "second message"]);
      expect(textOf(second.events)).toMatch(/^You said: "second message"/);
    });

    it("a Parley session id as threadId posts into that session; an unknown one is 404 and creates nothing", async () => {
      const sessionId = (await rest(url, "POST", "/v1/sessions", {})).body.id as string;
      const agent = new HttpAgent({ url: endpoint, threadId: sessionId, initialMessages: [userMessage("into my session")] });
      const { events } = await runAgent(agent);
      expect(await sessionOfMessage(events.find((e) => e.type === "TEXT_MESSAGE_START")!.messageId)).toBe(sessionId);
      expect(events[0]).toMatchObject({ type: "RUN_STARTED", threadId: sessionId });

      const before = (await rest(url, "GET", "/v1/sessions?limit=1")).body.total;
      const res = await rest(url, "POST", "/v1/ag-ui", input(UNKNOWN.session, randomUUID(), [userMessage("hi")]));
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: expect.stringContaining(UNKNOWN.session), status: 404 });
      let failure: (Error & { status?: number }) | undefined;
      await new HttpAgent({ url: endpoint, threadId: UNKNOWN.session, initialMessages: [userMessage("hi")] }).runAgent(
        {},
        { onRunFailed: ({ error }) => ((failure = error), STOP) },
      );
      expect(failure?.status).toBe(404);
      expect((await rest(url, "GET", "/v1/sessions?limit=1")).body.total).toBe(before);
    });

    it("a resend of the same messages stores nothing new: a new runId gets RUN_STARTED, RUN_FINISHED; the same runId replays its run", async () => {
      const agent = new HttpAgent({ url: endpoint, threadId: `resend-${randomUUID()}`, initialMessages: [userMessage("say it once")] });
      const first = await runAgent(agent);
      const sessionId = await sessionOfMessage(first.events.find((e) => e.type === "TEXT_MESSAGE_START")!.messageId);
      const stored = await storedMessages(sessionId);

      // HttpAgent again, its messages now ending with the assistant's answer: nothing to post.
      const again = await runAgent(agent);
      expect(again.events.map((e) => e.type)).toEqual(["RUN_STARTED", "RUN_FINISHED"]);
      expect(again.events[1]).toMatchObject({ runId: again.runId, outcome: { type: "success" } });
      // The same user message under a new runId, raw: still nothing.
      const body = input(agent.threadId, randomUUID(), [agent.messages[0]!]);
      expect((await rawRun(body)).map((f) => f.event.type)).toEqual(["RUN_STARTED", "RUN_FINISHED"]);
      // The first runId again: that run, frame for frame.
      const replay = await rawRun(input(agent.threadId, first.runId, agent.messages));
      expect(replay.map((f) => f.event.type)).toEqual(first.events.map((e) => e.type));
      expect(textOf(replay.map((f) => f.event))).toBe(textOf(first.events));
      expect(await storedMessages(sessionId)).toEqual(stored);
    });

    it("resume: the same runId with Last-Event-ID gets RUN_STARTED, then exactly the frames after that id; closing did not stop the turn", async () => {
      const threadId = `resume-${randomUUID()}`;
      const runId = randomUUID();
      const body = input(threadId, runId, [userMessage(`please repeat ${"a rather long sentence ".repeat(12)}`)]);
      // Raw fetch here: HttpAgent discards SSE ids, so it cannot send Last-Event-ID.
      const head = await rawRun(body, {}, 6); // cut mid-turn
      expect(head.at(-1)!.event.type).toBe("TEXT_MESSAGE_CONTENT");
      for (const frame of head) expect(frame.id).toMatch(/^\d+\.\d+$/);

      const rest_ = await rawRun(body, { "last-event-id": head.at(-1)!.id });
      expect(rest_[0]!.event.type).toBe("RUN_STARTED");
      expect(rest_[0]).toEqual(head[0]);
      const full = await rawRun(body);
      // No frame lost, none doubled, same ids and data.
      expect([...head, ...rest_.slice(1)]).toEqual(full);
      expect(full.at(-1)!.event).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
      expect(new Set(full.map((f) => f.id)).size).toBe(full.length);
      const ids = full.map((f) => f.id.split(".").map(Number) as [number, number]);
      for (let i = 1; i < ids.length; i++) expect(ids[i]![0] > ids[i - 1]![0] || (ids[i]![0] === ids[i - 1]![0] && ids[i]![1] > ids[i - 1]![1])).toBe(true);
    });

    it("cancelling the turn (REST cancel) ends the run with RUN_FINISHED outcome cancelled", async () => {
      const sessionId = (await rest(url, "POST", "/v1/sessions", {})).body.id as string;
      const body = input(sessionId, randomUUID(), [userMessage(`echo ${"word ".repeat(300)}`)]);
      const frames: AnyEvent[] = [];
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 20_000);
      try {
        for await (const frame of readSse(endpoint, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, signal: controller.signal })) {
          const event = valid(JSON.parse(frame.data));
          frames.push(event);
          if (event.type === "TEXT_MESSAGE_CONTENT" && frames.filter((e) => e.type === "TEXT_MESSAGE_CONTENT").length === 1) {
            expect((await rest(url, "POST", `/v1/sessions/${sessionId}/cancel`)).body).toEqual({ status: "cancelled" });
          }
        }
      } finally {
        clearTimeout(timer);
      }
      const types = frames.map((e) => e.type);
      expect(frames.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "cancelled" } });
      expect(types.lastIndexOf("TEXT_MESSAGE_END")).toBeGreaterThan(types.lastIndexOf("TEXT_MESSAGE_CONTENT"));
    });

    it("a failed turn ends the run with RUN_ERROR (code and disclosed message)", async () => {
      const model = await server.app.store.models.ensure({ id: newId("model"), name: `offline-${randomUUID()}`, provider: "nowhere", maxErrorDisclosure: "STANDARD" });
      const sessionId = (await rest(url, "POST", "/v1/sessions", { model_id: model.id })).body.id as string;
      const agent = new HttpAgent({ url: endpoint, threadId: sessionId, initialMessages: [userMessage("hello?")] });
      const events: AnyEvent[] = [];
      await withTimeout(agent.runAgent({}, { onEvent: ({ event }) => void events.push(valid(event)), onRunFailed: () => STOP }).catch(() => {}), "runAgent");
      expect(events.map((e) => e.type)).toEqual(["RUN_STARTED", "RUN_ERROR"]);
      expect(events[1]).toMatchObject({ code: "model_unavailable", message: expect.any(String) });
      await settled(url, sessionId);
    });

    it("bad input is 422 {error,status} and stores nothing; other methods and cross-site pages are refused", async () => {
      const before = (await rest(url, "GET", "/v1/sessions?limit=1")).body.total;
      const missingRunId = await rest(url, "POST", "/v1/ag-ui", { threadId: `bad-${randomUUID()}`, messages: [userMessage("x")], tools: [], context: [] });
      expect(missingRunId.status).toBe(422);
      expect(missingRunId.body).toEqual({ error: expect.stringContaining("runId"), status: 422 });
      const badMessage = await rest(url, "POST", "/v1/ag-ui", input(`bad-${randomUUID()}`, randomUUID(), [{ id: "1", role: "user" } as never]));
      expect(badMessage.status).toBe(422);
      const badResumeId = await rest(url, "POST", "/v1/ag-ui", input(`bad-${randomUUID()}`, randomUUID(), [userMessage("x")]), { "last-event-id": "event_1" });
      expect(badResumeId.status).toBe(422);
      expect((await rest(url, "GET", "/v1/sessions?limit=1")).body.total).toBe(before);

      const wrongMethod = await rest(url, "GET", "/v1/ag-ui");
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("POST");
      const crossSite = await rest(url, "POST", "/v1/ag-ui", input(`x-${randomUUID()}`, randomUUID(), [userMessage("x")]), { origin: "https://evil.example" });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body).toEqual({ error: expect.any(String), status: 403 });
      expect((await rest(url, "GET", "/v1/sessions?limit=1")).body.total).toBe(before);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))),
  ]);
}
