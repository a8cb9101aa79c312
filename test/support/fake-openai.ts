// A local server that speaks OpenAI's Chat Completions streaming wire format
// (SSE `data: {chat.completion.chunk}` lines, `data: [DONE]`), for driver and
// turn tests. Nothing of the SDK is mocked: requests are real HTTP.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Captured {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any; // the wire JSON under test
}
export type Handler = (req: IncomingMessage, res: ServerResponse, body: any) => void | Promise<void>;

export interface FakeServer {
  baseURL: string;
  requests: Captured[];
  /** Resolves when the client closes the connection of the n-th request (0-based). */
  closed(n: number): Promise<void>;
}

const servers: Server[] = [];
/** Call from afterEach/afterAll. */
export async function closeFakeServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function fakeServer(handler: Handler): Promise<FakeServer> {
  const requests: Captured[] = [];
  const closes: Promise<void>[] = [];
  const server = createServer(async (req, res) => {
    closes.push(new Promise((resolve) => res.on("close", () => resolve())));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? JSON.parse(text) : null;
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
    await handler(req, res, body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { baseURL: `http://127.0.0.1:${port}/v1`, requests, closed: (n) => closes[n]! };
}

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

