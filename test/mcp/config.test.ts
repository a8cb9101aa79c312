// MCP_SERVERS and MCP_TOOL_TIMEOUT_MS in the config: inline JSON or @file,
// and a one-line error that stops the start for a bad name or bad JSON.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("MCP_SERVERS", () => {
  it("is empty when unset, and MCP_TOOL_TIMEOUT_MS defaults to 60000", () => {
    expect(loadConfig({})).toMatchObject({ MCP_SERVERS: {}, MCP_TOOL_TIMEOUT_MS: 60_000 });
    expect(loadConfig({ MCP_TOOL_TIMEOUT_MS: "250" }).MCP_TOOL_TIMEOUT_MS).toBe(250);
    expect(() => loadConfig({ MCP_TOOL_TIMEOUT_MS: "0" })).toThrow(/^invalid MCP_TOOL_TIMEOUT_MS=/);
  });

  it("reads stdio and Streamable HTTP servers inline, with defaults", () => {
    const raw = JSON.stringify({
      files: { command: "node", args: ["fs.js", "/data"], env: { A: "1" } },
      "search-2": { url: "http://127.0.0.1:9000/mcp", headers: { authorization: "Bearer x" } },
      bare: { command: "my-server" },
    });
    expect(loadConfig({ MCP_SERVERS: raw }).MCP_SERVERS).toEqual({
      files: { command: "node", args: ["fs.js", "/data"], env: { A: "1" } },
      "search-2": { url: "http://127.0.0.1:9000/mcp", headers: { authorization: "Bearer x" } },
      bare: { command: "my-server", args: [], env: {} },
    });
  });

  it("reads @path/to/file.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-mcp-config-"));
    try {
      const file = join(dir, "mcp.json");
      writeFileSync(file, JSON.stringify({ search: { url: "https://mcp.example.com/mcp" } }));
      expect(loadConfig({ MCP_SERVERS: `@${file}` }).MCP_SERVERS).toEqual({ search: { url: "https://mcp.example.com/mcp", headers: {} } });
      expect(() => loadConfig({ MCP_SERVERS: `@${join(dir, "missing.json")}` })).toThrow(/^invalid MCP_SERVERS=.*cannot read .*missing\.json: ENOENT$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["{not json", /not valid JSON/],
    ["[]", /must be a JSON object/],
    [JSON.stringify({ "bad name": { command: "x" } }), /server name "bad name" must match \^\[A-Za-z0-9-\]\{1,32\}\$/],
    [JSON.stringify({ under_score: { command: "x" } }), /server name "under_score"/],
    [JSON.stringify({ ["x".repeat(33)]: { command: "x" } }), /server name "x{33}"/],
    [JSON.stringify({ a: {} }), /server a needs "command" \(stdio\) or "url" \(Streamable HTTP\)/],
    [JSON.stringify({ a: { command: "" } }), /server a\.command:/],
    [JSON.stringify({ a: { command: "x", args: "y" } }), /server a\.args:/],
    [JSON.stringify({ a: { url: "ftp://x/mcp" } }), /server a\.url: must be an http\(s\) URL/],
    [JSON.stringify({ a: { url: "http://x/mcp", comand: "typo" } }), /server a: .*comand/],
  ])("rejects %s with one line", (raw, message) => {
    expect(() => loadConfig({ MCP_SERVERS: raw })).toThrow(ConfigError);
    try {
      loadConfig({ MCP_SERVERS: raw });
    } catch (error) {
      const text = (error as Error).message;
      expect(text).toMatch(/^invalid MCP_SERVERS=/);
      expect(text).toMatch(message);
      expect(text).not.toContain("\n");
    }
  });

  it("stops the start with one line for a bad server name", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, MCP_SERVERS: '{"no good": {"command": "x"}}' },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('parley: invalid MCP_SERVERS="{\\"no good\\": {\\"command\\": \\"x\\"}}": server name "no good" must match ^[A-Za-z0-9-]{1,32}$');
  });
});
