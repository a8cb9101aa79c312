// The anthropic driver against a local server that speaks the real Messages
// API streaming wire format (`event: message_start`, content_block_start /
// _delta / _stop for thinking, text and tool_use blocks, message_delta with
// usage, message_stop). Nothing of the SDK is mocked: the requests are real.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { closeFakeServers, fakeServer, stepError, until, type Captured, type FakeServer } from "../support/fake-provider.js";
import { messageFromRest, type NewMessage, type RestMessage } from "../../src/domain/messages.js";
import type { StepRequest } from "../../src/agent/drivers/driver.js";
import { createAnthropicDriver, THINKING_BUDGET } from "../../src/agent/drivers/anthropic.js";

afterEach(closeFakeServers);

// ---------------------------------------------------------------------------
// The Messages API wire format

/** Writes one server-sent event the way the Messages API does: `event: <type>` then `data: <json>`. */
function send(res: ServerResponse, data: { type: string } & Record<string, unknown>) {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function startMessage(res: ServerResponse, inputTokens = 120) {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": "req_fake" });
  send(res, {
    type: "message_start",
    message: {
      id: "msg_01FakeFakeFake",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
    },
  });
  send(res, { type: "ping" });
}

function endMessage(res: ServerResponse, stopReason: string, outputTokens: number) {
  send(res, { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
  send(res, { type: "message_stop" });
  res.end();
}

function block(res: ServerResponse, index: number, start: object, deltas: object[]) {
  send(res, { type: "content_block_start", index, content_block: start });
  for (const delta of deltas) send(res, { type: "content_block_delta", index, delta });
  send(res, { type: "content_block_stop", index });
}

function jsonError(res: ServerResponse, status: number, type: string, message: string) {
  res.writeHead(status, { "content-type": "application/json", "request-id": "req_fake" });
  res.end(JSON.stringify({ type: "error", error: { type, message } }));
}

// ---------------------------------------------------------------------------
// A session's history: user text with an inline and an uploaded image, an
// agent step that thought (signed) and called a tool, a user message queued
// during that turn, the tool's result (with an image), the answer, the input.

const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const UPLOADED = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2]);
const IMAGE_ID = "img_0123456789abcdef0123456789abcdef";

// Written in the REST shape the seeds use.
const msg = (n: number, m: Omit<RestMessage, "id" | "session_id" | "created_at">): NewMessage => messageFromRest({
  id: `message_${String(n).padStart(32, "0")}`,
  session_id: "session_0123456789abcdef0123456789abcdef",
  created_at: `2025-01-01T00:00:0${n}Z`,
  ...m,
});

const HISTORY: NewMessage[] = [
  msg(1, {
    role: "user",
    content: [
      { type: "text", text: "What is in this picture, and what is 6*7?" },
      { type: "image", base64: PNG_BASE64, media_type: "image/png" },
      { type: "image_file", image_id: IMAGE_ID },
    ],
  }),
  msg(2, {
    role: "agent",
    phase: "commentary",
    thinking: "The user wants 6*7; use the calculator.",
    thinking_signature: "EqQBCkYIBxgCKkDprevSIGNATURE==",
    content: [
      { type: "text", text: "Let me calculate." },
      { type: "tool_call", id: "toolu_prev1", name: "calculator", arguments: { expression: "6*7" } },
      { type: "tool_call", id: "toolu_prev2", name: "render", arguments: { value: 42 } },
    ],
  }),
  msg(3, { role: "user", content: [{ type: "text", text: "(queued) and then 2+2?" }] }),
  msg(4, {
    role: "tool_result",
    content: [{ type: "tool_result", tool_call_id: "toolu_prev1", content: [{ type: "text", text: "42" }], is_error: false }],
  }),
  msg(5, {
    role: "tool_result",
    content: [
      {
        type: "tool_result",
        tool_call_id: "toolu_prev2",
        content: [{ type: "text", text: "rendered:" }, { type: "image_file", image_id: IMAGE_ID }],
        is_error: false,
      },
    ],
  }),
  msg(6, { role: "agent", phase: "final_answer", content: [{ type: "text", text: "A red pixel. 6*7 = 42." }] }),
  msg(7, { role: "user", content: [{ type: "text", text: "Now 2+2, please." }] }),
];

const TOOLS = [
  {
    name: "calculator",
    description: "Evaluates an arithmetic expression.",
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
  },
];

function request(overrides: Partial<StepRequest> = {}): StepRequest {
  return {
    sessionId: "session_0123456789abcdef0123456789abcdef",
    model: "claude-sonnet-4-5",
    history: HISTORY,
    tools: TOOLS,
    loadImage: async (id) => (id === IMAGE_ID ? { mediaType: "image/gif", bytes: UPLOADED } : null),
    signal: new AbortController().signal,
    ...overrides,
  };
}

const driverFor = (server: FakeServer) => createAnthropicDriver({ baseURL: server.baseURL, apiKey: "sk-ant-test-456", maxRetries: 0 });

/** A full answer: a signed thinking block, streamed text, then a tool_use block with split JSON. */
async function thinkingTextAndTool(res: ServerResponse, deltas: string[]) {
  startMessage(res, 321);
  block(res, 0, { type: "thinking", thinking: "" }, [
    { type: "thinking_delta", thinking: "2+2 is simple, " },
    { type: "thinking_delta", thinking: "but use the tool." },
    { type: "signature_delta", signature: "EqQBCkYIBxgCKkBNEWSIGNATURE==" },
  ]);
  send(res, { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } });
  for (const text of ["I'll ", "compute ", "that."]) {
    const seen = deltas.length;
    send(res, { type: "content_block_delta", index: 1, delta: { type: "text_delta", text } });
    await until(() => deltas.length > seen); // streamed through, not buffered
  }
  send(res, { type: "content_block_stop", index: 1 });
  block(res, 2, { type: "tool_use", id: "toolu_01NewCall", name: "calculator", input: {} }, [
    { type: "input_json_delta", partial_json: "" },
    { type: "input_json_delta", partial_json: '{"expression": "2' },
    { type: "input_json_delta", partial_json: '+2"}' },
  ]);
  endMessage(res, "tool_use", 89);
}

