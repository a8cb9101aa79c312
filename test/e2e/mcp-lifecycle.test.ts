// Our example MCP server over stdio and over Streamable HTTP, through whole
// turns as a client sees them (GraphQL, graphql-ws): a call and its
// TOOL_RESULT message, `tools/list_changed` reaching Query.tools,
// MCP_TOOL_TIMEOUT_MS ending a call as `timeout` while the turn goes on, and
// the server killed mid-call — the call ends as an error, the turn completes,
// the tools vanish from Query.tools and come back once the server runs again.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { eventually, gqlData, wsClient } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";
import { sendAndWatch, withoutDeltas, type SessionEvent as Ev } from "../support/session-events.js";
import { EXAMPLE_SERVER, startHttpExample, type HttpExample } from "../mcp/support.js";

const TIMEOUT_MS = 3_000;

/** Process ids whose command line holds `marker` (the stdio child Parley spawned). */
function pidsWith(marker: string): number[] {
  const lines = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).split("\n");
  return lines.filter((line) => line.includes(marker)).map((line) => Number(line.trim().split(/\s+/, 1)[0]));
}

interface Kind {
  name: "stdio" | "http";
  /** The MCP_SERVERS entry (HTTP: starts the server first). */
  serve(): Promise<Record<string, unknown>>;
  /** SIGKILLs the server mid-session. */
  kill(): Promise<void>;
  /** Something that differs between two runs of the server (stdio: the child's pid). */
  run(): string;
  /** Brings it back (stdio: Parley respawns it by itself). */
  restart(): Promise<void>;
  /** After the tests (stdio: Parley ends its child on close). */
  stop(): Promise<void>;
}

function stdioKind(): Kind {
  const marker = `parley-test-${randomBytes(6).toString("hex")}`;
  return {
    name: "stdio",
    serve: async () => ({ command: process.execPath, args: [EXAMPLE_SERVER, "--stdio", "--tag", marker] }),
    async kill() {
      const [pid] = pidsWith(marker);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid!, "SIGKILL");
    },
    run: () => pidsWith(marker).join(","),
    restart: async () => {},
    stop: async () => {},
  };
}

function httpKind(): Kind {
  let http: HttpExample | null = null;
  let port = 0;
  return {
    name: "http",
    async serve() {
      http = await startHttpExample(port);
      port = http.port;
      return { url: http.url };
    },
    async kill() {
      await http?.kill();
      http = null;
    },
    run: () => String(http?.process.pid ?? ""),
    async restart() {
      await this.serve(); // the same address again
    },
    stop: async () => {
      await http?.kill();
    },
  };
}

