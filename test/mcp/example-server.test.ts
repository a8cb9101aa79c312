// The project's example MCP server, for real, over stdio (a child process the
// client spawns) and over Streamable HTTP (a child process on port 0): what a
// turn would see through McpServers — names, schemas, results, errors,
// timeouts, cancellation, a server dying and coming back.
import { afterEach, describe, expect, it } from "vitest";
import type { McpServerConfig } from "../../src/agent/tools/mcp/config.js";
import type { McpServers } from "../../src/agent/tools/mcp/index.js";
import { eventually } from "../support/clients.js";
import { captureLogs, exampleStdio, never, startHttpExample, startMcp, textOf, type HttpExample } from "./support.js";

const BASE_TOOLS = ["ex__add_tool", "ex__echo", "ex__fail", "ex__sleep", "ex__stats", "ex__tiny_image"];

interface Kind {
  name: "stdio" | "http";
  /** Starts the server (HTTP: a child on `port`) and gives the config entry. */
  serve(port?: number): Promise<McpServerConfig>;
  /** Kills the server abruptly; returns what `serve` needs to bring it back. */
  kill(mcp: McpServers): Promise<number | undefined>;
}

let http: HttpExample | null = null;
let mcp: McpServers | null = null;

/** The example server's count of cancelled calls (null while a stats call fails). */
async function cancelledOnServer(servers: McpServers): Promise<number | null> {
  const outcome = await servers.call("ex__stats", {}, { signal: never() });
  return outcome.status === "success" ? (JSON.parse(textOf(outcome)) as { cancelled: number }).cancelled : null;
}

afterEach(async () => {
  await mcp?.close();
  await http?.kill();
  mcp = http = null;
});

const kinds: Kind[] = [
  {
    name: "stdio",
    serve: async () => exampleStdio,
    async kill(servers) {
      const pid = servers.status()[0]!.pid!;
      process.kill(pid, "SIGKILL");
      return undefined; // the client respawns it itself
    },
  },
  {
    name: "http",
    async serve(port = 0) {
      http = await startHttpExample(port);
      return { url: http.url };
    },
    async kill() {
      const port = http!.port;
      await http!.kill();
      http = null;
      return port;
    },
  },
];

