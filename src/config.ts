// Every environment variable of SPEC §1 and §7, parsed once into one typed
// Config. A bad value is a one-line error naming the variable.
import { z } from "zod";
import { mcpServersField } from "./agent/tools/mcp/config.js";
import { DEFAULT_MAX_BUFFERED_BYTES } from "./service/stream-bounds.js";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: "must be an integer" }).int("must be an integer").min(min).max(max);

/** A JSON object whose values are all strings; unset → no extra headers. */
const headersField = z
  .string()
  .optional()
  .transform((raw, ctx): Record<string, string> => {
    if (raw === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a JSON object of header strings, e.g. {"authorization":"Bearer …"}' });
      return z.NEVER;
    }
    const valid =
      typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === "string");
    if (!valid) {
      ctx.addIssue({ code: "custom", message: "must be a JSON object whose values are strings" });
      return z.NEVER;
    }
    return parsed as Record<string, string>;
  });

const schema = z.object({
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  PUBSUB: z.enum(["memory", "redis", "postgres"]).default("memory"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  AGENT_DRIVER: z.enum(["demo", "openai", "anthropic", "agui"]).default("demo"),
  DEMO_DELAY_MS: int(0, 60_000).default(20),
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_MODEL: z.string().default("gpt-4o-mini"),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_MODEL: z.string().default("claude-sonnet-4-5"),
  /** The upstream AG-UI agent server of AGENT_DRIVER=agui (SPEC §13): its run endpoint, POSTed a RunAgentInput per request. */
  AGUI_AGENT_URL: z.string().url().optional(),
  /** Headers sent with every upstream request (e.g. an API key): a JSON object of strings. */
  AGUI_AGENT_HEADERS: headersField,
  /** One upstream request: no answer, or no event for this long, fails the turn with model_unavailable. */
  AGUI_REQUEST_TIMEOUT_MS: int(1, 3_600_000).default(60_000),
  /** Model steps per turn for the default agent; also the default of Agent.maxIterations (capped at 50 there). */
  MAX_ITERATIONS: int(1, 1000).default(10),
  TURN_CONCURRENCY: int(1, 10_000).default(16),
  /** How long a turn's lease lasts without renewal; a dead instance's turns are recovered after it. */
  TURN_LEASE_MS: int(300, 3_600_000).default(15_000),
  AUTH: z.enum(["none", "api_key"]).default("none"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  GRAPHQL_MAX_DEPTH: int(1).default(12),
  GRAPHQL_MAX_ALIASES: int(0).default(30),
  GRAPHQL_MAX_TOKENS: int(1).default(5000),
  /** graphql-armor's cost limit: about the values an answer can hold (fields × literal page sizes; see src/http/graphql-limits.ts). */
  GRAPHQL_MAX_COST: int(1).default(200_000),
  /** How often long-lived streams (graphql-ws, REST SSE) re-check their API key, so a revoked key ends them. */
  AUTH_RECHECK_MS: int(100).default(30_000),
  /** Bytes an event stream's subscriber that stops reading may leave waiting (its live backlog, or its socket's unsent data); past it the stream is cut off and resumes with `after`. */
  STREAM_MAX_BUFFERED_BYTES: int(65_536).default(DEFAULT_MAX_BUFFERED_BYTES),
  /** Operations one graphql-ws connection may run at once. */
  WS_MAX_SUBSCRIPTIONS: int(1).default(256),
  MAX_BODY_BYTES: int(1).default(10 * 1024 * 1024),
  RATE_LIMIT_PER_MIN: int(0).default(0),
  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  IMAGE_URL_TTL_S: int(1).default(3600),
  /** Secret for signed image URLs; when unset one is generated once and kept in the database (shared by all instances). */
  IMAGE_URL_SECRET: z.string().min(16).optional(),
  /** Browser origins allowed to call: "loopback" (default), "*", or a comma-separated list (see src/http/origin.ts). */
  ALLOWED_ORIGINS: z.string().min(1).default("loopback"),
  /** With AUTH=none, the Host names requests may carry (DNS-rebinding guard): loopback names by default, "*", or a comma-separated list. */
  ALLOWED_HOSTS: z.string().min(1).optional(),
  /** Base URL used to build absolute image URLs; derived from the request when unset. */
  PUBLIC_URL: z.string().url().optional(),
  /** MCP servers the operator runs (SPEC §10): JSON inline or `@file.json`; see src/agent/tools/mcp/config.ts. */
  MCP_SERVERS: mcpServersField,
  /** One MCP tool call; past it the call ends with error `timeout`. */
  MCP_TOOL_TIMEOUT_MS: int(1, 3_600_000).default(60_000),
  /** How long a client-tool or approval call waits (SPEC §11); then it ends with error `timeout`. */
  TOOL_WAIT_TIMEOUT_MS: int(1, 30 * 24 * 3_600_000).default(300_000),
}).superRefine((config, ctx) => {
  if (config.AGENT_DRIVER === "agui" && !config.AGUI_AGENT_URL) {
    ctx.addIssue({ code: "custom", path: ["AGUI_AGENT_URL"], message: "is required when AGENT_DRIVER=agui" });
  }
});

export type Config = z.infer<typeof schema>;

const SECRET_VARIABLES = new Set(["AGUI_AGENT_HEADERS"]);

export class ConfigError extends Error {}

/** Parses the environment (empty strings count as unset). Throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    // Header values carry credentials: name the variable, never echo it.
    if (SECRET_VARIABLES.has(name)) return `invalid ${name}: ${issue.message}`;
    return `invalid ${name}=${JSON.stringify(cleaned[name] ?? "")}: ${issue.message}`;
  });
  throw new ConfigError(lines.join("; "));
}

