#!/usr/bin/env node
// A small MCP server for trying Parley's MCP support (and for its tests),
// written with the official SDK's server side. Plain JavaScript: no build.
//
//   node examples/mcp-server/server.mjs --stdio              # speak MCP on stdin/stdout
//   node examples/mcp-server/server.mjs --http --port 9000   # Streamable HTTP at http://127.0.0.1:9000/mcp
//   node examples/mcp-server/server.mjs --http --port 0      # any free port; prints the URL
//
// Tools: echo (text), tiny_image (a 1×1 PNG), fail (an isError result),
// sleep (waits, stops when the call is cancelled), add_tool (adds a tool, so
// clients get notifications/tools/list_changed) and stats (what happened so far).
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const RED_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

// Shared by every session (HTTP serves one McpServer per client session).
const stats = { calls: 0, cancelled: 0 };
const addedTools = new Set();
const servers = new Set();

const text = (value) => ({ content: [{ type: "text", text: value }] });

function addGreeter(server, name) {
  server.registerTool(name, { description: `Says hello from ${name} (added by add_tool).` }, async () => text(`hello from ${name}`));
}

function createMcpServer() {
  const server = new McpServer({ name: "parley-example", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });

  server.registerTool(
    "echo",
    { description: "Returns the text it is given.", inputSchema: { text: z.string().describe("What to say back") } },
    async ({ text: value }) => (stats.calls++, text(value)),
  );

  server.registerTool("tiny_image", { description: "Returns a 1×1 red PNG." }, async () => {
    stats.calls++;
    return { content: [{ type: "text", text: "a red pixel" }, { type: "image", data: RED_PIXEL_PNG, mimeType: "image/png" }] };
  });

  server.registerTool(
    "fail",
    { description: "Always fails (an isError result).", inputSchema: { message: z.string().optional() } },
    async ({ message }) => (stats.calls++, { isError: true, content: [{ type: "text", text: message ?? "this tool always fails" }] }),
  );

  server.registerTool(
    "sleep",
    { description: "Waits `ms` milliseconds, then answers; stops early when the call is cancelled.", inputSchema: { ms: z.number().int().min(0).max(600_000) } },
    async ({ ms }, { signal }) => {
      stats.calls++;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          stats.cancelled++;
          reject(new Error("cancelled"));
        });
      });
      return text(`slept ${ms} ms`);
    },
  );

  server.registerTool(
    "add_tool",
    { description: "Adds a tool NAME that says hello; every client is told the tool list changed.", inputSchema: { name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) } },
    async ({ name }) => {
      stats.calls++;
      if (addedTools.has(name)) return text(`${name} exists`);
      addedTools.add(name);
      for (const each of servers) addGreeter(each, name); // registerTool sends notifications/tools/list_changed
      return text(`added ${name}`);
    },
  );

  server.registerTool("stats", { description: "Calls so far and how many were cancelled, as JSON." }, async () => text(JSON.stringify(stats)));

  for (const name of addedTools) addGreeter(server, name);
  servers.add(server);
  return server;
}

async function serveStdio() {
  const server = createMcpServer();
  await server.connect(new StdioServerTransport());
  process.stdin.on("end", () => process.exit(0)); // the client went away
  console.error("parley-example MCP server on stdio"); // stdout is the protocol; logs go to stderr
}

async function serveHttp(port) {
  const sessions = new Map(); // mcp-session-id → transport
  const httpServer = createHttpServer(async (req, res) => {
    try {
      if (new URL(req.url ?? "/", "http://localhost").pathname !== "/mcp") return void res.writeHead(404).end();
      const sessionId = req.headers["mcp-session-id"];
      const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
      if (existing) return void (await existing.handleRequest(req, res));
      if (sessionId) return void reply(res, 404, "unknown session");
      if (req.method !== "POST") return void reply(res, 400, "no session");
      const body = JSON.parse(await readBody(req));
      if (!isInitializeRequest(body)) return void reply(res, 400, "initialize first");
      // A new client: its own transport and McpServer.
      const server = createMcpServer();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        servers.delete(server);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) reply(res, 400, String(error instanceof Error ? error.message : error));
    }
  });
  httpServer.listen(port, "127.0.0.1", () => {
    console.log(`parley-example MCP server listening on http://127.0.0.1:${httpServer.address().port}/mcp`);
  });
}

function reply(res, status, message) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

async function readBody(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

const args = process.argv.slice(2);
if (args.includes("--http")) {
  const at = args.indexOf("--port");
  await serveHttp(at >= 0 ? Number(args[at + 1]) : 0);
} else {
  await serveStdio();
}
process.on("SIGTERM", () => process.exit(0));
