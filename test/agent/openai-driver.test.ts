// The openai driver against a local server that speaks the real Chat
// Completions streaming wire format (SSE `data: {chat.completion.chunk}` lines,
// tool_calls split across chunks, a usage chunk, `data: [DONE]`). Nothing of
// the SDK is mocked: the driver's HTTP requests are real.
import { afterEach, describe, expect, it } from "vitest";
import { chunk, closeFakeServers, fakeServer, finish, jsonError, startStream, type Captured, type FakeServer } from "../support/fake-openai.js";
import { stepError, until } from "../support/fake-provider.js";
import { messageFromRest, type NewMessage, type RestMessage } from "../../src/domain/messages.js";
import type { StepRequest } from "../../src/agent/drivers/driver.js";
import { createOpenAIDriver } from "../../src/agent/drivers/openai.js";

afterEach(closeFakeServers);

// ---------------------------------------------------------------------------
// A session's history: a user message with an inline image and an uploaded
// image, the agent's tool call, a user message queued during that turn (logged
// between the call and its result), the tool result, the answer, and the new
// input.

const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const WEBP_BASE64 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==";
const UPLOADED = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

const at = (n: number) => `2025-01-01T00:00:0${n}Z`;
// Written in the REST shape the seeds use.
const msg = (n: number, m: Omit<RestMessage, "id" | "session_id" | "created_at">): NewMessage => messageFromRest({
  id: `message_${String(n).padStart(32, "0")}`,
  session_id: "session_0123456789abcdef0123456789abcdef",
  created_at: at(n),
  ...m,
});

const HISTORY: NewMessage[] = [
  msg(1, {
    role: "user",
    content: [
      { type: "text", text: "What is in this picture, and what is 6*7?" },
      { type: "image", base64: PNG_BASE64, media_type: "image/png" },
      { type: "image_file", image_id: "img_0123456789abcdef0123456789abcdef", filename: "cat.jpg" },
      { type: "image", url: `data:image/webp;base64,${WEBP_BASE64}` },
      { type: "image", url: "https://images.example.com/dog.png" },
    ],
  }),
  msg(2, {
    role: "agent",
    phase: "commentary",
    content: [
      { type: "text", text: "Let me calculate." },
      { type: "tool_call", id: "call_prev1", name: "calculator", arguments: { expression: "6*7" } },
    ],
  }),
  msg(3, { role: "user", content: [{ type: "text", text: "(queued) and then 2+2?" }] }),
  msg(4, {
    role: "tool_result",
    content: [{ type: "tool_result", tool_call_id: "call_prev1", content: [{ type: "text", text: "42" }], is_error: false }],
  }),
  msg(5, { role: "agent", phase: "final_answer", content: [{ type: "text", text: "A red pixel. 6*7 = 42." }] }),
  msg(6, { role: "user", content: [{ type: "text", text: "Now 2+2, please." }] }),
];

const TOOLS = [
  {
    name: "calculator",
    description: "Evaluates an arithmetic expression.",
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"], additionalProperties: false },
  },
];

function request(overrides: Partial<StepRequest> = {}): StepRequest {
  return {
    sessionId: "session_0123456789abcdef0123456789abcdef",
    model: "gpt-4o-mini",
    history: HISTORY,
    tools: TOOLS,
    loadImage: async (id) => (id === "img_0123456789abcdef0123456789abcdef" ? { mediaType: "image/jpeg", bytes: UPLOADED } : null),
    signal: new AbortController().signal,
    ...overrides,
  };
}

const driverFor = (server: FakeServer, maxRetries = 0) =>
  createOpenAIDriver({ baseURL: server.baseURL, apiKey: "sk-test-parley-123", maxRetries });

/** Waits until `predicate` holds (the deltas are pushed from the stream loop). */
// ---------------------------------------------------------------------------

