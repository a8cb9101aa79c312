// MCP_SERVERS (SPEC §10): JSON inline or `@path/to/file.json`, naming the MCP
// servers the operator runs — stdio (a command) or Streamable HTTP (a URL).
// Checked when the config loads, so a typo stops the start with one line.
import { readFileSync } from "node:fs";
import { z } from "zod";

export const SERVER_NAME = /^[A-Za-z0-9-]{1,32}$/;

const stringMap = z.record(z.string(), z.string());

const stdioServer = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Added to a small safe default environment (PATH, HOME, …), not to Parley's whole environment. */
  env: stringMap.default({}),
  cwd: z.string().min(1).optional(),
});

const httpServer = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  headers: stringMap.default({}),
});

// The input shapes (defaults optional), so code and tests can build a config by hand.
export type StdioServerConfig = z.input<typeof stdioServer>;
export type HttpServerConfig = z.input<typeof httpServer>;
export type McpServerConfig = StdioServerConfig | HttpServerConfig;
export type McpServersConfig = Record<string, McpServerConfig>;

export const isStdioServer = (server: McpServerConfig): server is StdioServerConfig => "command" in server;

/** Parses the raw variable; throws Error with a one-line message naming the bad part. */
export function parseMcpServers(raw: string): McpServersConfig {
  let text = raw.trim();
  if (text.startsWith("@")) {
    const file = text.slice(1);
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error('must be a JSON object like {"name": {"command": …} or {"url": …}}');
  const servers: McpServersConfig = {};
  for (const [name, value] of Object.entries(json)) {
    if (!SERVER_NAME.test(name)) throw new Error(`server name ${JSON.stringify(name)} must match ${SERVER_NAME.source}`);
    const isObject = typeof value === "object" && value !== null;
    const shape = isObject && "command" in value ? stdioServer : isObject && "url" in value ? httpServer : null;
    if (!shape) throw new Error(`server ${name} needs "command" (stdio) or "url" (Streamable HTTP)`);
    const parsed = shape.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
      throw new Error(`server ${name}${where}: ${issue.message}`);
    }
    servers[name] = parsed.data;
  }
  return servers;
}

/** The zod field for config.ts: unset → no servers. */
export const mcpServersField = z
  .string()
  .optional()
  .transform((raw, ctx): McpServersConfig => {
    if (raw === undefined) return {};
    try {
      return parseMcpServers(raw);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
