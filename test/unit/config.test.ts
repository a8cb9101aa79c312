// Config: defaults, parsing, and a one-line error (not a stack) for bad values.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("loadConfig", () => {
  it("has the SPEC defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 4000, HOST: "127.0.0.1", DATA_DIR: "./data", PUBSUB: "memory", AGENT_DRIVER: "demo", DEMO_DELAY_MS: 20, AUTH: "none" });
    expect(c).toMatchObject({ GRAPHQL_MAX_DEPTH: 12, GRAPHQL_MAX_ALIASES: 30, GRAPHQL_MAX_TOKENS: 5000, MAX_BODY_BYTES: 10485760, RATE_LIMIT_PER_MIN: 0, SHUTDOWN_TIMEOUT_MS: 10000, IMAGE_URL_TTL_S: 3600 });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it("parses numbers and enums, and treats empty strings as unset", () => {
    const c = loadConfig({ PORT: "0", DEMO_DELAY_MS: "5", PUBSUB: "redis", DATABASE_URL: "" });
    expect(c).toMatchObject({ PORT: 0, DEMO_DELAY_MS: 5, PUBSUB: "redis" });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ AUTH: "maybe" }, "AUTH"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ MAX_BODY_BYTES: "-1" }, "MAX_BODY_BYTES"],
  ])("rejects %j naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^invalid ${name}=`));
  });

  it("reads the upstream AG-UI agent's settings (SPEC §13, §15)", () => {
    expect(loadConfig({})).toMatchObject({ AGUI_REQUEST_TIMEOUT_MS: 60_000, AGUI_AGENT_HEADERS: {} });
    const c = loadConfig({
      AGENT_DRIVER: "agui",
      AGUI_AGENT_URL: "http://127.0.0.1:8000/agent",
      AGUI_AGENT_HEADERS: '{"authorization":"Bearer t-1","x-tenant":"acme"}',
      AGUI_REQUEST_TIMEOUT_MS: "2500",
    });
    expect(c).toMatchObject({ AGENT_DRIVER: "agui", AGUI_AGENT_URL: "http://127.0.0.1:8000/agent", AGUI_REQUEST_TIMEOUT_MS: 2500 });
    expect(c.AGUI_AGENT_HEADERS).toEqual({ authorization: "Bearer t-1", "x-tenant": "acme" });
  });

  it("requires AGUI_AGENT_URL with AGENT_DRIVER=agui", () => {
    expect(() => loadConfig({ AGENT_DRIVER: "agui" })).toThrow('invalid AGUI_AGENT_URL="": is required when AGENT_DRIVER=agui');
    expect(() => loadConfig({ AGENT_DRIVER: "agui", AGUI_AGENT_URL: "not a url" })).toThrow(/^invalid AGUI_AGENT_URL=/);
  });

  it.each([
    ['{"authorization": "Bearer secret-1"', "must be a JSON object of header strings"],
    ['["Bearer secret-1"]', "must be a JSON object whose values are strings"],
    ['{"authorization": "Bearer secret-1", "x-retries": 3}', "must be a JSON object whose values are strings"],
  ])("rejects AGUI_AGENT_HEADERS=%s without echoing it (it carries credentials)", (raw, message) => {
    const error = (() => {
      try {
        loadConfig({ AGUI_AGENT_HEADERS: raw });
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^invalid AGUI_AGENT_HEADERS: ${message}`));
    expect(error.message).not.toContain("secret-1");
  });

  it("makes the server exit with one line on a bad value", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, PORT: "abc" }, encoding: "utf8", timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('parley: invalid PORT="abc": must be an integer');
  });

  it("makes the server exit with one line on bad AGUI_AGENT_HEADERS", () => {
    const env = { ...process.env, AGENT_DRIVER: "agui", AGUI_AGENT_URL: "http://127.0.0.1:9/agent", AGUI_AGENT_HEADERS: "{authorization: Bearer x}" };
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { env, encoding: "utf8", timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('parley: invalid AGUI_AGENT_HEADERS: must be a JSON object of header strings, e.g. {"authorization":"Bearer …"}');
  });
});