describe("openai driver (Chat Completions wire format)", () => {
  it("streams text deltas in order, as they arrive, and maps usage", async () => {
    const deltas: string[] = [];
    const server = await fakeServer(async (_req, res) => {
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: "", refusal: null } });
      for (const piece of ["Two ", "plus two ", "is ", "four."]) {
        const seen = deltas.length;
        chunk(res, { delta: { content: piece } });
        // The next chunk is only sent once the driver has handed this one on: streaming, not buffering.
        await until(() => deltas.length > seen);
      }
      finish(res, "stop", { prompt_tokens: 57, completion_tokens: 4 });
    });

    const result = await driverFor(server).step(request(), (d) => deltas.push(d));

    expect(deltas).toEqual(["Two ", "plus two ", "is ", "four."]);
    expect(result.text).toBe(deltas.join(""));
    expect(result.toolCalls).toEqual([]);
    expect(result.usage).toEqual({ input_tokens: 57, output_tokens: 4 });
    expect(result.thinking ?? null).toBeNull();
  });

  it("parses tool calls whose arguments are split across chunks", async () => {
    const server = await fakeServer((_req, res) => {
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: null } });
      chunk(res, {
        delta: { tool_calls: [{ index: 0, id: "call_A1b2C3", type: "function", function: { name: "calculator", arguments: "" } }] },
      });
      chunk(res, { delta: { tool_calls: [{ index: 0, function: { arguments: '{"expr' } }] } });
      chunk(res, { delta: { tool_calls: [{ index: 0, function: { arguments: 'ession": "2+' } }] } });
      chunk(res, { delta: { tool_calls: [{ index: 0, function: { arguments: '2"}' } }] } });
      // A second, parallel call.
      chunk(res, {
        delta: { tool_calls: [{ index: 1, id: "call_D4e5F6", type: "function", function: { name: "current_time", arguments: "{}" } }] },
      });
      finish(res, "tool_calls", { prompt_tokens: 80, completion_tokens: 21 });
    });

    const deltas: string[] = [];
    const result = await driverFor(server).step(request(), (d) => deltas.push(d));

    expect(deltas).toEqual([]); // a step that only calls tools streams no (empty) deltas
    expect(result.text).toBe("");
    expect(result.toolCalls).toEqual([
      { id: "call_A1b2C3", name: "calculator", arguments: { expression: "2+2" } },
      { id: "call_D4e5F6", name: "current_time", arguments: {} },
    ]);
    expect(result.usage).toEqual({ input_tokens: 80, output_tokens: 21 });
  });

  it("sends the history, system prompt, controls, tools and key the way Chat Completions expects", async () => {
    const server = await fakeServer((_req, res) => {
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: "4" } });
      finish(res, "stop");
    });

    await driverFor(server).step(
      request({ reasoningEffort: "high", maxTokens: 321, locale: "fr-FR", hints: { tone: "formal", channel: "web" }, instructions: "You are the test agent." }),
      () => {},
    );

    expect(server.requests).toHaveLength(1);
    const [{ method, path, headers, body }] = server.requests as [Captured];
    expect(method).toBe("POST");
    expect(path).toBe("/v1/chat/completions");
    expect(headers.authorization).toBe("Bearer sk-test-parley-123");
    expect(body.model).toBe("gpt-4o-mini");
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.max_tokens).toBe(321);
    expect(body.reasoning_effort).toBe("high");
    expect(body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "calculator",
          description: "Evaluates an arithmetic expression.",
          parameters: expect.objectContaining({ type: "object", properties: { expression: { type: "string" } }, required: ["expression"] }),
        },
      },
    ]);

    const messages = body.messages as { role: string; content: unknown; tool_calls?: unknown; tool_call_id?: string }[];
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "user", "assistant", "user"]);

    // The system prompt: the agent's instructions first, then the locale and the merged hints.
    expect(messages[0]!.content).toMatch(/^You are the test agent\.\n/);
    expect(messages[0]!.content).toContain("Answer in French (France); the user's locale is fr-FR.");
    expect(messages[0]!.content).toContain('{"tone":"formal","channel":"web"}');

    // User text, the inline base64 image, the uploaded image (loaded through loadImage) and a data URL image as data URLs.
    expect(messages[1]!.content).toEqual([
      { type: "text", text: "What is in this picture, and what is 6*7?" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
      { type: "image_url", image_url: { url: `data:image/jpeg;base64,${Buffer.from(UPLOADED).toString("base64")}` } },
      { type: "image_url", image_url: { url: `data:image/webp;base64,${WEBP_BASE64}` } },
      // An http(s) URL is passed on for the provider to fetch (this server never downloads it).
      { type: "image_url", image_url: { url: "https://images.example.com/dog.png" } },
    ]);

    // The earlier tool call, and its result right after it (paired by id, although the queued
    // user message was logged in between).
    expect(messages[2]).toEqual({
      role: "assistant",
      content: "Let me calculate.",
      tool_calls: [{ id: "call_prev1", type: "function", function: { name: "calculator", arguments: '{"expression":"6*7"}' } }],
    });
    expect(messages[3]).toEqual({ role: "tool", tool_call_id: "call_prev1", content: "42" });
    expect(messages[4]).toEqual({ role: "user", content: "(queued) and then 2+2?" });
    expect(messages[5]).toEqual({ role: "assistant", content: "A red pixel. 6*7 = 42." });
    expect(messages[6]).toEqual({ role: "user", content: "Now 2+2, please." });
  });

  it("sends no system message and no optional controls when none are given", async () => {
    const server = await fakeServer((_req, res) => {
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: "ok" } });
      finish(res, "stop");
    });
    await driverFor(server).step(request({ history: [HISTORY[5]!] }), () => {});
    const body = server.requests[0]!.body;
    expect(body.messages).toEqual([{ role: "user", content: "Now 2+2, please." }]);
    expect(body).not.toHaveProperty("max_tokens");
    expect(body).not.toHaveProperty("reasoning_effort");
  });

  it("gives a tool call without a stored result an error result, so the request stays valid", async () => {
    const server = await fakeServer((_req, res) => {
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: "ok" } });
      finish(res, "stop");
    });
    // The turn was cancelled while the tool ran: the call is stored, its result is not.
    await driverFor(server).step(request({ history: [HISTORY[0]!, HISTORY[1]!, HISTORY[5]!] }), () => {});
    const messages = server.requests[0]!.body.messages;
    expect(messages[2]).toMatchObject({ role: "tool", tool_call_id: "call_prev1" });
    expect(messages[2].content).toMatch(/no result/i);
  });

  it.each([
    [500, { message: "The server had an error while processing your request. Sorry about that! (req_9f8e7d)", type: "server_error", param: null, code: null }, /HTTP 500/],
    [429, { message: "Rate limit reached for gpt-4o-mini in organization org-SECRET on tokens per min (TPM)", type: "tokens", param: null, code: "rate_limit_exceeded" }, /rate limit/i],
  ])("turns HTTP %i into a DriverError whose message is safe and whose detail is the provider's", async (status, error, safe) => {
    const server = await fakeServer((_req, res) => jsonError(res, status, error));
    const failure = await stepError(driverFor(server).step(request(), () => {}));

    expect(failure.code).toBe("llm_error");
    expect(failure.message).toMatch(safe);
    expect(failure.message).not.toContain(error.message);
    expect(failure.message).not.toMatch(/org-SECRET|req_9f8e7d/);
    expect(failure.detail).toContain(error.message);
    expect(failure.detail).toContain(`HTTP ${status}`);
  });

  it("retries a 429 after the provider's retry-after-ms when retries are enabled", async () => {
    const server = await fakeServer((_req, res) => {
      if (server.requests.length === 1) return jsonError(res, 429, { message: "slow down", type: "requests" }, { "retry-after-ms": "10" });
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: "done" } });
      finish(res, "stop");
    });
    const result = await driverFor(server, 2).step(request(), () => {});
    expect(result.text).toBe("done");
    expect(server.requests).toHaveLength(2);
  });

  it("turns an unknown model (404) into model_unavailable", async () => {
    const server = await fakeServer((_req, res) =>
      jsonError(res, 404, { message: "The model `gpt-nope` does not exist or you do not have access to it.", type: "invalid_request_error", code: "model_not_found" }),
    );
    const failure = await stepError(driverFor(server).step(request({ model: "gpt-nope" }), () => {}));
    expect(failure.code).toBe("model_unavailable");
    expect(failure.message).not.toContain("gpt-nope");
    expect(failure.detail).toContain("does not exist");
  });

  it("turns a refused connection into a DriverError", async () => {
    const { baseURL } = await fakeServer(() => {});
    await closeFakeServers();

    const failure = await stepError(createOpenAIDriver({ baseURL, apiKey: "sk", maxRetries: 0 }).step(request(), () => {}));
    expect(failure.message).toBe("The model provider could not be reached.");
    expect(failure.detail).toMatch(/ECONNREFUSED/);
  });

  it("reports a missing API key as model_unavailable without calling the provider", async () => {
    const server = await fakeServer(() => {});
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY; // the SDK falls back to it
    try {
      const failure = await stepError(createOpenAIDriver({ baseURL: server.baseURL, maxRetries: 0 }).step(request(), () => {}));
      expect(failure.code).toBe("model_unavailable");
      expect(failure.detail).toMatch(/API key is missing/);
      expect(server.requests).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });

  it("turns a malformed stream into a DriverError", async () => {
    const server = await fakeServer((_req, res) => {
      startStream(res);
      res.write('data: {"id":"chatcmpl-x","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n');
      res.end("data: {this is not json\n\n");
    });
    const deltas: string[] = [];
    const failure = await stepError(driverFor(server).step(request(), (d) => deltas.push(d)));
    expect(failure.message).toBe("The model provider sent a malformed response.");
    expect(failure.detail).toBeTruthy();
    expect(deltas).toEqual(["Hi"]);
  });

  it("turns an error chunk sent with status 200 into a DriverError", async () => {
    // Some compatible servers (and OpenAI itself on overload) report errors inside the stream.
    const server = await fakeServer((_req, res) => {
      startStream(res);
      res.end(`data: ${JSON.stringify({ error: { message: "Upstream model crashed (worker 7)", type: "server_error", code: null, param: null } })}\n\n`);
    });
    const failure = await stepError(driverFor(server).step(request(), () => {}));
    expect(failure.message).not.toContain("worker 7");
    expect(failure.detail).toContain("Upstream model crashed (worker 7)");
  });

  it("stops the request when the signal aborts", async () => {
    const deltas: string[] = [];
    const server = await fakeServer((_req, res) => {
      startStream(res);
      chunk(res, { delta: { role: "assistant", content: "Once upon " } });
      // …and then never finishes.
    });
    const controller = new AbortController();
    const step = driverFor(server).step(request({ signal: controller.signal }), (d) => deltas.push(d));
    await until(() => deltas.length === 1);
    const reason = new Error("cancelled by the client");
    controller.abort(reason);

    await expect(step).rejects.toBe(reason); // the runner sees its own reason, not a provider error
    await server.closed(0); // the HTTP request was torn down
    expect(deltas).toEqual(["Once upon "]);
  });
});
