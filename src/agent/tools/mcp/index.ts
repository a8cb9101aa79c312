// The MCP servers of MCP_SERVERS, together: their tools (`<server>__<tool>`)
// and calls to them. Start waits at most `startTimeoutMs` for each server's
// first tool list, then goes on; a server that is down is retried in the
// background and offers nothing meanwhile.
import type { JsonObject } from "../../../domain/content.js";
import type { Logger } from "../../../log.js";
import type { McpServersConfig } from "./config.js";
import { McpConnection, type ConnectionOptions, type McpServerStatus, type McpTool } from "./connection.js";
import { failed, type ToolOutcome } from "./results.js";

export type { McpServerConfig, McpServersConfig } from "./config.js";
export type { McpServerStatus, McpTool } from "./connection.js";
export type { ToolOutcome } from "./results.js";

export interface McpServersOptions {
  logger: Logger;
  /** MCP_TOOL_TIMEOUT_MS. */
  toolTimeoutMs: number;
  /** How long start waits for each server's first tool list (default 5 s). */
  startTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: ConnectionOptions["backoff"];
  pingIntervalMs?: number;
}

export class McpServers {
  private readonly connections = new Map<string, McpConnection>();
  private readonly listeners = new Set<() => void>();

  private constructor(servers: McpServersConfig, options: McpServersOptions) {
    const connectionOptions: ConnectionOptions = {
      logger: options.logger,
      toolTimeoutMs: options.toolTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      backoff: options.backoff ?? { initialMs: 1_000, maxMs: 30_000 },
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      onToolsChanged: () => this.changed(),
    };
    for (const [name, config] of Object.entries(servers)) this.connections.set(name, new McpConnection(name, config, connectionOptions));
  }

  /** Connects to every server; never throws, and waits at most `startTimeoutMs` (all servers in parallel). */
  static async start(servers: McpServersConfig, options: McpServersOptions): Promise<McpServers> {
    const mcp = new McpServers(servers, options);
    const budget = options.startTimeoutMs ?? 5_000;
    await Promise.all(
      [...mcp.connections.values()].map((connection) => {
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, budget)));
        return Promise.race([connection.start(), waited]).finally(() => clearTimeout(timer));
      }),
    );
    return mcp;
  }

  /** The tools of the servers that are connected now. */
  tools(): McpTool[] {
    return [...this.connections.values()].flatMap((connection) => connection.tools());
  }

  status(): McpServerStatus[] {
    return [...this.connections.values()].map((connection) => connection.status());
  }

  /** Called (synchronously, no arguments) whenever the set of offered tools may have changed. */
  onToolsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async call(name: string, args: JsonObject, options: { signal: AbortSignal }): Promise<ToolOutcome> {
    const server = name.split("__", 1)[0]!;
    const connection = this.connections.get(server);
    if (!connection || !name.startsWith(`${server}__`)) return failed(`unknown tool ${JSON.stringify(name)}`);
    const tool = connection.tools().find((t) => t.name === name);
    if (!tool) {
      return connection.status().state === "up"
        ? failed(`unknown tool ${JSON.stringify(name)}`)
        : failed(`MCP server ${server} is unavailable`);
    }
    return connection.call(tool.tool, args, options.signal);
  }

  /** Disconnects every server (stdio children end). */
  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.all([...this.connections.values()].map((connection) => connection.close()));
  }

  private changed(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // a listener's bug must not break the connection that told it
      }
    }
  }
}