describe.each([stdioKind(), httpKind()])("the example MCP server over $name in turns", (kind) => {
  let server: TestServer;
  let url: string;
  let client: Client;
  let agentId: string;

  const toolNames = async (): Promise<string[]> => (await gqlData(url, `{ tools { name } }`)).tools.map((t: { name: string }) => t.name);

  beforeAll(async () => {
    const ex = await kind.serve();
    server = await startServer(pgliteBackend(), { MCP_SERVERS: JSON.stringify({ ex }), MCP_TOOL_TIMEOUT_MS: String(TIMEOUT_MS), DEMO_DELAY_MS: "2" });
    url = server.url;
    client = wsClient(url);
    // A loaded machine can need longer than start's ~5 s to boot node.
    await eventually(async () => (await toolNames()).includes("ex__echo"), 30_000, "ex__echo listed");
    agentId = (await gqlData(url, `mutation { createAgent(input: { name: "Ops", tools: ["ex__*"] }) { id } }`)).createAgent.id;
  });
  afterAll(async () => {
    await client?.dispose();
    await server?.close();
    await kind.stop();
  });

  /** Posts a text and returns the turn's events (over graphql-ws) up to session.idled, deltas left out. */
  const turn = async (sessionId: string, text: string, onEvent?: (e: Ev) => unknown) =>
    withoutDeltas(await sendAndWatch(url, client, sessionId, text, { onEvent }));
  const completed = (events: Ev[]) => events.filter((e) => e.type === "tool.completed").map((e) => e.data);
  const answer = (events: Ev[]) => events.filter((e) => e.type === "output.message.completed").at(-1)!.data.message.content[0]?.text;
  const ending = (events: Ev[]) => events.map((e) => e.type).slice(-2);

  it("a call runs through a whole turn: tool.completed, a TOOL_RESULT message with the text and the image, the answer", async () => {
    const sessionId = await createSession(url, { agentId });
    const events = await turn(sessionId, `call ex__echo {"text":"over ${kind.name}"}\ncall ex__tiny_image`);
    const [echo, image] = completed(events);
    expect(echo).toMatchObject({ tool_name: "ex__echo", status: "success", result: [{ type: "text", text: `over ${kind.name}` }] });
    expect(image).toMatchObject({ tool_name: "ex__tiny_image", status: "success" });
    expect(image!.result).toEqual([
      { type: "text", text: "a red pixel" },
      { type: "image", base64: expect.stringMatching(/^iVBORw0KGgo/), media_type: "image/png" },
    ]);
    expect(answer(events)).toBe(`The answer is over ${kind.name}; a red pixel.`);
    const read = await gqlData(
      url,
      `query($id: ID!) { session(id: $id) { messages(roles: [TOOL_RESULT]) { nodes { content { ... on ToolResultPart { toolCallId isError content { __typename ... on TextPart { text } } } } } } } }`,
      { id: sessionId },
    );
    expect(read.session.messages.nodes.map((n: any) => n.content[0])).toEqual([
      { toolCallId: expect.stringMatching(/^call_/), isError: false, content: [{ __typename: "TextPart", text: `over ${kind.name}` }] },
      { toolCallId: expect.stringMatching(/^call_/), isError: false, content: [{ __typename: "TextPart", text: "a red pixel" }, { __typename: "ImagePart" }] },
    ]);
  });

  it("a tool the server adds (tools/list_changed) shows in Query.tools and is offered to the next turn", async () => {
    const sessionId = await createSession(url, { agentId });
    const name = `greet_${kind.name}`;
    expect(await toolNames()).not.toContain(`ex__${name}`);
    expect(answer(await turn(sessionId, `call ex__add_tool {"name":"${name}"}`))).toBe(`The answer is added ${name}.`);
    await eventually(async () => (await toolNames()).includes(`ex__${name}`), 10_000, `ex__${name} in Query.tools`);
    const { tools } = await gqlData(url, `{ tools { name source server description } }`);
    expect(tools.find((t: { name: string }) => t.name === `ex__${name}`)).toEqual({
      name: `ex__${name}`,
      source: "MCP",
      server: "ex",
      description: `Says hello from ${name} (added by add_tool).`,
    });
    expect(answer(await turn(sessionId, `call ex__${name}`))).toBe(`The answer is hello from ${name}.`);
  });

  it("a call past MCP_TOOL_TIMEOUT_MS ends as error timeout, and the turn goes on to its answer", async () => {
    const sessionId = await createSession(url, { agentId });
    const events = await turn(sessionId, `call ex__sleep {"ms":60000}`);
    expect(completed(events)).toEqual([
      expect.objectContaining({ tool_name: "ex__sleep", status: "error", error: "timeout", result: [{ type: "text", text: `The tool call timed out after ${TIMEOUT_MS} ms.` }] }),
    ]);
    expect(events.filter((e) => e.type === "output.message.started")).toHaveLength(2); // a model step after the timeout
    expect(ending(events)).toEqual(["turn.completed", "session.idled"]);
  });

  it("killed mid-call: the call ends as an error, the turn completes, the tools vanish, and come back after a restart", async () => {
    const sessionId = await createSession(url, { agentId });
    const firstRun = kind.run();
    let killed: Promise<void> | undefined;
    const events = await turn(sessionId, `call ex__sleep {"ms":60000}`, (e) => {
      if (e.type === "tool.started") killed ??= kind.kill();
    });
    await killed;
    const [call] = completed(events);
    expect(call).toMatchObject({ tool_name: "ex__sleep", status: "error" });
    expect(call!.error).toMatch(/^MCP server ex (disconnected|is unavailable)$/); // not the timeout
    expect(ending(events)).toEqual(["turn.completed", "session.idled"]);
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    if (kind.name === "http") {
      // Down until it runs again: its tools are absent from Query.tools and from model steps.
      await eventually(async () => !(await toolNames()).some((n) => n.startsWith("ex__")), 10_000, "ex__ tools gone");
      expect(answer(await turn(sessionId, `call ex__echo {"text":"anyone?"}`))).toMatch(/"ex__echo": that tool is not offered in this turn/);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
    }
    await kind.restart();
    await eventually(async () => (await toolNames()).includes("ex__echo"), 30_000, "ex__ tools back");
    expect(answer(await turn(sessionId, `call ex__echo {"text":"back"}`))).toBe("The answer is back.");
    expect(kind.run()).not.toBe(firstRun); // a new process answered
    expect(kind.run()).not.toBe("");
  });
});
