// MCP tools through whole turns (SPEC §10), as a client sees them: the
// project's example MCP server over stdio and the published filesystem server,
// configured with MCP_SERVERS; Query.tools lists them; an agent whose patterns
// select them calls them with the demo `call NAME {json}` rule; results become
// tool.completed and TOOL_RESULT messages; an isError result is status error;
// cancel mid-call ends the call as `cancelled` before turn.cancelled; the
// default agent is offered built-ins only; a server that is down leaves /ready 200;
// no API can add a server or make the host run a command.
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { eventually, gqlData, wsClient } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";
import { sendAndWatch, withoutDeltas, type SessionEvent as Ev } from "../support/session-events.js";
import { rest } from "../support/http.js";
import { EXAMPLE_SERVER, FILESYSTEM_SERVER } from "../mcp/support.js";

describe("MCP tools in turns", () => {
  let server: TestServer;
  let url: string;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "parley-mcp-"));
    await writeFile(join(dir, "notes.txt"), "the launch is on Tuesday");
    const servers = {
      demo: { command: process.execPath, args: [EXAMPLE_SERVER, "--stdio"] },
      files: { command: process.execPath, args: [FILESYSTEM_SERVER, dir] },
      down: { url: "http://127.0.0.1:9/mcp" },
    };
    server = await startServer(pgliteBackend(), { MCP_SERVERS: JSON.stringify(servers), DEMO_DELAY_MS: "2" });
    url = server.url;
    client = wsClient(url);
    // A loaded machine can need longer than start's ~5 s to boot node: wait until both servers' tools are listed.
    await eventually(async () => {
      const { tools } = await gqlData(url, `{ tools { name } }`);
      const names = tools.map((t: { name: string }) => t.name);
      return names.includes("demo__echo") && names.includes("files__read_text_file");
    }, 30_000, "MCP tools to be listed");
  });
  afterAll(async () => {
    await client?.dispose();
    await server?.close();
  });

  const createAgent = async (input: Record<string, unknown>): Promise<string> =>
    (await gqlData(url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, { input })).createAgent.id;

  /** Posts a text and returns the turn's events (over graphql-ws) up to session.idled, deltas left out. */
  const turn = async (sessionId: string, text: string, onEvent?: (e: Ev) => unknown) =>
    withoutDeltas(await sendAndWatch(url, client, sessionId, text, { onEvent }));
  const completed = (events: Ev[]) => events.filter((e) => e.type === "tool.completed").map((e) => e.data);
  const answer = (events: Ev[]) => events.filter((e) => e.type === "output.message.completed").at(-1)!.data.message.content[0]?.text;

  it("Query.tools lists built-in and MCP tools by name, with source, server and the server's schema", async () => {
    const { tools } = await gqlData(url, `{ tools { name description parameters source server } }`);
    const names = tools.map((t: { name: string }) => t.name);
    expect(names).toEqual([...names].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(tools.find((t: { name: string }) => t.name === "calculator")).toMatchObject({ source: "BUILTIN", server: null });
    expect(tools.find((t: { name: string }) => t.name === "demo__echo")).toMatchObject({
      source: "MCP",
      server: "demo",
      description: "Returns the text it is given.",
      parameters: { type: "object", properties: { text: { type: "string" } } },
    });
    expect(names.some((n: string) => n.startsWith("down__"))).toBe(false);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  it("an agent selecting MCP tools calls them through a whole turn: events, TOOL_RESULT message, answer", async () => {
    const agentId = await createAgent({ name: "Reader", tools: ["demo__*", "files__read_text_file"] });
    const sessionId = await createSession(url, { agentId });
    const events = await turn(sessionId, `call demo__echo {"text":"ahoy"}\ncall files__read_text_file {"path":"${join(dir, "notes.txt")}"}`);
    const [echo, file] = completed(events);
    expect(echo).toMatchObject({ tool_name: "demo__echo", status: "success", result: [{ type: "text", text: "ahoy" }] });
    expect(file).toMatchObject({ tool_name: "files__read_text_file", status: "success", result: [{ type: "text", text: "the launch is on Tuesday" }] });
    expect(answer(events)).toBe("The answer is ahoy; the launch is on Tuesday.");
    const read = await gqlData(url, `query($id: ID!) { session(id: $id) { messages(roles: [TOOL_RESULT]) { nodes { content { ... on ToolResultPart { isError content { ... on TextPart { text } } } } } } } }`, { id: sessionId });
    expect(read.session.messages.nodes.map((n: any) => n.content[0].content[0].text)).toEqual(["ahoy", "the launch is on Tuesday"]);
  });

  it("an MCP image result is an image part; an isError result is status error and the turn goes on", async () => {
    const agentId = await createAgent({ name: "Painter", tools: ["demo__*"] });
    const sessionId = await createSession(url, { agentId });
    const events = await turn(sessionId, `call demo__tiny_image\ncall demo__fail {"message":"no luck"}`);
    const [image, failed] = completed(events) as [Record<string, any>, Record<string, any>];
    expect(image.status).toBe("success");
    expect(image.result).toContainEqual({ type: "image", base64: expect.any(String), media_type: "image/png" });
    expect(failed).toMatchObject({ status: "error", error: "no luck" });
    expect(events.at(-2)!.type).toBe("turn.completed");
  });

  it("the default agent is offered the built-ins only", async () => {
    const sessionId = await createSession(url);
    const events = await turn(sessionId, `call demo__echo {"text":"hi"}`);
    expect(completed(events)).toEqual([]);
    expect(answer(events)).toMatch(/demo__echo/);
  });

  it("cancel during a slow MCP call ends it as cancelled, then turn.cancelled", async () => {
    const agentId = await createAgent({ name: "Sleeper", tools: ["demo__sleep"] });
    const sessionId = await createSession(url, { agentId });
    let cancelled = false;
    const events = await turn(sessionId, `call demo__sleep {"ms":20000}`, (e) => {
      if (e.type === "tool.started" && !cancelled) {
        cancelled = true;
        void gqlData(url, `mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`, { id: sessionId });
      }
    });
    expect(completed(events)).toEqual([expect.objectContaining({ tool_name: "demo__sleep", status: "error", error: "cancelled" })]);
    const types = events.map((e) => e.type);
    expect(types.indexOf("tool.completed")).toBeLessThan(types.indexOf("turn.cancelled"));
  });

  it("operator-only: no GraphQL input takes a command or server, and a tenant naming one over REST runs nothing", async () => {
    const { __schema } = await gqlData(url, `{ __schema { types { kind inputFields { name } fields { args { name } } } } }`);
    const inputNames = new Set<string>();
    for (const type of __schema.types as { kind: string; inputFields: { name: string }[] | null; fields: { args: { name: string }[] }[] | null }[]) {
      for (const field of type.inputFields ?? []) inputNames.add(field.name);
      for (const field of type.fields ?? []) for (const arg of field.args) inputNames.add(arg.name);
    }
    expect([...inputNames].filter((n) => /command|cwd|env|headers|mcp|server/i.test(n))).toEqual([]);

    // Extra REST fields are not a back door: the agent is stored without them, nothing runs, no server appears.
    const marker = join(dir, "ran.txt");
    const before = (await gqlData(url, `{ tools { name } }`)).tools;
    const created = await rest(url, "POST", "/v1/agents", {
      name: "Sneaky",
      tools: ["evil__*"],
      mcp_servers: { evil: { command: "touch", args: [marker] } },
      mcpServers: { evil: { url: "http://127.0.0.1:9/mcp" } },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).filter((k) => /mcp/i.test(k))).toEqual([]);
    const sessionId = await createSession(url, { agentId: created.body.id });
    const events = await turn(sessionId, "call evil__anything");
    expect(completed(events)).toEqual([]);
    expect(answer(events)).toMatch(/"evil__anything": that tool is not offered in this turn\. No tools are offered in this turn\./);
    expect((await gqlData(url, `{ tools { name } }`)).tools).toEqual(before);
    expect(existsSync(marker)).toBe(false);
  });
});
