// A published MCP server nobody here wrote: @modelcontextprotocol/server-filesystem
// (a devDependency, run with node, never downloaded), over stdio.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpServers } from "../../src/agent/tools/mcp/index.js";
import { captureLogs, FILESYSTEM_SERVER, never, startMcp, textOf } from "./support.js";

let dir: string;
let mcp: McpServers;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-mcp-fs-"));
  writeFileSync(join(dir, "notes.txt"), "Parley reads this through MCP.\n");
  mcp = await startMcp({ files: { command: process.execPath, args: [FILESYSTEM_SERVER, dir], env: {} } }, captureLogs());
});

afterAll(async () => {
  await mcp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the filesystem MCP server", () => {
  it("is discovered as files__<tool> with its own schemas", () => {
    const names = mcp.tools().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["files__read_text_file", "files__list_directory", "files__write_file"]));
    expect(names.every((n) => n.startsWith("files__"))).toBe(true);
    const read = mcp.tools().find((t) => t.name === "files__read_text_file")!;
    expect(read.server).toBe("files");
    expect(read.description).toMatch(/read/i);
    expect(read.parameters).toMatchObject({ type: "object", properties: { path: { type: "string" } }, required: ["path"] });
  });

  it("reads a file for real", async () => {
    const outcome = await mcp.call("files__read_text_file", { path: join(dir, "notes.txt") }, { signal: never() });
    expect(outcome.status).toBe("success");
    expect(textOf(outcome)).toBe("Parley reads this through MCP.\n");
  });

  it("refuses a path outside its directory as a tool error", async () => {
    const outcome = await mcp.call("files__read_text_file", { path: "/etc/hostname" }, { signal: never() });
    expect(outcome.status).toBe("error");
    expect(outcome.error).toMatch(/denied|outside/i);
  });
});