// ---------------------------------------------------------------------------

describe("anthropic driver (Messages API wire format)", () => {
  it("maps thinking + signature, streamed text, a tool call and usage", async () => {
    const deltas: string[] = [];
    const server = await fakeServer((_req, res) => thinkingTextAndTool(res, deltas));

    const result = await driverFor(server).step(request({ reasoningEffort: "medium" }), (d) => deltas.push(d));

    expect(deltas).toEqual(["I'll ", "compute ", "that."]);
    expect(result.text).toBe("I'll compute that.");
    expect(result.thinking).toBe("2+2 is simple, but use the tool.");
    expect(result.thinkingSignature).toBe("EqQBCkYIBxgCKkBNEWSIGNATURE==");
    expect(result.toolCalls).toEqual([{ id: "toolu_01NewCall", name: "calculator", arguments: { expression: "2+2" } }]);
    expect(result.usage).toEqual({ input_tokens: 321, output_tokens: 89 });
  });

  it("sends the history (images, signed thinking, tool calls and paired results), system prompt, controls and key", async () => {
    const server = await fakeServer((_req, res) => {
      startMessage(res);
      block(res, 0, { type: "text", text: "" }, [{ type: "text_delta", text: "4" }]);
      endMessage(res, "end_turn", 2);
    });

    await driverFor(server).step(
      request({ reasoningEffort: "medium", maxTokens: 500, locale: "de-AT", hints: { plan: "pro" }, instructions: "You are the test agent." }),
      () => {},
    );

    expect(server.requests).toHaveLength(1);
    const [{ method, path, headers, body }] = server.requests as [Captured];
    expect(method).toBe("POST");
    expect(path).toBe("/v1/messages");
    expect(headers["x-api-key"]).toBe("sk-ant-test-456");
    expect(headers["anthropic-version"]).toBe("2023-06-01");
    expect(headers.authorization).toBeUndefined();

    expect(body.model).toBe("claude-sonnet-4-5");
    expect(body.stream).toBe(true);
    // Thinking budget for "medium", and max_tokens raised above it so the answer keeps its 500.
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: THINKING_BUDGET.medium });
    expect(body.max_tokens).toBe(500 + THINKING_BUDGET.medium);
    expect(body.tools).toEqual([
      // (the SDK also asks for eager_input_streaming of tool inputs by default)
      expect.objectContaining({
        name: "calculator",
        description: "Evaluates an arithmetic expression.",
        input_schema: expect.objectContaining({ type: "object", properties: { expression: { type: "string" } }, required: ["expression"] }),
      }),
    ]);

    const system = (body.system as { type: string; text: string }[]).map((b) => b.text).join("\n");
    expect(system).toMatch(/^You are the test agent\.\n/); // the agent's instructions first
    expect(system).toContain("Answer in Austrian German; the user's locale is de-AT.");
    expect(system).toContain('{"plan":"pro"}');

    const messages = body.messages as { role: string; content: any[] }[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(messages[0]!.content).toEqual([
      { type: "text", text: "What is in this picture, and what is 6*7?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } },
      { type: "image", source: { type: "base64", media_type: "image/gif", data: Buffer.from(UPLOADED).toString("base64") } },
    ]);
    // The signed thinking block goes back first, then the text and the tool calls.
    expect(messages[1]!.content).toEqual([
      { type: "thinking", thinking: "The user wants 6*7; use the calculator.", signature: "EqQBCkYIBxgCKkDprevSIGNATURE==" },
      { type: "text", text: "Let me calculate." },
      { type: "tool_use", id: "toolu_prev1", name: "calculator", input: { expression: "6*7" } },
      { type: "tool_use", id: "toolu_prev2", name: "render", input: { value: 42 } },
    ]);
    // The results come right after the calls (paired by id), before the user message queued meanwhile;
    // a result's image stays an image.
    expect(messages[2]!.content).toEqual([
      { type: "tool_result", tool_use_id: "toolu_prev1", content: "42" },
      {
        type: "tool_result",
        tool_use_id: "toolu_prev2",
        content: [
          { type: "text", text: "rendered:" },
          { type: "image", source: { type: "base64", media_type: "image/gif", data: Buffer.from(UPLOADED).toString("base64") } },
        ],
      },
      { type: "text", text: "(queued) and then 2+2?" },
    ]);
    expect(messages[3]!.content).toEqual([{ type: "text", text: "A red pixel. 6*7 = 42." }]);
    expect(messages[4]!.content).toEqual([{ type: "text", text: "Now 2+2, please." }]);
  });

  it("maps each reasoning effort to a thinking budget and sends no thinking without one", async () => {
    const server = await fakeServer((_req, res) => {
      startMessage(res);
      block(res, 0, { type: "text", text: "" }, [{ type: "text_delta", text: "ok" }]);
      endMessage(res, "end_turn", 1);
    });
    const driver = driverFor(server);
    for (const effort of ["low", "high"] as const) await driver.step(request({ reasoningEffort: effort, maxTokens: 100 }), () => {});
    await driver.step(request({ maxTokens: 100 }), () => {});

    const [low, high, none] = server.requests.map((r) => r.body);
    expect(low.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(low.max_tokens).toBe(1124);
    expect(high.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    expect(high.max_tokens).toBe(16484);
    expect(none).not.toHaveProperty("thinking");
    expect(none.max_tokens).toBe(100);
  });

  it("marks an error tool result as is_error", async () => {
    const server = await fakeServer((_req, res) => {
      startMessage(res);
      block(res, 0, { type: "text", text: "" }, [{ type: "text_delta", text: "ok" }]);
      endMessage(res, "end_turn", 1);
    });
    const history: NewMessage[] = [
      HISTORY[6]!,
      msg(8, { role: "agent", content: [{ type: "tool_call", id: "toolu_x", name: "calculator", arguments: { expression: "1/0" } }] }),
      msg(9, {
        role: "tool_result",
        content: [{ type: "tool_result", tool_call_id: "toolu_x", content: [{ type: "text", text: "division by zero" }], is_error: true }],
      }),
    ];
    await driverFor(server).step(request({ history }), () => {});
    const messages = server.requests[0]!.body.messages;
    expect(messages.at(-1).content).toEqual([{ type: "tool_result", tool_use_id: "toolu_x", content: "division by zero", is_error: true }]);
  });

  it.each([
    [500, "api_error", "Internal server error (shard 3b)", /HTTP 500/],
    [429, "rate_limit_error", "This request would exceed your organization's rate limit of 50,000 input tokens per minute.", /rate limit/i],
  ])("turns HTTP %i into a DriverError whose message is safe and whose detail is the provider's", async (status, type, message, safe) => {
    const server = await fakeServer((_req, res) => jsonError(res, status, type, message));
    const failure = await stepError(driverFor(server).step(request(), () => {}));
    expect(failure.code).toBe("llm_error");
    expect(failure.message).toMatch(safe);
    expect(failure.message).not.toContain(message);
    expect(failure.detail).toContain(message);
    expect(failure.detail).toContain(`HTTP ${status}`);
  });

  it("turns an overloaded_error event at the start of the stream into a DriverError", async () => {
    const server = await fakeServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      send(res, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      res.end();
    });
    const failure = await stepError(driverFor(server).step(request(), () => {}));
    expect(failure.message).toMatch(/HTTP 529/); // the SDK reports it as Anthropic's 529
    expect(failure.detail).toContain("Overloaded");
  });

  it("turns an error event in the middle of the stream into a DriverError", async () => {
    const deltas: string[] = [];
    const server = await fakeServer((_req, res) => {
      startMessage(res);
      send(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      send(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Partial " } });
      send(res, { type: "error", error: { type: "api_error", message: "Stream interrupted on node 12" } });
      res.end();
    });
    const failure = await stepError(driverFor(server).step(request(), (d) => deltas.push(d)));
    expect(deltas).toEqual(["Partial "]);
    expect(failure.message).not.toContain("node 12");
    expect(failure.detail).toBe("api_error: Stream interrupted on node 12");
  });

  it("turns a malformed event into a DriverError", async () => {
    const server = await fakeServer((_req, res) => {
      startMessage(res);
      res.end("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":\n\n");
    });
    const failure = await stepError(driverFor(server).step(request(), () => {}));
    expect(failure.message).toBe("The model provider sent a malformed response.");
  });

  it("turns a refused connection into a DriverError", async () => {
    const server = await fakeServer(() => {});
    await closeFakeServers();
    const failure = await stepError(createAnthropicDriver({ baseURL: server.baseURL, apiKey: "k", maxRetries: 0 }).step(request(), () => {}));
    expect(failure.message).toBe("The model provider could not be reached.");
    expect(failure.detail).toMatch(/ECONNREFUSED/);
  });

  it("stops the request when the signal aborts", async () => {
    const deltas: string[] = [];
    const server = await fakeServer((_req, res) => {
      startMessage(res);
      send(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      send(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Once upon " } });
      // …and then never finishes.
    });
    const controller = new AbortController();
    const step = driverFor(server).step(request({ signal: controller.signal }), (d) => deltas.push(d));
    await until(() => deltas.length === 1);
    const reason = new Error("cancelled by the client");
    controller.abort(reason);

    await expect(step).rejects.toBe(reason);
    await server.closed(0);
    expect(deltas).toEqual(["Once upon "]);
  });
});
