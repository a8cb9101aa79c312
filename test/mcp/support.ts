// What the MCP tests share: the example server (as an HTTP child process),
// a logger whose lines the test can read, and quick reconnect settings.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import type { Logger } from "../../src/log.js";
import { eventually } from "../support/clients.js";
import { McpServers, type McpServersConfig, type McpServersOptions } from "../../src/agent/tools/mcp/index.js";

export const EXAMPLE_SERVER = fileURLToPath(new URL("../../examples/mcp-server/server.mjs", import.meta.url));
export const FILESYSTEM_SERVER = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", import.meta.url));

export const exampleStdio = { command: process.execPath, args: [EXAMPLE_SERVER, "--stdio"] };

export interface LogLines {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  has: (msg: string, fields?: Record<string, unknown>) => boolean;
}

export function captureLogs(): LogLines {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return {
    logger,
    lines: () => lines,
    has: (msg, fields = {}) => lines.some((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)),
  };
}

/**
 * Test settings: reconnect within a few hundred ms, ping often. Start itself
 * gives up on a server after ~5 s, which a loaded test machine can need just to
 * boot node: so unless `waitUp` is false, this also waits for every server to be up.
 */
export async function startMcp(
  servers: McpServersConfig,
  logs: LogLines,
  options: Partial<McpServersOptions> & { waitUp?: boolean } = {},
): Promise<McpServers> {
  const { waitUp = true, ...rest } = options;
  const mcp = await McpServers.start(servers, {
    logger: logs.logger,
    toolTimeoutMs: 10_000,
    backoff: { initialMs: 100, maxMs: 400 },
    pingIntervalMs: 500,
    ...rest,
  });
  if (waitUp) await eventually(() => mcp.status().every((s) => s.state === "up"), 30_000, "every MCP server up");
  return mcp;
}

export interface HttpExample {
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Runs examples/mcp-server over Streamable HTTP as a child process (port 0: any free port). */
export async function startHttpExample(port = 0, timeoutMs = 15_000): Promise<HttpExample> {
  const child = spawn(process.execPath, [EXAMPLE_SERVER, "--http", "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example server did not listen in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`example server exited before listening:\n${output}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    process: child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export const textOf = (outcome: { result: { type: string; text?: string }[] }) =>
  outcome.result.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");

export const never = () => new AbortController().signal;
