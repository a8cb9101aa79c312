// The server tools this deployment offers (SPEC §10): the built-ins plus the
// tools of the MCP servers connected right now. `list()` is Query.tools;
// `select(patterns)` is what an agent's `tools` allow; `defaultTools()` is
// what the default agent gets (built-ins only); `call` runs one by name and
// always resolves with an outcome (never throws, cancelled by the signal).
import type { JsonObject } from "../../domain/content.js";
import { byCodePoint, selectByPatterns } from "../../domain/tool-patterns.js";
import type { Logger } from "../../log.js";
import type { ToolSpec } from "../drivers/driver.js";
import type { McpTool } from "./mcp/connection.js";
import { failed, succeeded, type ToolOutcome } from "./mcp/results.js";
import { calculator, currentTime, ToolError, type Tool } from "./builtins.js";

export type { ToolOutcome } from "./mcp/results.js";

export type ToolSource = "BUILTIN" | "MCP";

/** One server tool, in the shape of GraphQL `Tool`. */
export interface CatalogTool {
  name: string;
  description: string | null;
  /** JSON Schema of the arguments object (an MCP tool's input schema as its server gives it). */
  parameters: JsonObject;
  source: ToolSource;
  /** The MCP server's name; null for a built-in. */
  server: string | null;
}

/** What the catalog needs from MCP (McpServers implements it). */
export interface McpToolSource {
  tools(): readonly McpTool[];
  call(name: string, args: JsonObject, options: { signal: AbortSignal }): Promise<ToolOutcome>;
}

export interface CallOptions {
  signal: AbortSignal;
  /** The tools offered to this model step; a name outside them is an unknown tool. Unset: any catalog tool. */
  offered?: readonly { name: string }[];
}

export const BUILTIN_TOOLS: readonly Tool[] = [calculator, currentTime];

export class ToolCatalog {
  private readonly builtins: Map<string, Tool>;

  constructor(
    private readonly options: { builtins?: readonly Tool[]; mcp?: McpToolSource | null; logger?: Logger } = {},
  ) {
    this.builtins = new Map((options.builtins ?? BUILTIN_TOOLS).map((tool) => [tool.name, tool]));
  }

  /** Every server tool offered now, sorted by name in code-point order (Query.tools). */
  list(): CatalogTool[] {
    const builtins = [...this.builtins.values()].map(builtinEntry);
    const mcp = (this.options.mcp?.tools() ?? []).map(mcpEntry);
    return [...builtins, ...mcp].sort((a, b) => byCodePoint(a.name, b.name));
  }

  /** The tools an agent's patterns allow (`["*"]` everything, `[]` nothing). */
  select(patterns: readonly string[]): CatalogTool[] {
    return selectByPatterns(this.list(), patterns);
  }

  /** The default agent's tools: every built-in, no MCP tool. */
  defaultTools(): CatalogTool[] {
    return this.list().filter((tool) => tool.source === "BUILTIN");
  }

  get(name: string): CatalogTool | undefined {
    return this.list().find((tool) => tool.name === name);
  }

  async call(name: string, args: JsonObject, options: CallOptions): Promise<ToolOutcome> {
    const { signal, offered } = options;
    if (offered && !offered.some((tool) => tool.name === name)) return failed(`unknown tool ${JSON.stringify(name)}`);
    if (signal.aborted) return cancelled();
    const builtin = this.builtins.get(name);
    if (builtin) return this.callBuiltin(builtin, args, signal);
    if (this.options.mcp && name.includes("__")) return this.options.mcp.call(name, args, { signal });
    return failed(`unknown tool ${JSON.stringify(name)}`);
  }

  private async callBuiltin(tool: Tool, args: JsonObject, signal: AbortSignal): Promise<ToolOutcome> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<ToolOutcome>((resolve) => {
      onAbort = () => resolve(cancelled());
      signal.addEventListener("abort", onAbort, { once: true });
    });
    const run = tool.execute(args, { signal }).then(succeeded, (error: unknown) => {
      if (signal.aborted) return cancelled();
      if (error instanceof ToolError) return failed(error.message);
      this.options.logger?.error({ err: error, tool: tool.name }, "tool threw");
      return failed(`tool ${tool.name} failed`);
    });
    try {
      return await Promise.race([run, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort!);
    }
  }
}

/** The tools as the drivers take them (a null description becomes ""). */
export const toolSpecs = (tools: readonly CatalogTool[]): ToolSpec[] =>
  tools.map(({ name, description, parameters }) => ({ name, description: description ?? "", parameters }));

const cancelled = () => failed("cancelled", "The tool call was cancelled.");

const builtinEntry = (tool: Tool): CatalogTool => ({
  name: tool.name,
  description: tool.description,
  parameters: tool.parameters,
  source: "BUILTIN",
  server: null,
});

const mcpEntry = (tool: McpTool): CatalogTool => ({
  name: tool.name,
  description: tool.description,
  parameters: tool.parameters,
  source: "MCP",
  server: tool.server,
});
