// One configured MCP server: connect (stdio child or Streamable HTTP), list
// its tools, follow `notifications/tools/list_changed`, notice when it goes
// away (process exit, failed request or ping) and reconnect with backoff.
// While it is not connected it offers no tools and calls to it end as errors.
// Nothing here throws into the caller: failures are logged and retried.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type Tool as McpToolDefinition } from "@modelcontextprotocol/sdk/types.js";
import type { JsonObject } from "../../../domain/content.js";
import { isToolName } from "../../../domain/tool-patterns.js";
import type { Logger } from "../../../log.js";
import { isStdioServer, type McpServerConfig } from "./config.js";
import { failed, mapMcpResult, type ToolOutcome } from "./results.js";

/** An MCP tool as Parley offers it: `<server>__<tool>`. */
export interface McpTool {
  name: string;
  server: string;
  /** The tool's own name on its server. */
  tool: string;
  description: string | null;
  /** The server's input schema, as given. */
  parameters: JsonObject;
}

export interface ConnectionOptions {
  logger: Logger;
  toolTimeoutMs: number;
  /** Budget for one connection attempt (initialize and the first tool list). */
  connectTimeoutMs: number;
  /** Delay before reconnect attempt n is min(maxMs, initialMs · 2ⁿ), ±20 %. */
  backoff: { initialMs: number; maxMs: number };
  /** A connected server is pinged this often, so a silent HTTP server is noticed. */
  pingIntervalMs: number;
  onToolsChanged: () => void;
}

export type ConnectionState = "connecting" | "up" | "down" | "closed";

export interface McpServerStatus {
  name: string;
  transport: "stdio" | "http";
  state: ConnectionState;
  tools: number;
  /** The stdio child's process id while connected. */
  pid: number | null;
}

const CLIENT_INFO = { name: "parley", version: "0.1.0" };
const PING_TIMEOUT_MS = 5_000;

export const compositeName = (server: string, tool: string) => `${server}__${tool}`;

