// The AG-UI and AI SDK routes under AUTH=api_key get exactly REST's rules
// (SPEC §7): 401 without a key, another key's sessions and threads answer
// like unknown ones, body limit 413, rate limit 429, request metrics. The
// clients are the published ones (HttpAgent, DefaultChatTransport).
import { randomUUID } from "node:crypto";
import { HttpAgent } from "@ag-ui/client";
import { DefaultChatTransport, type UIMessage } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

type Headers = Record<string, string>;

const RATE_LIMIT = 60;
const MAX_BODY = 8192;

for (const backend of await backends()) {
  describe(`AG-UI and AI SDK routes with AUTH=api_key on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let A: Headers;
    let B: Headers;

    beforeAll(async () => {
      server = await startServer(backend, { AUTH: "api_key", RATE_LIMIT_PER_MIN: String(RATE_LIMIT), MAX_BODY_BYTES: String(MAX_BODY) });
      url = server.url;
      A = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant A")).key}` };
      B = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant B")).key}` };
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    const runInput = (threadId: string, text: string) => ({
      threadId,
      runId: randomUUID(),
      messages: [{ id: randomUUID(), role: "user", content: text }],
      tools: [],
      context: [],
    });
    const chatBody = (id: string, text: string) => ({ id, messages: [{ id: randomUUID(), role: "user", parts: [{ type: "text", text }] }], trigger: "submit-message" });

    /** Runs HttpAgent with a key; returns the session its answer was stored in. */
    async function aguiSession(threadId: string, headers: Headers): Promise<string> {
      const agent = new HttpAgent({ url: `${url}/v1/ag-ui`, threadId, headers, initialMessages: [{ id: randomUUID(), role: "user", content: "hello" }] });
      let messageId = "";
      await agent.runAgent({}, { onEvent: ({ event }) => void (event.type === "TEXT_MESSAGE_START" && (messageId = (event as unknown as { messageId: string }).messageId)) });
      return (await gqlData(url, `query($id: ID!) { message(id: $id) { sessionId } }`, { id: messageId }, headers)).message.sessionId;
    }

    it("no key or a bad key: 401 {error,status} on both protocols, nothing stored", async () => {
      for (const headers of [{}, { authorization: "Bearer nope" }] as Headers[]) {
        const agui = await rest(url, "POST", "/v1/ag-ui", runInput(`t-${randomUUID()}`, "hi"), headers);
        expect(agui.status).toBe(401);
        expect(agui.body).toEqual({ error: expect.any(String), status: 401 });
        const chat = await rest(url, "POST", "/v1/ai-sdk/chat", chatBody(`c-${randomUUID()}`, "hi"), headers);
        expect(chat).toMatchObject({ status: 401, body: { error: expect.any(String), status: 401 } });
        expect((await rest(url, "GET", "/v1/ai-sdk/chat/anything/stream", undefined, headers)).status).toBe(401);
      }
      expect((await rest(url, "GET", "/v1/sessions", undefined, A)).body.total).toBe(0);
    });

    it("tenancy: a thread string is per key, another key's session id is 404 as an unknown one", async () => {
      const threadId = `shared-name-${randomUUID()}`;
      const sessionA = await aguiSession(threadId, A);
      const sessionB = await aguiSession(threadId, B);
      expect(sessionB).not.toBe(sessionA);
      expect(await aguiSession(threadId, A)).toBe(sessionA);

      const asB = await rest(url, "POST", "/v1/ag-ui", runInput(sessionA, "let me in"), B);
      expect(asB.status).toBe(404);
      expect(asB.body).toEqual({ error: `Session ${sessionA} not found`, status: 404 });
      const chatAsB = await rest(url, "POST", "/v1/ai-sdk/chat", chatBody(sessionA, "let me in"), B);
      expect(chatAsB.status).toBe(404);
      expect((await rest(url, "GET", `/v1/ai-sdk/chat/${sessionA}/stream`, undefined, B)).status).toBe(404);
      expect((await rest(url, "GET", `/v1/ai-sdk/chat/${sessionA}/stream`, undefined, A)).status).toBe(204);
      // The AI SDK's chat ids share the namespace: A's thread string is A's chat, not B's.
      const transport = new DefaultChatTransport<UIMessage>({ api: `${url}/v1/ai-sdk/chat`, headers: A });
      expect(await transport.reconnectToStream({ chatId: threadId })).toBeNull();
      await expect(new DefaultChatTransport<UIMessage>({ api: `${url}/v1/ai-sdk/chat`, headers: B }).reconnectToStream({ chatId: `never-${randomUUID()}` })).rejects.toThrow(/404/);
      const userTexts = async (sessionId: string) =>
        ((await rest(url, "GET", `/v1/sessions/${sessionId}/messages`, undefined, A)).body.data as any[]).filter((m) => m.role === "user").length;
      expect(await userTexts(sessionA)).toBe(2);
    });

    it("a body over MAX_BODY_BYTES is 413 before parsing; requests count against the rate limit (429 with Retry-After)", async () => {
      const big = runInput(`big-${randomUUID()}`, "x".repeat(MAX_BODY));
      const tooLarge = await rest(url, "POST", "/v1/ag-ui", big, A);
      expect(tooLarge).toMatchObject({ status: 413, body: { error: expect.any(String), status: 413 } });
      expect((await rest(url, "POST", "/v1/ai-sdk/chat", chatBody(`big-${randomUUID()}`, "x".repeat(MAX_BODY)), A)).status).toBe(413);

      // Made-up keys (a new one per request) draw on the client address's budget, shared with this
      // file's other unauthenticated requests: 401s until it is spent, then 429s.
      const flood = () => ({ authorization: `Bearer flood-${randomUUID()}` });
      const statuses: number[] = [];
      for (let i = 0; i <= RATE_LIMIT; i++) statuses.push((await rest(url, "POST", i % 2 ? "/v1/ag-ui" : "/v1/ai-sdk/chat", {}, flood())).status);
      const firstLimited = statuses.indexOf(429);
      expect(firstLimited).toBeGreaterThan(0);
      expect(statuses.slice(0, firstLimited).every((s) => s === 401) && statuses.slice(firstLimited).every((s) => s === 429), statuses.join(",")).toBe(true);
      const limited = await rest(url, "POST", "/v1/ag-ui", {}, flood());
      expect(limited).toMatchObject({ status: 429, body: { error: expect.any(String), status: 429 } });
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("request metrics name the routes, with chat ids folded into :id", async () => {
      await rest(url, "GET", `/v1/ai-sdk/chat/some-chat-${randomUUID()}/stream`, undefined, A);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/ag-ui"/);
      expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/ai-sdk\/chat\/:id\/stream"/);
      expect(metrics).not.toContain("some-chat-");
    });
  });
}