describe.each(kinds)("example MCP server over $name", (kind) => {
  it("offers its tools as ex__<tool> with their descriptions and input schemas", async () => {
    const logs = captureLogs();
    mcp = await startMcp({ ex: await kind.serve() }, logs);
    const tools = mcp.tools();
    expect(tools.map((t) => t.name).sort()).toEqual(BASE_TOOLS);
    const echo = tools.find((t) => t.name === "ex__echo")!;
    expect(echo).toMatchObject({ server: "ex", tool: "echo", description: "Returns the text it is given." });
    expect(echo.parameters).toMatchObject({ type: "object", properties: { text: { type: "string" } }, required: ["text"] });
    expect(mcp.status()).toEqual([expect.objectContaining({ name: "ex", transport: kind.name, state: "up", tools: 6 })]);
    expect(logs.has("MCP server connected", { mcpServer: "ex" })).toBe(true);
  });

  it("maps text and image results to content parts, and isError to status error", async () => {
    mcp = await startMcp({ ex: await kind.serve() }, captureLogs());
    expect(await mcp.call("ex__echo", { text: "hi there" }, { signal: never() })).toEqual({
      status: "success",
      result: [{ type: "text", text: "hi there" }],
      error: null,
    });
    const image = await mcp.call("ex__tiny_image", {}, { signal: never() });
    expect(image.status).toBe("success");
    expect(image.result).toEqual([
      { type: "text", text: "a red pixel" },
      { type: "image", base64: expect.stringMatching(/^iVBORw0KGgo/), media_type: "image/png" },
    ]);
    const failure = await mcp.call("ex__fail", { message: "disk on fire" }, { signal: never() });
    expect(failure).toEqual({ status: "error", result: [{ type: "text", text: "disk on fire" }], error: "disk on fire" });
    // Arguments the server's schema refuses: an error for the model, not a crash.
    const refused = await mcp.call("ex__echo", { text: 42 }, { signal: never() });
    expect(refused.status).toBe("error");
    expect(await mcp.call("ex__nope", {}, { signal: never() })).toMatchObject({ status: "error", error: 'unknown tool "ex__nope"' });
  });

  it("follows notifications/tools/list_changed, and skips a composite name that breaks the tool-name rule", async () => {
    const logs = captureLogs();
    mcp = await startMcp({ ex: await kind.serve() }, logs);
    let changes = 0;
    mcp.onToolsChanged(() => changes++);
    await mcp.call("ex__add_tool", { name: "greeter" }, { signal: never() });
    await eventually(() => mcp!.tools().some((t) => t.name === "ex__greeter"), 5_000, "ex__greeter listed");
    expect(changes).toBeGreaterThan(0);
    expect(textOf(await mcp.call("ex__greeter", {}, { signal: never() }))).toBe("hello from greeter");

    await mcp.call("ex__add_tool", { name: "has.dot" }, { signal: never() });
    await mcp.call("ex__add_tool", { name: "x".repeat(61) }, { signal: never() }); // ex__ + 61 = 65 characters
    await mcp.call("ex__add_tool", { name: "after" }, { signal: never() });
    await eventually(() => mcp!.tools().some((t) => t.name === "ex__after"), 5_000, "ex__after listed");
    expect(mcp.tools().map((t) => t.name)).not.toContain("ex__has.dot");
    expect(mcp.tools().every((t) => /^[A-Za-z0-9_-]{1,64}$/.test(t.name))).toBe(true);
    expect(logs.has("MCP tool skipped: its name breaks ^[A-Za-z0-9_-]{1,64}$", { tool: "has.dot" })).toBe(true);
    expect(logs.has("MCP tool skipped: its name breaks ^[A-Za-z0-9_-]{1,64}$", { tool: "x".repeat(61) })).toBe(true);
  });

  it("ends a call past MCP_TOOL_TIMEOUT_MS with error timeout, and the server is told to stop", async () => {
    mcp = await startMcp({ ex: await kind.serve() }, captureLogs(), { toolTimeoutMs: 1_000 });
    const started = Date.now();
    const outcome = await mcp.call("ex__sleep", { ms: 20_000 }, { signal: never() });
    expect(outcome).toMatchObject({ status: "error", error: "timeout" });
    expect(Date.now() - started).toBeLessThan(8_000); // far below the 20 s sleep
    await eventually(async () => (await cancelledOnServer(mcp!)) === 1, 5_000, "server saw the cancel");
    // The connection is still fine.
    expect(textOf(await mcp.call("ex__echo", { text: "still here" }, { signal: never() }))).toBe("still here");
  });

  it("cancels a call mid-way when its signal aborts (error cancelled), and the server stops the work", async () => {
    mcp = await startMcp({ ex: await kind.serve() }, captureLogs());
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const outcome = await mcp.call("ex__sleep", { ms: 20_000 }, { signal: controller.signal });
    expect(outcome).toMatchObject({ status: "error", error: "cancelled" });
    expect(Date.now() - started).toBeLessThan(8_000); // far below the 20 s sleep
    await eventually(async () => (await cancelledOnServer(mcp!)) === 1, 5_000, "server saw the cancel");
    // A signal aborted before the call: nothing is sent.
    expect(await mcp.call("ex__echo", { text: "x" }, { signal: AbortSignal.abort() })).toMatchObject({ status: "error", error: "cancelled" });
  });

  it("drops the tools of a server killed mid-session, errors calls cleanly (one in flight too), retries with backoff, and picks it up again when it is back", async () => {
    const logs = captureLogs();
    mcp = await startMcp({ ex: await kind.serve() }, logs);
    let changes = 0;
    mcp.onToolsChanged(() => changes++);
    const inFlight = mcp.call("ex__sleep", { ms: 20_000 }, { signal: never() });
    await new Promise((r) => setTimeout(r, 200));
    const firstPid = mcp.status()[0]!.pid;

    const port = await kind.kill(mcp);
    const interrupted = await inFlight;
    expect(interrupted.status).toBe("error");
    expect(interrupted.error).toMatch(/^MCP server ex (disconnected|is unavailable)$/);
    await eventually(() => mcp!.tools().length === 0, 5_000, "tools gone");
    expect(changes).toBeGreaterThan(0);
    expect(logs.has("MCP server down", { mcpServer: "ex" })).toBe(true);

    if (kind.name === "http") {
      // While it is down: no tools, calls fail fast.
      expect(await mcp.call("ex__echo", { text: "x" }, { signal: never() })).toEqual({
        status: "error",
        result: [{ type: "text", text: "MCP server ex is unavailable" }],
        error: "MCP server ex is unavailable",
      });
      // A few failed reconnects, each delay twice the last (100 → 200 → 400 ms here, ±20 %), capped at the maximum.
      const delays = () =>
        logs.lines().filter((l) => l.mcpServer === "ex" && (l.msg === "MCP server down" || l.msg === "MCP server still unavailable")).map((l) => l.retryInMs as number);
      await eventually(() => delays().length >= 4, 15_000, "four reconnect delays logged");
      const [first, second, third, fourth] = delays() as [number, number, number, number];
      expect(first).toBeGreaterThanOrEqual(80);
      expect(first).toBeLessThanOrEqual(120);
      expect(second).toBeGreaterThanOrEqual(160);
      expect(second).toBeLessThanOrEqual(240);
      for (const capped of [third, fourth]) {
        expect(capped).toBeGreaterThanOrEqual(320);
        expect(capped).toBeLessThanOrEqual(480);
      }
      expect(mcp.status()[0]!.state).toBe("down");
      await kind.serve(port); // the same address again
    }
    await eventually(() => mcp!.tools().length === BASE_TOOLS.length, 30_000, "tools back");
    expect(mcp.status()[0]).toMatchObject({ state: "up" });
    if (kind.name === "stdio") expect(mcp.status()[0]!.pid).not.toBe(firstPid);
    expect(textOf(await mcp.call("ex__echo", { text: "back" }, { signal: never() }))).toBe("back");
  });
});