export class McpConnection {
  private state: ConnectionState = "connecting";
  private client: Client | null = null;
  private transport: Transport | null = null;
  private offered: McpTool[] = [];
  /** Bumped whenever the current client is replaced: callbacks of an older one are ignored. */
  private generation = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private probing = false;
  private listing: Promise<void> | null = null;
  private listAgain = false;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly options: ConnectionOptions,
  ) {
    this.log = options.logger.child({ mcpServer: name });
  }

  /** Starts connecting; resolves when the first attempt has succeeded or failed (never rejects). */
  start(): Promise<void> {
    return this.connect();
  }

  tools(): readonly McpTool[] {
    return this.state === "up" ? this.offered : [];
  }

  status(): McpServerStatus {
    const pid = this.state === "up" && this.transport instanceof StdioClientTransport ? this.transport.pid : null;
    return { name: this.name, transport: isStdioServer(this.config) ? "stdio" : "http", state: this.state, tools: this.tools().length, pid };
  }

  async call(tool: string, args: JsonObject, signal: AbortSignal): Promise<ToolOutcome> {
    const client = this.client;
    if (this.state !== "up" || !client) return failed(`MCP server ${this.name} is unavailable`);
    if (signal.aborted) return cancelled();
    const generation = this.generation;
    try {
      const result = await client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: this.options.toolTimeoutMs });
      return mapMcpResult(result);
    } catch (error) {
      if (signal.aborted) return cancelled();
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout)
        return failed("timeout", `The tool call timed out after ${this.options.toolTimeoutMs} ms.`);
      if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) return failed(`MCP server ${this.name} disconnected`);
      if (error instanceof McpError) return failed(error.message); // the server refused the call (unknown tool, bad arguments)
      // A transport failure (HTTP server gone, …): check the connection, and say so.
      this.probe(generation);
      this.log.warn({ err: error, tool }, "MCP tool call failed");
      return failed(`MCP server ${this.name} is unavailable`);
    }
  }

  async close(): Promise<void> {
    this.state = "closed";
    this.generation++;
    this.clearTimers();
    const { client, transport } = this;
    this.client = null;
    this.transport = null;
    this.offered = [];
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId)
      await withTimeout(transport.terminateSession(), 1_000).catch(() => undefined);
    await client?.close().catch(() => undefined); // stdio: ends stdin, then SIGTERM, then SIGKILL
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    const generation = ++this.generation;
    const transport = this.createTransport();
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.onclose = () => this.lost(generation, new Error("connection closed"));
    client.onerror = () => this.probe(generation);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      void this.refresh(client, generation).catch((error) => this.log.warn({ err: error }, "MCP tool list refresh failed"));
    });
    this.client = client;
    this.transport = transport;
    try {
      await withTimeout(
        (async () => {
          await client.connect(transport, { timeout: this.options.connectTimeoutMs });
          await this.refresh(client, generation);
        })(),
        this.options.connectTimeoutMs,
      );
      if (generation !== this.generation) return;
      this.state = "up";
      this.failures = 0;
      this.pingTimer = setInterval(() => this.probe(generation), this.options.pingIntervalMs);
      this.pingTimer.unref();
      this.log.info({ tools: this.offered.length, pid: this.status().pid }, "MCP server connected");
      this.options.onToolsChanged();
    } catch (error) {
      this.lost(generation, error);
    }
  }

  /** Lists every page of tools; overlapping refreshes collapse into one more run. */
  private refresh(client: Client, generation: number): Promise<void> {
    if (this.listing) {
      this.listAgain = true;
      return this.listing;
    }
    this.listing = (async () => {
      try {
        do {
          this.listAgain = false;
          const definitions: McpToolDefinition[] = [];
          let cursor: string | undefined;
          do {
            const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.options.connectTimeoutMs });
            definitions.push(...page.tools);
            cursor = page.nextCursor;
          } while (cursor);
          if (generation !== this.generation) return;
          this.offered = this.offer(definitions);
          if (this.state === "up") {
            this.log.info({ tools: this.offered.length }, "MCP tool list changed");
            this.options.onToolsChanged();
          }
        } while (this.listAgain);
      } finally {
        this.listing = null;
      }
    })();
    return this.listing;
  }

  private offer(definitions: readonly McpToolDefinition[]): McpTool[] {
    const tools = new Map<string, McpTool>();
    for (const definition of definitions) {
      const name = compositeName(this.name, definition.name);
      if (!isToolName(name)) {
        this.log.warn({ tool: definition.name, name }, "MCP tool skipped: its name breaks ^[A-Za-z0-9_-]{1,64}$");
        continue;
      }
      if (tools.has(name)) continue;
      tools.set(name, {
        name,
        server: this.name,
        tool: definition.name,
        description: definition.description ?? definition.title ?? null,
        parameters: definition.inputSchema as JsonObject,
      });
    }
    return [...tools.values()];
  }

  /** Pings once (at a time); a failed ping means the server is gone. */
  private probe(generation: number): void {
    const client = this.client;
    if (this.probing || generation !== this.generation || this.state !== "up" || !client) return;
    this.probing = true;
    client
      .ping({ timeout: PING_TIMEOUT_MS })
      .catch((error: unknown) => this.lost(generation, error))
      .finally(() => (this.probing = false));
  }

  /** The connection of `generation` is gone (or never came up): drop its tools, retry later. */
  private lost(generation: number, error: unknown): void {
    if (generation !== this.generation || this.state === "closed") return;
    this.generation++;
    const wasUp = this.state === "up";
    this.state = "down";
    this.offered = [];
    this.clearTimers();
    const client = this.client;
    this.client = null;
    this.transport = null;
    void client?.close().catch(() => undefined); // kills a stdio child that is still alive
    const delay = Math.min(this.options.backoff.maxMs, this.options.backoff.initialMs * 2 ** this.failures) * (0.8 + Math.random() * 0.4);
    this.failures++;
    const reason = error instanceof Error ? error.message : String(error);
    if (wasUp || this.failures === 1) this.log.warn({ reason, retryInMs: Math.round(delay) }, wasUp ? "MCP server down" : "MCP server unavailable");
    else this.log.debug({ reason, attempt: this.failures, retryInMs: Math.round(delay) }, "MCP server still unavailable");
    if (wasUp) this.options.onToolsChanged();
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private createTransport(): Transport {
    const config = this.config;
    if (isStdioServer(config)) {
      const transport = new StdioClientTransport({ command: config.command, args: config.args ?? [], env: config.env ?? {}, cwd: config.cwd, stderr: "pipe" });
      // The server's stderr is its log: keep it, at debug level, line by line.
      let pending = "";
      transport.stderr?.on("data", (chunk: Buffer) => {
        const lines = (pending + chunk.toString("utf8")).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) this.log.debug({ stderr: line.slice(0, 2_000) }, "MCP server stderr");
      });
      return transport;
    }
    // Reconnection is ours (with the tool list); the transport's own SSE retry is off.
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: config.headers ?? {} },
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1_000, maxReconnectionDelay: 1_000, reconnectionDelayGrowFactor: 1 },
    });
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
  }
}

const cancelled = () => failed("cancelled", "The tool call was cancelled.");

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
