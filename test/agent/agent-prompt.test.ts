// An agent's instructions and tools reach the real providers' wire formats,
// in every model step of a turn (SPEC §10): the openai and anthropic drivers
// run whole turns through the app against local fake servers that record each
// request, with the example MCP server configured, so an MCP tool reaches the
// provider with its server's schema and the default agent never sees it. Also:
// which model a turn uses (controls > agent > session > default).
// The prompt does not depend on the database, so this runs on PGlite only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { anthropicText, anthropicToolUse } from "../support/fake-anthropic.js";
import { chunk, finish, startStream } from "../support/fake-openai.js";
import { closeFakeServers, fakeServer, systemPromptOf, toolNamesOf, type Captured, type FakeServer } from "../support/fake-provider.js";
import { createSession, DEMO_MODEL_ID, sendText, settled } from "../support/fixtures.js";
import { eventually } from "../support/wait.js";
import { exampleStdio } from "../mcp/support.js";
import { startServer, type TestServer } from "../support/server.js";

// The SDK warns that the fake model names are unknown to it; that is expected here.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const INSTRUCTIONS = "You are Captain Parley. Answer like a pirate, and use the calculator for sums.";

type Provider = "openai" | "anthropic";

/** A provider that calls the calculator when it is offered and no result came back yet, else answers. */
async function fakeProvider(provider: Provider): Promise<FakeServer> {
  let calls = 0;
  return fakeServer((_req, res, body) => {
    const offered = toolNamesOf({ body } as Captured).includes("calculator");
    if (provider === "openai") {
      const answered = body.messages.some((m: { role: string }) => m.role === "tool");
      startStream(res);
      if (offered && !answered) {
        const call = { index: 0, id: `call_${++calls}`, type: "function", function: { name: "calculator", arguments: '{"expression":"2+3"}' } };
        chunk(res, { delta: { role: "assistant", tool_calls: [call] } });
        return finish(res, "tool_calls");
      }
      chunk(res, { delta: { role: "assistant", content: "Arr, 5 it be." } });
      return finish(res, "stop");
    }
    const answered = body.messages.some((m: { content: unknown }) => Array.isArray(m.content) && m.content.some((p: { type: string }) => p.type === "tool_result"));
    if (offered && !answered) return anthropicToolUse(res, `toolu_${++calls}`, "calculator", { expression: "2+3" });
    return anthropicText(res, "Arr, 5 it be.");
  });
}

const PROVIDER_CONFIG: Record<Provider, (baseURL: string) => Record<string, string>> = {
  openai: (baseURL) => ({ AGENT_DRIVER: "openai", OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: "sk-test", OPENAI_MODEL: "gpt-fake" }),
  anthropic: (baseURL) => ({ AGENT_DRIVER: "anthropic", ANTHROPIC_BASE_URL: baseURL, ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_MODEL: "claude-fake" }),
};

