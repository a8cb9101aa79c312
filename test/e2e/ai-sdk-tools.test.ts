// AI SDK people in the loop (SPEC §11, §13) driven by `ai`'s own Chat
// (AbstractChat with DefaultChatTransport, as useChat) on both backends: a
// client tool answered with addToolOutput (tools from the request body or
// from the session's agent), approvals with addToolApprovalResponse
// (approved and denied), resume after a cut, and resends that store nothing.
// The final UI message is checked against what the turn stored.
import { randomUUID } from "node:crypto";
import {
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  lastAssistantMessageIsCompleteWithToolCalls,
  type UIMessage,
} from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { MemoryChat } from "../support/chat.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { consumeUIStream as consume, uiText } from "../support/ui-stream.js";
import { eventually } from "../support/wait.js";

type Part = UIMessage["parts"][number];
type ToolPart = Extract<Part, { type: "dynamic-tool" }>;

const WEATHER = { name: "get_weather", description: "The weather in a city, from the browser", parameters: { type: "object", properties: { city: { type: "string" } } } };

const toolParts = (message: UIMessage | undefined) => (message?.parts ?? []).filter((p): p is ToolPart => p.type === "dynamic-tool");

for (const backend of await backends()) {
  describe(`AI SDK client tools and approvals on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let api: string;

    beforeAll(async () => {
      server = await startServer(backend, { DEMO_DELAY_MS: "5" });
      url = server.url;
      api = `${url}/v1/ai-sdk/chat`;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    const agentSession = async (fields: Record<string, unknown>) => {
      const agent = await rest(url, "POST", "/v1/agents", { name: `chat-${randomUUID().slice(0, 8)}`, ...fields });
      expect(agent.status).toBe(201);
      return (await rest(url, "POST", "/v1/sessions", { agent_id: agent.body.id })).body.id as string;
    };
    const messagesOf = async (id: string) => (await rest(url, "GET", `/v1/sessions/${id}/messages`)).body.data as any[];
    const sessionOfChat = async (chat: MemoryChat) => {
      const part = toolParts(chat.lastMessage)[0]!;
      const { data } = (await rest(url, "GET", "/v1/sessions?limit=100")).body;
      for (const s of data) if ((await messagesOf(s.id)).some((m) => m.content.some((c: any) => c.type === "tool_call" && c.id === part.toolCallId))) return s.id as string;
      throw new Error("no session holds the call");
    };

    /** The stored turn behind a chat's last message: its final answer, tool calls and tool results. */
    async function storedTurn(sessionId: string, turnId: string) {
      const messages = (await messagesOf(sessionId)).filter((m) => m.turn_id === turnId);
      const calls = messages.flatMap((m) => m.content.filter((c: any) => c.type === "tool_call"));
      const results = messages.filter((m) => m.role === "tool_result").map((m) => m.content[0]);
      return { messages, calls, results, answer: messages.at(-1).content.find((c: any) => c.type === "text")?.text as string };
    }

    /** The final UI message agrees with the stored turn: its text is the answer, its tool parts the calls and their results. */
    async function expectMatchesStore(sessionId: string, message: UIMessage) {
      const turn = await storedTurn(sessionId, message.id);
      expect(uiText(message)).toBe(turn.answer);
      const parts = toolParts(message);
      expect(parts.map((p) => [p.toolCallId, p.toolName, p.input])).toEqual(turn.calls.map((c: any) => [c.id, c.name, c.arguments]));
      for (const part of parts) {
        const result = turn.results.find((r: any) => r.tool_call_id === part.toolCallId);
        const text = result.content.map((c: any) => c.text).join("");
        if (part.state === "output-available") expect(part.output).toBe(text);
        else if (part.state === "output-denied") expect(text).toMatch(/^rejected/);
        else throw new Error(`unexpected part state ${part.state}`);
      }
      return turn;
    }

    for (const source of ["body.clientTools", "the session's agent"] as const) {
      it(`a client tool from ${source}: the stream stops at the call; addToolOutput continues the same message to the answer`, async () => {
        const chatId = source === "body.clientTools" ? `chat-${randomUUID()}` : await agentSession({ client_tools: [WEATHER] });
        const body = source === "body.clientTools" ? { clientTools: [WEATHER] } : undefined;
        const chat = new MemoryChat({ id: chatId, transport: new DefaultChatTransport({ api, body }), sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls });
        await chat.sendMessage({ text: 'call get_weather {"city":"Paris"}' });
        await chat.settled();
        expect(chat.error).toBeUndefined();
        const [call] = toolParts(chat.lastMessage);
        expect(call).toMatchObject({ toolName: "get_weather", state: "input-available", input: { city: "Paris" } });
        const turnId = chat.lastMessage!.id;

        await chat.addToolOutput({ tool: "get_weather" as never, toolCallId: call!.toolCallId, output: "sunny, 24 degrees" });
        await chat.settled((c) => uiText(c.lastMessage) !== "", "the answer");
        expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
        const message = chat.lastMessage!;
        expect(message.id).toBe(turnId); // start.messageId is the turn's, on the continuation too
        expect(toolParts(message)).toMatchObject([{ toolCallId: call!.toolCallId, state: "output-available", output: "sunny, 24 degrees" }]);
        expect(uiText(message)).toBe("The answer is sunny, 24 degrees.");
        const sessionId = source === "body.clientTools" ? await sessionOfChat(chat) : chatId;
        const turn = await expectMatchesStore(sessionId, message);
        expect(turn.results).toMatchObject([{ tool_call_id: call!.toolCallId, content: [{ type: "text", text: "sunny, 24 degrees" }] }]);

        // A resend of the same messages (a retry) stores nothing and streams the same continuation again.
        const stored = await messagesOf(sessionId);
        const transport = new DefaultChatTransport({ api });
        const before = chat.messages.map((m) => structuredClone(m));
        before[1] = { ...before[1]!, parts: before[1]!.parts.filter((p) => p.type !== "text").map((p) => (p.type === "dynamic-tool" ? ({ ...p, state: "output-available", output: "sunny, 24 degrees" } as Part) : p)) };
        const resent = await consume(await transport.sendMessages({ chatId, messages: before, trigger: "submit-message", messageId: turnId, abortSignal: undefined }));
        expect(resent.chunks[0]).toEqual({ type: "start", messageId: turnId });
        expect(resent.chunks.some((c) => c.type === "tool-input-available")).toBe(false); // the client has the call already
        expect(resent.chunks.filter((c) => c.type === "text-delta").map((c) => (c as { delta: string }).delta).join("")).toBe(turn.answer);
        expect(await messagesOf(sessionId)).toEqual(stored);
      });
    }

    it("an approval: tool-approval-request; addToolApprovalResponse approved runs the tool, denied ends it as output-denied", async () => {
      const sessionId = await agentSession({ approval_required: ["calculator"] });
      const chat = new MemoryChat({ id: sessionId, transport: new DefaultChatTransport({ api }), sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses });

      await chat.sendMessage({ text: 'call calculator {"expression":"6*7"}' });
      await chat.settled();
      const [asked] = toolParts(chat.lastMessage);
      expect(asked).toMatchObject({ toolName: "calculator", state: "approval-requested", approval: { id: asked!.toolCallId } });
      // The stream may end a moment before the runner has let go of the turn.
      const pending = await eventually(async () => (await rest(url, "GET", `/v1/sessions/${sessionId}`)).body.pending_tool_calls?.length && (await rest(url, "GET", `/v1/sessions/${sessionId}`)).body.pending_tool_calls, 15_000, "the wait");
      expect(pending).toMatchObject([{ kind: "approval", tool_call: { id: asked!.toolCallId } }]);
      await chat.addToolApprovalResponse({ id: asked!.approval!.id, approved: true });
      await chat.settled((c) => uiText(c.lastMessage) !== "", "the approved answer");
      expect(toolParts(chat.lastMessage)).toMatchObject([{ toolCallId: asked!.toolCallId, state: "output-available", output: "42" }]);
      expect(uiText(chat.lastMessage)).toBe("The answer is 42.");
      await expectMatchesStore(sessionId, chat.lastMessage!);

      await chat.sendMessage({ text: 'call calculator {"expression":"1+1"}' });
      await chat.settled((c) => c.messages.length === 4);
      const [second] = toolParts(chat.lastMessage);
      expect(second!.state).toBe("approval-requested");
      await chat.addToolApprovalResponse({ id: second!.approval!.id, approved: false, reason: "not today" });
      await chat.settled((c) => uiText(c.lastMessage) !== "", "the denied answer");
      expect(toolParts(chat.lastMessage)).toMatchObject([{ toolCallId: second!.toolCallId, state: "output-denied" }]);
      const turn = await expectMatchesStore(sessionId, chat.lastMessage!);
      expect(turn.results[0].content[0].text).toBe("rejected: not today");
      expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
      expect((await messagesOf(sessionId)).filter((m) => m.role === "user")).toHaveLength(2);
    });

    it("resume: a GET while the turn waits streams it to the wait; a continuation cut mid-answer is resumed whole by reconnectToStream; 204 after", async () => {
      const chatId = `resume-${randomUUID()}`;
      const transport = new DefaultChatTransport({ api, body: { clientTools: [WEATHER] } });
      const user: UIMessage = { id: randomUUID(), role: "user", parts: [{ type: "text", text: 'call get_weather {"city":"Lima"}' }] };
      const first = await consume(await transport.sendMessages({ chatId, messages: [user], trigger: "submit-message", messageId: undefined, abortSignal: undefined }));
      expect(first.chunks.map((c) => c.type)).toEqual(["start", "start-step", "tool-input-available", "finish-step", "finish"]);
      expect(first.chunks.at(-1)).toEqual({ type: "finish", finishReason: "tool-calls" });

      // A reload while it waits: the same message up to the wait.
      await eventually(async () => (await rest(url, "GET", `/v1/sessions?limit=100`)).body.data.some((s: any) => s.status === "waiting_for_tool_results"), 15_000, "the wait");
      const waiting = await consume((await transport.reconnectToStream({ chatId }))!);
      expect(waiting.chunks).toEqual(first.chunks);

      const call = toolParts(first.message)[0]!;
      const answer = `cloudy ${"with long words to stream ".repeat(15)}`.trim();
      const answered: UIMessage = { ...first.message!, parts: first.message!.parts.map((p) => (p.type === "dynamic-tool" ? ({ ...p, state: "output-available", output: answer } as Part) : p)) };
      const controller = new AbortController();
      const head = await consume(await transport.sendMessages({ chatId, messages: [user, answered], trigger: "submit-message", messageId: answered.id, abortSignal: controller.signal }), 6);
      expect(head.chunks.map((c) => c.type)).toContain("text-delta");
      controller.abort(); // the tab closed mid-answer; the turn goes on

      const resumed = await consume((await transport.reconnectToStream({ chatId }))!);
      expect(resumed.chunks[0]).toEqual({ type: "start", messageId: first.message!.id });
      const message = resumed.message!;
      expect(toolParts(message)).toMatchObject([{ toolCallId: call.toolCallId, state: "output-available", output: answer }]);
      expect(uiText(message)).toBe(`The answer is ${answer}.`);
      expect(resumed.chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
      expect(await transport.reconnectToStream({ chatId })).toBeNull();
    });

    it("bad client tools are 422 and store nothing", async () => {
      const before = (await rest(url, "GET", "/v1/sessions?limit=1")).body.total;
      const user = { id: randomUUID(), role: "user", parts: [{ type: "text", text: "hi" }] };
      for (const clientTools of [[{ name: "calculator", parameters: { type: "object" } }], [{ name: "bad name" }], "nope"]) {
        const res = await rest(url, "POST", "/v1/ai-sdk/chat", { id: `bad-${randomUUID()}`, messages: [user], clientTools });
        expect(res.status).toBe(422);
      }
      expect((await rest(url, "GET", "/v1/sessions?limit=1")).body.total).toBe(before);
    });
  });
}
