// AI SDK UI message stream routes (SPEC §13) driven by `ai`'s own client
// side: DefaultChatTransport (sendMessages / reconnectToStream) and
// readUIMessageStream, against the real server on both backends. Text, tool
// parts and finish; chat id ↔ session; resends store nothing; resume mid-turn
// gives the whole message once; 204 when idle; failures and cancel.
import { randomUUID } from "node:crypto";
import { DefaultChatTransport, type UIMessage, type UIMessageChunk } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/ids.js";
import { backends } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { UNKNOWN, settled } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { consumeUIStream as consume, uiText } from "../support/ui-stream.js";

const userMessage = (text: string, id = randomUUID()): UIMessage => ({ id, role: "user", parts: [{ type: "text", text }] });

for (const backend of await backends()) {
  describe(`AI SDK UI message stream on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let api: string;
    let transport: DefaultChatTransport<UIMessage>;

    beforeAll(async () => {
      // Deltas 10 ms apart, so a long reply is still streaming when the test cuts it.
      server = await startServer(backend, { DEMO_DELAY_MS: "10" });
      url = server.url;
      api = `${url}/v1/ai-sdk/chat`;
      transport = new DefaultChatTransport({ api });
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    const send = (chatId: string, messages: UIMessage[], abortSignal?: AbortSignal) =>
      transport.sendMessages({ chatId, messages, trigger: "submit-message", messageId: undefined, abortSignal });

    /** The session a streamed answer was stored in (text parts carry the agent message's id), and its messages. */
    const storedSession = async (chunks: UIMessageChunk[]) => {
      const messageId = (chunks.find((c) => c.type === "text-start") as { id: string }).id;
      const { sessionId } = (await gqlData(url, `query($id: ID!) { message(id: $id) { sessionId } }`, { id: messageId })).message;
      return { id: sessionId as string, messages: (await rest(url, "GET", `/v1/sessions/${sessionId}/messages`)).body.data as any[] };
    };

    it("a demo turn: start, steps, text deltas, finish, [DONE], with the protocol's headers; the text is the stored answer", async () => {
      const chatId = `chat-${randomUUID()}`;
      const { chunks, message } = await consume(await send(chatId, [userMessage("hello from useChat")]));
      const types = chunks.map((c) => c.type);
      expect(types[0]).toBe("start");
      expect(types.slice(1, 3)).toEqual(["start-step", "text-start"]);
      expect(types.filter((t) => t === "text-delta").length).toBeGreaterThan(1);
      expect(types.slice(-3)).toEqual(["text-end", "finish-step", "finish"]);

      const { messages } = await storedSession(chunks);
      const answer = messages.find((m) => m.role === "agent");
      expect(uiText(message)).toBe(answer.content[0].text);
      expect(uiText(message)).toMatch(/^You said: "hello from useChat"/);
      // start.messageId is the turn: stable for the turn, the same on a resumed GET.
      expect((chunks[0] as { messageId: string }).messageId).toBe(answer.turn_id);
      expect(message?.id).toBe(answer.turn_id);

      // The wire itself: the protocol header, SSE data lines, [DONE] at the end.
      const raw = await fetch(api, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: chatId, messages: [userMessage("again")], trigger: "submit-message" }) });
      expect(raw.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
      expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const text = await raw.text();
      expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    });

    it("a calculator turn: a dynamic tool part with input and output, then the answer", async () => {
      const { chunks, message } = await consume(await send(`calc-${randomUUID()}`, [userMessage("what is 12*(3+4)?")]));
      const input = chunks.find((c) => c.type === "tool-input-available") as Extract<UIMessageChunk, { type: "tool-input-available" }>;
      expect(input).toMatchObject({ toolName: "calculator", input: { expression: "12*(3+4)" }, dynamic: true });
      expect(chunks.find((c) => c.type === "tool-output-available")).toMatchObject({ toolCallId: input.toolCallId, dynamic: true });
      const tool = message!.parts.find((p) => p.type === "dynamic-tool") as Extract<UIMessage["parts"][number], { type: "dynamic-tool" }>;
      expect(tool).toMatchObject({ toolName: "calculator", toolCallId: input.toolCallId, state: "output-available", input: { expression: "12*(3+4)" } });
      expect(String(tool.output)).toContain("84");
      expect(uiText(message)).toBe("The answer is 84.");
      expect(message!.parts.filter((p) => p.type === "step-start").length).toBe(2);
      expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    });

    it("the chat id names one session; a resend of the same messages stores nothing and streams the same turn again", async () => {
      const chatId = `same-${randomUUID()}`;
      const first = userMessage("first message");
      const one = await consume(await send(chatId, [first]));
      const history: UIMessage[] = [first, one.message!];
      const second = userMessage("second message");
      const two = await consume(await send(chatId, [...history, second]));
      expect(uiText(two.message)).toMatch(/^You said: "second message"/);

      const { id: sessionId, messages } = await storedSession(two.chunks);
      expect((await storedSession(one.chunks)).id).toBe(sessionId);
      expect(messages.filter((m) => m.role === "user").map((m) => m.content[0].text)).toEqual(["first message", "second message"]);

      // The client retries the last POST: nothing is stored twice, the answer is the same turn.
      const retry = await consume(await send(chatId, [...history, second]));
      expect(retry.message?.id).toBe(two.message?.id);
      expect(uiText(retry.message)).toBe(uiText(two.message));
      expect((await rest(url, "GET", `/v1/sessions/${sessionId}/messages`)).body.data).toEqual(messages);
      // A Parley session id works as the chat id too.
      const third = await consume(await send(sessionId, [...history, second, two.message!, userMessage("third, by session id")]));
      expect(uiText(third.message)).toMatch(/^You said: "third, by session id"/);
    });

    it("resume: reconnectToStream mid-turn gives the whole message from its start, no delta doubled; 204 once the turn is over", async () => {
      const chatId = `resume-${randomUUID()}`;
      const controller = new AbortController();
      const head = await consume(await send(chatId, [userMessage(`repeat after me ${"a long sentence to stream ".repeat(12)}`)], controller.signal), 5);
      expect(head.chunks.map((c) => c.type)).toContain("text-delta");
      controller.abort(); // the tab closed mid-turn; the turn goes on
      await head.cancel();

      const resumed = await transport.reconnectToStream({ chatId });
      expect(resumed).not.toBeNull();
      const { chunks, message } = await consume(resumed!);
      expect(chunks[0]).toEqual(head.chunks[0]); // same start.messageId
      expect(chunks.at(-1)).toMatchObject({ type: "finish" });
      const { messages } = await storedSession(chunks);
      const answer = messages.find((m) => m.role === "agent");
      expect(uiText(message)).toBe(answer.content[0].text);
      const deltas = chunks.filter((c) => c.type === "text-delta").map((c) => (c as { delta: string }).delta);
      expect(deltas.join("")).toBe(answer.content[0].text);

      expect(await transport.reconnectToStream({ chatId })).toBeNull(); // idle: 204
      const idle = await fetch(`${api}/${encodeURIComponent(chatId)}/stream`);
      expect(idle.status).toBe(204);
    });

    it("GET …/stream for an unknown chat or session is 404 {error,status} and creates nothing", async () => {
      for (const id of [`never-${randomUUID()}`, UNKNOWN.session]) {
        const res = await rest(url, "GET", `/v1/ai-sdk/chat/${encodeURIComponent(id)}/stream`);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: expect.any(String), status: 404 });
      }
      const unknownPost = await rest(url, "POST", "/v1/ai-sdk/chat", { id: UNKNOWN.session, messages: [userMessage("hi")], trigger: "submit-message" });
      expect(unknownPost.status).toBe(404);
    });

    it("a failed turn is an error chunk; a cancelled one an abort chunk", async () => {
      const model = await server.app.store.models.ensure({ id: newId("model"), name: `offline-${randomUUID()}`, provider: "nowhere", maxErrorDisclosure: "STANDARD" });
      const failing = (await rest(url, "POST", "/v1/sessions", { model_id: model.id })).body.id as string;
      const failed = await consume(await send(failing, [userMessage("hello?")]));
      expect(failed.chunks.map((c) => c.type)).toEqual(["start", "error"]);
      expect((failed.chunks[1] as { errorText: string }).errorText).toEqual(expect.any(String));
      await settled(url, failing);

      const sessionId = (await rest(url, "POST", "/v1/sessions", {})).body.id as string;
      const stream = (await send(sessionId, [userMessage(`echo ${"word ".repeat(300)}`)])).getReader();
      const chunks: UIMessageChunk[] = [];
      const timer = setTimeout(() => void stream.cancel(), 20_000);
      try {
        for (;;) {
          const { done, value } = await stream.read();
          if (done) break;
          chunks.push(value);
          if (value.type === "text-delta" && chunks.filter((c) => c.type === "text-delta").length === 1) {
            expect((await rest(url, "POST", `/v1/sessions/${sessionId}/cancel`)).body).toEqual({ status: "cancelled" });
          }
        }
      } finally {
        clearTimeout(timer);
      }
      expect(chunks.at(-1)).toMatchObject({ type: "abort" });
      expect(chunks.map((c) => c.type).slice(-3)).toEqual(["text-end", "finish-step", "abort"]);
    });

    it("bad requests are 422 {error,status} and store nothing; cross-site pages are refused", async () => {
      const before = (await rest(url, "GET", "/v1/sessions?limit=1")).body.total;
      for (const body of [{ messages: [userMessage("x")] }, { id: `bad-${randomUUID()}`, messages: [] }, { id: `bad-${randomUUID()}`, messages: [{ id: "1", role: "user" }] }]) {
        const res = await rest(url, "POST", "/v1/ai-sdk/chat", body);
        expect(res.status).toBe(422);
        expect(res.body).toEqual({ error: expect.any(String), status: 422 });
      }
      const crossSite = await rest(url, "POST", "/v1/ai-sdk/chat", { id: `x-${randomUUID()}`, messages: [userMessage("x")] }, { origin: "https://evil.example" });
      expect(crossSite.status).toBe(403);
      expect((await rest(url, "GET", "/v1/sessions?limit=1")).body.total).toBe(before);
    });
  });
}
