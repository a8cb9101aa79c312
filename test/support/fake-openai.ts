// A local server that speaks OpenAI's Chat Completions streaming wire format
// (SSE `data: {chat.completion.chunk}` lines, `data: [DONE]`), for driver and
// turn tests. Nothing of the SDK is mocked: requests are real HTTP.
import type { ServerResponse } from "node:http";

export { closeFakeServers, fakeServer, type Captured, type FakeServer } from "./fake-provider.js";

/** Starts an SSE response the way OpenAI does. */
export function startStream(res: ServerResponse) {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
}

/** One `chat.completion.chunk` line. */
export function chunk(res: ServerResponse, choice: object | null, extra: object = {}) {
  const payload = {
    id: "chatcmpl-fake123",
    object: "chat.completion.chunk",
    created: 1_760_000_000,
    model: "gpt-4o-mini-2024-07-18",
    system_fingerprint: "fp_fake",
    choices: choice ? [{ index: 0, logprobs: null, finish_reason: null, ...choice }] : [],
    ...extra,
  };
  res.write(`data: ${JSON.stringify(payload)}\n\n`);
}

export function finish(res: ServerResponse, finishReason: string, usage = { prompt_tokens: 57, completion_tokens: 12 }) {
  chunk(res, { delta: {}, finish_reason: finishReason });
  // With stream_options.include_usage the last chunk has no choices and the usage.
  chunk(res, null, { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  res.end("data: [DONE]\n\n");
}

export function jsonError(res: ServerResponse, status: number, error: object, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ error }));
}

