// The agui driver step by step against local AG-UI servers (node:http, events
// written by @ag-ui/encoder): the RunAgentInput it sends for a rich history,
// chunk and reasoning events, a run split at TOOL_CALL_RESULT and continued,
// a continuation given up for a new user message, and how each kind of
// upstream failure becomes a DriverError.
import { EventType, type BaseEvent } from "@ag-ui/core";
import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import { EventEncoder } from "@ag-ui/encoder";
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createAguiDriver } from "../../src/agent/drivers/agui.js";
import { INSTRUCTIONS_MESSAGE_ID } from "../../src/agent/drivers/agui-input.js";
import type { StepRequest } from "../../src/agent/drivers/driver.js";
import { MISSING_RESULT } from "../../src/agent/drivers/history.js";
import { messageFromRest, type NewMessage, type RestMessage } from "../../src/domain/messages.js";
import { closeFakeServers, fakeServer, stepError, type FakeServer } from "../support/fake-provider.js";
import { withTimeout } from "../support/wait.js";

afterEach(closeFakeServers);

const SESSION = "session_0123456789abcdef0123456789abcdef";
const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const UPLOADED = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const id = (n: number) => `message_${String(n).padStart(32, "0")}`;
const msg = (n: number, m: Omit<RestMessage, "id" | "session_id" | "created_at">): NewMessage =>
  messageFromRest({ id: id(n), session_id: SESSION, created_at: `2025-01-01T00:00:0${n}Z`, ...m });
const user = (n: number, text: string) => msg(n, { role: "user", content: [{ type: "text", text }] });

