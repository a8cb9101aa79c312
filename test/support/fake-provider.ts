// A local HTTP server standing in for a model provider (OpenAI, Anthropic):
// it records every request and answers with the handler a test gives it, in
// the provider's real wire format. Nothing of the SDK is mocked.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { DriverError } from "../../src/agent/drivers/driver.js";
import { eventually } from "./wait.js";

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

/**
 * The system prompt a recorded request carried: OpenAI's leading `system`
 * message, or Anthropic's `system` blocks. null when there was none.
 */
export function systemPromptOf(request: Captured): string | null {
  const { body } = request;
  if (Array.isArray(body?.messages) && body.messages[0]?.role === "system") {
    const content = body.messages[0].content;
    return typeof content === "string" ? content : content.map((p: { text: string }) => p.text).join("\n");
  }
  if (typeof body?.system === "string") return body.system;
  if (Array.isArray(body?.system)) return body.system.map((b: { text: string }) => b.text).join("\n");
  return null;
}

/** The tool names a recorded request offered the model (OpenAI `function.name`, Anthropic `name`), in order. */
export function toolNamesOf(request: Captured): string[] {
  const tools: { name?: string; function?: { name: string } }[] = request.body?.tools ?? [];
  return tools.map((t) => t.function?.name ?? t.name ?? "");
}

/** Polls until `predicate` holds (a few seconds at most). */
export async function until(predicate: () => boolean): Promise<void> {
  await eventually(predicate, 2_500, "the fake provider", 5);
}

/** The DriverError a step rejects with (fails the test if it resolves or throws something else). */
export async function stepError(promise: Promise<unknown>): Promise<DriverError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the step to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DriverError);
  return error as DriverError;
}