for (const provider of ["openai", "anthropic"] as const) {
  describe(`an agent's instructions and tools through the ${provider} driver`, () => {
    const backend = pgliteBackend();
    let server: TestServer;
    let fake: FakeServer;
    let url: string;

    beforeAll(async () => {
      fake = await fakeProvider(provider);
      server = await startServer(backend, { ...PROVIDER_CONFIG[provider](fake.baseURL), MCP_SERVERS: JSON.stringify({ ex: exampleStdio }) });
      url = server.url;
      // A loaded machine can need longer than start's ~5 s to boot node.
      await eventually(async () => (await gqlData(url, `{ tools { name } }`)).tools.some((t: { name: string }) => t.name === "ex__echo"), 30_000, "ex__echo listed");
    });
    afterAll(async () => {
      await server?.close();
      await closeFakeServers();
    });

    const createAgent = async (input: Record<string, unknown>): Promise<string> =>
      (await gqlData(url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, { input })).createAgent.id;

    /** Runs one turn; returns the provider requests it made and its events. */
    async function turn(sessionId: string, text: string, extra: Record<string, unknown> = {}) {
      const before = fake.requests.length;
      const { sequence } = await sendText(url, sessionId, text, extra);
      await settled(url, sessionId, 150);
      const query = `query($id: ID!, $after: Int) { session(id: $id) { events(after: $after, first: 500) { type data } } }`;
      const { session } = await gqlData(url, query, { id: sessionId, after: sequence - 1 });
      return { requests: fake.requests.slice(before), events: session.events as { type: string; data: Record<string, any> }[] };
    }

    it("sends the instructions as the system prompt and only the allowed tools, in every model step", async () => {
      const agentId = await createAgent({ name: "Pirate", instructions: INSTRUCTIONS, tools: ["calc*"] });
      const sessionId = await createSession(url, { agentId, locale: "fr-FR" });
      const { requests, events } = await turn(sessionId, "what is 2+3?");
      expect(requests).toHaveLength(2); // the tool call, then the answer after its result
      for (const request of requests) {
        const system = systemPromptOf(request)!;
        // The agent's instructions come first; the turn's locale line still follows.
        expect(system.startsWith(INSTRUCTIONS)).toBe(true);
        expect(system).toContain("the user's locale is fr-FR");
        expect(toolNamesOf(request)).toEqual(["calculator"]);
      }
      expect(events.filter((e) => e.type === "tool.completed").map((e) => e.data.result)).toEqual([[{ type: "text", text: "5" }]]);
      expect(events.find((e) => e.type === "turn.started")!.data.agent_id).toBe(agentId);
      expect(events.at(-2)!.type).toBe("turn.completed");
    });

    it("an MCP tool the agent's patterns select reaches the provider with its server's description and input schema", async () => {
      const sessionId = await createSession(url, { agentId: await createAgent({ name: "Echo", instructions: "Echo things.", tools: ["ex__echo"] }) });
      const { requests } = await turn(sessionId, "say hi");
      expect(requests).toHaveLength(1);
      const tools = requests[0]!.body.tools as Record<string, any>[];
      const sent = provider === "openai" ? tools.map((t) => t.function) : tools.map((t) => ({ name: t.name, description: t.description, parameters: t.input_schema }));
      expect(sent).toEqual([
        {
          name: "ex__echo",
          description: "Returns the text it is given.",
          parameters: expect.objectContaining({ type: "object", properties: { text: expect.objectContaining({ type: "string", description: "What to say back" }) }, required: ["text"] }),
        },
      ]);
      expect(systemPromptOf(requests[0]!)).toBe("Echo things.");
    });

    it("the default agent sends no system prompt and every built-in tool (no MCP tool)", async () => {
      const sessionId = await createSession(url);
      const { requests } = await turn(sessionId, "what is 2+3?");
      expect(requests.length).toBeGreaterThan(0);
      for (const request of requests) {
        expect(systemPromptOf(request)).toBeNull();
        expect(toolNamesOf(request)).toEqual(["calculator", "current_time"]);
      }
    });

    it("tools: [] sends no tools at all", async () => {
      const sessionId = await createSession(url, { agentId: await createAgent({ name: "Quiet", instructions: "Be quiet.", tools: [] }) });
      const { requests, events } = await turn(sessionId, "what is 2+3?");
      expect(requests).toHaveLength(1);
      expect(toolNamesOf(requests[0]!)).toEqual([]);
      expect(systemPromptOf(requests[0]!)).toBe("Be quiet.");
      expect(events.some((e) => e.type === "tool.started")).toBe(false);
    });

    it("picks the model: controls.modelId over the agent's over the session's over the default", async () => {
      const { models } = await gqlData(url, `{ models { id name } }`);
      const providerModel = models.find((m: { name: string }) => m.name !== "demo").id as string;
      const modelOf = (events: { type: string; data: Record<string, any> }[]) => events.find((e) => e.type === "output.message.started")!.data.model;

      // The agent names the demo model: the session's (provider) model loses, the provider gets no request.
      const agentId = await createAgent({ name: "Demo", modelId: DEMO_MODEL_ID });
      const sessionId = await createSession(url, { agentId, modelId: providerModel });
      const byAgent = await turn(sessionId, "hello");
      expect(byAgent.requests).toHaveLength(0);
      expect(modelOf(byAgent.events)).toBe("demo");
      // The message's controls win over the agent.
      const byControls = await turn(sessionId, "hello", { controls: { modelId: providerModel } });
      expect(byControls.requests.length).toBeGreaterThan(0);
      expect(modelOf(byControls.events)).toBe(provider === "openai" ? "gpt-fake" : "claude-fake");
      // An agent without a model: the session's model, else the server default (the provider here).
      const plain = await createAgent({ name: "No model" });
      expect(modelOf((await turn(await createSession(url, { agentId: plain, modelId: DEMO_MODEL_ID }), "hello")).events)).toBe("demo");
      expect((await turn(await createSession(url, { agentId: plain }), "hello")).requests.length).toBeGreaterThan(0);
    });
  });
}
