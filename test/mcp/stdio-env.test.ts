// What a stdio MCP server is started with (SECURITY.md): a small default
// environment plus the `env` the operator configured — never Parley's own
// environment, so no DATABASE_URL, provider keys or other secrets reach it.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpServers } from "../../src/agent/tools/mcp/index.js";
import { ToolCatalog } from "../../src/agent/tools/catalog.js";
import { captureLogs, never, startMcp, textOf } from "./support.js";

const ENV_SERVER = fileURLToPath(new URL("./fixtures/env-server.mjs", import.meta.url));
const SECRETS = { DATABASE_URL: "postgresql://secret@db/prod", OPENAI_API_KEY: "sk-test-secret", PARLEY_PROBE_SECRET: "s3cret" };

describe("a stdio MCP server's environment", () => {
  let mcp: McpServers;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const [name, value] of Object.entries(SECRETS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    mcp = await startMcp({ env: { command: process.execPath, args: [ENV_SERVER], env: { WEATHER_API_TOKEN: "configured" } } }, captureLogs());
  });
  afterAll(async () => {
    await mcp?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("holds what the operator configured and the safe defaults, and none of Parley's variables", async () => {
    const names = JSON.parse(textOf(await new ToolCatalog({ mcp }).call("env__env_names", {}, { signal: never() }))) as string[];
    expect(names).toContain("WEATHER_API_TOKEN");
    expect(names).toContain("PATH");
    for (const secret of Object.keys(SECRETS)) expect(names).not.toContain(secret);
  });
});
