// Servers that are down, hang, or do not exist at start: start goes on after
// ~5 s at most, never throws, logs them, and picks them up when they appear.
// Shutdown ends the stdio children.
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { McpServers } from "../../src/agent/tools/mcp/index.js";
import { eventually } from "../support/clients.js";
import { captureLogs, exampleStdio, never, startHttpExample, startMcp, textOf, type HttpExample } from "./support.js";

let mcp: McpServers | null = null;
let http: HttpExample | null = null;

afterEach(async () => {
  await mcp?.close();
  await http?.kill();
  mcp = http = null;
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("MCP servers at start", () => {
  it("does not wait more than ~5 s for servers that hang, refuse or do not exist, and keeps the good one", async () => {
    const logs = captureLogs();
    const started = Date.now();
    mcp = await startMcp(
      {
        good: exampleStdio,
        hangs: { command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"] }, // never answers initialize
        refuses: { url: `http://127.0.0.1:${await freePort()}/mcp` },
        missing: { command: "/nonexistent/parley-mcp-server" },
      },
      logs,
      { startTimeoutMs: undefined, waitUp: false }, // the default budget
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(4_500);
    expect(elapsed).toBeLessThan(10_000); // ~5 s, with room for a loaded machine
    const states = Object.fromEntries(mcp.status().map((s) => [s.name, s.state]));
    expect(states).toMatchObject({ hangs: "connecting", refuses: "down", missing: "down" });
    // The good one is up by now, unless this machine is too loaded to boot node in 5 s.
    await eventually(() => mcp!.status()[0]!.state === "up", 30_000, "good server up");
    expect(new Set(mcp.tools().map((t) => t.server))).toEqual(new Set(["good"]));
    expect(logs.has("MCP server unavailable", { mcpServer: "refuses" })).toBe(true);
    expect(logs.has("MCP server unavailable", { mcpServer: "missing" })).toBe(true);
    expect(await mcp.call("refuses__echo", {}, { signal: never() })).toMatchObject({ status: "error", error: "MCP server refuses is unavailable" });
  });

  it("picks up an HTTP server that comes up after start", async () => {
    const port = await freePort();
    const started = Date.now();
    mcp = await startMcp({ late: { url: `http://127.0.0.1:${port}/mcp` } }, captureLogs(), { waitUp: false });
    expect(Date.now() - started).toBeLessThan(4_500); // a refused connection does not use up the 5 s budget
    expect(mcp.tools()).toEqual([]);
    http = await startHttpExample(port);
    await eventually(() => mcp!.tools().length > 0, 30_000, "late server's tools");
    expect(textOf(await mcp.call("late__echo", { text: "hello" }, { signal: never() }))).toBe("hello");
  });

  it("ends stdio children on close", async () => {
    mcp = await startMcp({ a: exampleStdio, b: exampleStdio }, captureLogs());
    const pids = mcp.status().map((s) => s.pid!);
    expect(pids.every(alive)).toBe(true);
    await mcp.close();
    mcp = null;
    await eventually(() => !pids.some(alive), 15_000, "children gone");
  });
});