/** Writes AG-UI events as the encoder frames them, then ends the response. */
function stream(res: ServerResponse, events: (BaseEvent & Record<string, unknown>)[], end = true) {
  const encoder = new EventEncoder();
  res.writeHead(200, { "content-type": encoder.getContentType() });
  for (const event of events) res.write(encoder.encode(event));
  if (end) res.end();
}
const run = (input: { threadId: string; runId: string }) => ({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
const done = (input: { threadId: string; runId: string }) => ({ type: EventType.RUN_FINISHED, threadId: input.threadId, runId: input.runId });

function request(server: FakeServer, overrides: Partial<StepRequest> = {}) {
  return {
    driver: createAguiDriver({ url: `${server.baseURL}/agent`, headers: {}, timeoutMs: 5_000 }),
    request: {
      sessionId: SESSION,
      model: "agui",
      history: [user(1, "hi")],
      tools: [],
      loadImage: async (imageId: string) => (imageId === "img_0123456789abcdef0123456789abcdef" ? { mediaType: "image/jpeg", bytes: UPLOADED } : null),
      signal: new AbortController().signal,
      ...overrides,
    } satisfies StepRequest,
  };
}

describe("agui driver", () => {
  it("sends the history as a valid RunAgentInput: instructions first, images as sources, every call followed by its result", async () => {
    const server = await fakeServer((_req, res, body) => stream(res, [run(body), done(body)]));
    const history = [
      msg(1, {
        role: "user",
        content: [
          { type: "text", text: "Look:" },
          { type: "image", base64: PNG_BASE64, media_type: "image/png" },
          { type: "image_file", image_id: "img_0123456789abcdef0123456789abcdef" },
          { type: "image", url: "https://images.example.com/dog.png" },
        ],
      }),
      msg(2, {
        role: "agent",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_call", id: "call_a", name: "calculator", arguments: { expression: "1/0" } },
          { type: "tool_call", id: "call_b", name: "current_time", arguments: {} },
        ],
      }),
      user(3, "(queued meanwhile)"),
      msg(4, { role: "tool_result", content: [{ type: "tool_result", tool_call_id: "call_a", content: [{ type: "text", text: "division by zero" }], is_error: true }] }),
      msg(5, { role: "system", content: [{ type: "text", text: "Stored system note." }] }),
    ];
    const { driver, request: req } = request(server, {
      history,
      instructions: "You are terse.",
      locale: "fr-FR",
      tools: [{ name: "calculator", description: "Arithmetic.", parameters: { type: "object" } }],
    });
    await driver.step(req, () => {});

    const input = RunAgentInputSchema.parse(server.requests[0]!.body);
    expect(input.threadId).toBe(SESSION);
    expect(input.tools).toEqual([{ name: "calculator", description: "Arithmetic.", parameters: { type: "object" } }]);
    expect(input.messages[0]).toMatchObject({ id: INSTRUCTIONS_MESSAGE_ID, role: "system" });
    expect((input.messages[0] as { content: string }).content).toMatch(/^You are terse\.\nAnswer in French \(France\)/);
    expect(input.messages.slice(1)).toEqual([
      {
        id: id(1),
        role: "user",
        content: [
          { type: "text", text: "Look:" },
          { type: "image", source: { type: "data", value: PNG_BASE64, mimeType: "image/png" } },
          { type: "image", source: { type: "data", value: Buffer.from(UPLOADED).toString("base64"), mimeType: "image/jpeg" } },
          { type: "image", source: { type: "url", value: "https://images.example.com/dog.png" } },
        ],
      },
      {
        id: id(2),
        role: "assistant",
        content: "Checking.",
        toolCalls: [
          { id: "call_a", type: "function", function: { name: "calculator", arguments: '{"expression":"1/0"}' } },
          { id: "call_b", type: "function", function: { name: "current_time", arguments: "{}" } },
        ],
      },
      // Results right after their calls, although a user message was logged in between; a call without one gets an error result.
      { id: id(4), role: "tool", toolCallId: "call_a", content: "division by zero", error: "division by zero" },
      { id: "call_b_missing", role: "tool", toolCallId: "call_b", content: MISSING_RESULT, error: MISSING_RESULT },
      { id: id(3), role: "user", content: "(queued meanwhile)" },
      { id: id(5), role: "system", content: "Stored system note." },
    ]);
  });

  it("expands chunk events, maps reasoning to thinking, and sums RUN_FINISHED usage", async () => {
    const server = await fakeServer((_req, res, body) =>
      stream(res, [
        run(body),
        { type: EventType.REASONING_START, messageId: "r1" },
        { type: EventType.REASONING_MESSAGE_START, messageId: "r1", role: "reasoning" },
        { type: EventType.REASONING_MESSAGE_CONTENT, messageId: "r1", delta: "Hmm, " },
        { type: EventType.REASONING_MESSAGE_CONTENT, messageId: "r1", delta: "easy." },
        { type: EventType.REASONING_MESSAGE_END, messageId: "r1" },
        { type: EventType.REASONING_END, messageId: "r1" },
        { type: EventType.TEXT_MESSAGE_CHUNK, messageId: "m1", role: "assistant", delta: "Two " },
        { type: EventType.TEXT_MESSAGE_CHUNK, messageId: "m1", delta: "words." },
        { type: EventType.TOOL_CALL_CHUNK, toolCallId: "c1", toolCallName: "calculator", delta: '{"expression":' },
        { type: EventType.TOOL_CALL_CHUNK, toolCallId: "c1", delta: '"2+2"}' },
        { ...done(body), usage: [{ inputTokens: 10, outputTokens: 3 }, { inputTokens: 5, outputTokens: 2 }] },
      ]),
    );
    const { driver, request: req } = request(server);
    const deltas: string[] = [];
    const result = await driver.step(req, (d) => deltas.push(d));
    expect(deltas).toEqual(["Two ", "words."]);
    expect(result).toMatchObject({ text: "Two words.", thinking: "Hmm, easy.", usage: { input_tokens: 15, output_tokens: 5 } });
    expect(result.toolCalls).toEqual([{ id: "c1", name: "calculator", arguments: { expression: "2+2" } }]);
    expect(result.continuation).toBeUndefined();
  });

  it("ends a step when the upstream has run all its calls, and continues the same run as the next step", async () => {
    const server = await fakeServer((_req, res, body) =>
      stream(res, [
        run(body),
        { type: EventType.TOOL_CALL_START, toolCallId: "a", toolCallName: "lookup" },
        { type: EventType.TOOL_CALL_ARGS, toolCallId: "a", delta: '{"q":1}' },
        { type: EventType.TOOL_CALL_END, toolCallId: "a" },
        { type: EventType.TOOL_CALL_START, toolCallId: "b", toolCallName: "ask_user" },
        { type: EventType.TOOL_CALL_END, toolCallId: "b" },
        { type: EventType.TOOL_CALL_RESULT, messageId: "r-a", toolCallId: "a", content: [{ type: "text", text: "found" }, { type: "image", source: { type: "data", value: PNG_BASE64, mimeType: "image/png" } }] },
        { type: EventType.TOOL_CALL_START, toolCallId: "c", toolCallName: "lookup" },
        { type: EventType.TOOL_CALL_END, toolCallId: "c" },
        { type: EventType.TOOL_CALL_RESULT, messageId: "r-c", toolCallId: "c", content: "again" },
        done(body),
      ]),
    );
    const { driver, request: req } = request(server);
    // a has a result but b does not: the step goes on to RUN_FINISHED; b is Parley's to run.
    const first = await driver.step(req, () => {});
    expect(first.toolCalls).toEqual([
      { id: "a", name: "lookup", arguments: { q: 1 }, result: { status: "success", error: null, result: [{ type: "text", text: "found" }, { type: "image", base64: PNG_BASE64, media_type: "image/png" }] } },
      { id: "b", name: "ask_user", arguments: {} },
      { id: "c", name: "lookup", arguments: {}, result: { status: "success", error: null, result: [{ type: "text", text: "again" }] } },
    ]);
    expect(first.continuation).toBeUndefined();

    const split = await fakeServer((_req, res, body) =>
      stream(res, [
        run(body),
        { type: EventType.TEXT_MESSAGE_START, messageId: "m1", role: "assistant" },
        { type: EventType.TEXT_MESSAGE_CONTENT, messageId: "m1", delta: "Looking." },
        { type: EventType.TEXT_MESSAGE_END, messageId: "m1" },
        { type: EventType.TOOL_CALL_START, toolCallId: "x", toolCallName: "lookup" },
        { type: EventType.TOOL_CALL_END, toolCallId: "x" },
        { type: EventType.TOOL_CALL_RESULT, messageId: "r-x", toolCallId: "x", content: "42" },
        { type: EventType.TEXT_MESSAGE_START, messageId: "m2", role: "assistant" },
        { type: EventType.TEXT_MESSAGE_CONTENT, messageId: "m2", delta: "It is 42." },
        { type: EventType.TEXT_MESSAGE_END, messageId: "m2" },
        done(body),
      ]),
    );
    const s = request(split);
    const step1 = await s.driver.step(s.request, () => {});
    expect(step1).toMatchObject({ text: "Looking.", toolCalls: [{ id: "x", name: "lookup", result: { result: [{ type: "text", text: "42" }] } }] });
    expect(step1.continuation).toBeDefined();
    const step2 = await s.driver.step({ ...s.request, continuation: step1.continuation! }, () => {});
    expect(step2).toMatchObject({ text: "It is 42.", toolCalls: [] });
    expect(step2.continuation).toBeUndefined();
    expect(split.requests).toHaveLength(1);
  });

  it("gives up a continued run when the history has a user message that run was not sent, and asks again", async () => {
    const server = await fakeServer((_req, res, body) => {
      if (server.requests.length === 1) {
        // The first run: a call it runs itself, then it keeps the stream open.
        stream(res, [
          run(body),
          { type: EventType.TOOL_CALL_START, toolCallId: "x", toolCallName: "lookup" },
          { type: EventType.TOOL_CALL_END, toolCallId: "x" },
          { type: EventType.TOOL_CALL_RESULT, messageId: "r-x", toolCallId: "x", content: "42" },
        ], false);
        return;
      }
      stream(res, [run(body), { type: EventType.TEXT_MESSAGE_CHUNK, messageId: "m", delta: "Fresh answer." }, done(body)]);
    });
    const { driver, request: req } = request(server);
    const step1 = await driver.step(req, () => {});
    expect(step1.continuation).toBeDefined();
    const steered = [...req.history, user(2, "also this")];
    const step2 = await driver.step({ ...req, history: steered, continuation: step1.continuation! }, () => {});
    expect(step2.text).toBe("Fresh answer.");
    await withTimeout(server.closed(0), 5_000, "the first run's request to close");
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body.runId).not.toBe(server.requests[0]!.body.runId);
    expect(server.requests[1]!.body.messages.map((m: { id: string }) => m.id)).toEqual([id(1), id(2)]);
  });

  it.each([
    [500, "llm_error", "The upstream agent failed (HTTP 500)."],
    [401, "llm_error", "The upstream agent rejected the credentials (HTTP 401)."],
    [422, "llm_error", "The upstream agent rejected the request (HTTP 422)."],
    [404, "model_unavailable", "The upstream agent was not found (HTTP 404)."],
    [503, "model_unavailable", "The upstream agent is unavailable (HTTP 503)."],
  ])("HTTP %i → %s", async (status, code, message) => {
    const server = await fakeServer((_req, res) => void res.writeHead(status, { "content-type": "application/json" }).end('{"detail":"graph not loaded"}'));
    const { driver, request: req } = request(server);
    const error = await stepError(driver.step(req, () => {}));
    expect(error).toMatchObject({ code, message });
    expect(error.detail).toContain("graph not loaded");
  });

  it("a stream that ends or breaks off without RUN_FINISHED, or breaks the protocol, is llm_error", async () => {
    const brokeOff = { code: "llm_error", message: "The upstream agent's stream broke off before the run finished." };
    const cut = await fakeServer((_req, res, body) => stream(res, [run(body), { type: EventType.TEXT_MESSAGE_CHUNK, messageId: "m", delta: "Half" }]));
    const a = request(cut);
    expect(await stepError(a.driver.step(a.request, () => {}))).toMatchObject(brokeOff);

    // The connection dies mid-run (the agent's process crashed): not "unreachable", it had answered.
    const reset = await fakeServer(async (_req, res, body) => {
      stream(res, [run(body), { type: EventType.TEXT_MESSAGE_CHUNK, messageId: "m", delta: "Half" }], false);
      await new Promise((r) => setTimeout(r, 50));
      res.socket?.destroy();
    });
    const r = request(reset);
    const deltas: string[] = [];
    expect(await stepError(r.driver.step(r.request, (d) => deltas.push(d)))).toMatchObject(brokeOff);
    expect(deltas).toEqual(["Half"]);

    const garbled = await fakeServer((_req, res, body) => {
      stream(res, [run(body)], false);
      res.end("data: {not json\n\n");
    });
    const g = request(garbled);
    expect(await stepError(g.driver.step(g.request, () => {}))).toMatchObject({ code: "llm_error" });

    const broken = await fakeServer((_req, res, body) => stream(res, [run(body), { type: EventType.TEXT_MESSAGE_CONTENT, messageId: "nope", delta: "x" }, done(body)]));
    const b = request(broken);
    expect(await stepError(b.driver.step(b.request, () => {}))).toMatchObject({ code: "llm_error", message: "The upstream agent broke the AG-UI protocol." });
  });
});
