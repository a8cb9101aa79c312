// The server-tool catalog over the built-ins and a real MCP server (the
// example server over stdio): what Query.tools lists, what agent patterns
// select, and calls dispatched to either kind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolCatalog, toolSpecs } from "../../src/agent/tools/catalog.js";
import type { McpServers } from "../../src/agent/tools/mcp/index.js";
import type { Tool } from "../../src/agent/tools/builtins.js";
import { eventually } from "../support/clients.js";
import { captureLogs, exampleStdio, never, startMcp, textOf } from "./support.js";

let mcp: McpServers;
let catalog: ToolCatalog;

beforeAll(async () => {
  // "Z-up" sorts before "ex" in code-point order (and after it in most locales).
  mcp = await startMcp({ ex: exampleStdio, "Z-up": exampleStdio }, captureLogs());
  catalog = new ToolCatalog({ mcp });
});

afterAll(async () => {
  await mcp?.close();
});

describe("ToolCatalog", () => {
  it("lists built-in and MCP tools sorted by name in code-point order, in the shape of GraphQL Tool", () => {
    const tools = catalog.list();
    const names = tools.map((t) => t.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(names.indexOf("Z-up__echo")).toBeLessThan(names.indexOf("calculator"));
    expect(names.indexOf("calculator")).toBeLessThan(names.indexOf("ex__echo"));
    expect(tools.find((t) => t.name === "calculator")).toEqual({
      name: "calculator",
      description: expect.stringContaining("arithmetic"),
      parameters: expect.objectContaining({ type: "object", required: ["expression"] }),
      source: "BUILTIN",
      server: null,
    });
    expect(tools.find((t) => t.name === "ex__echo")).toEqual({
      name: "ex__echo",
      description: "Returns the text it is given.",
      parameters: expect.objectContaining({ type: "object", required: ["text"] }),
      source: "MCP",
      server: "ex",
    });
    expect(catalog.get("ex__fail")?.source).toBe("MCP");
    expect(catalog.get("nope")).toBeUndefined();
  });

  it("selects by agent patterns; the default agent gets the built-ins only", () => {
    expect(catalog.select(["*"])).toEqual(catalog.list());
    expect(catalog.select([])).toEqual([]);
    expect(catalog.select(["ex__*"]).every((t) => t.server === "ex")).toBe(true);
    expect(catalog.select(["ex__e*", "current_time", "missing__*"]).map((t) => t.name)).toEqual(["current_time", "ex__echo"]);
    expect(catalog.defaultTools().map((t) => t.name)).toEqual(["calculator", "current_time"]);
    expect(toolSpecs(catalog.select(["calculator"]))).toEqual([
      { name: "calculator", description: expect.any(String), parameters: expect.objectContaining({ type: "object" }) },
    ]);
  });

  it("calls built-in and MCP tools by name, and refuses a tool not offered to the step", async () => {
    expect(await catalog.call("calculator", { expression: "6*7" }, { signal: never() })).toEqual({
      status: "success",
      result: [{ type: "text", text: "42" }],
      error: null,
    });
    expect(await catalog.call("calculator", { expression: "1/0" }, { signal: never() })).toMatchObject({ status: "error", error: "division by zero" });
    expect(textOf(await catalog.call("ex__echo", { text: "via catalog" }, { signal: never() }))).toBe("via catalog");
    expect(await catalog.call("ex__fail", {}, { signal: never() })).toMatchObject({ status: "error", error: "this tool always fails" });
    expect(await catalog.call("nope", {}, { signal: never() })).toMatchObject({ status: "error", error: 'unknown tool "nope"' });
    const offered = catalog.defaultTools();
    expect(await catalog.call("ex__echo", { text: "x" }, { signal: never(), offered })).toMatchObject({ status: "error", error: 'unknown tool "ex__echo"' });
    expect(textOf(await catalog.call("current_time", {}, { signal: never(), offered }))).toMatch(/UTC|\d{4}-\d{2}-\d{2}T/);
  });

  it("cancels any server tool with the signal, built-ins included", async () => {
    const slow: Tool = {
      name: "slow_builtin",
      description: "never answers",
      parameters: { type: "object" },
      execute: () => new Promise(() => {}),
    };
    const withSlow = new ToolCatalog({ builtins: [slow], mcp });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await withSlow.call("slow_builtin", {}, { signal: controller.signal })).toMatchObject({ status: "error", error: "cancelled" });
    const mcpCall = new AbortController();
    setTimeout(() => mcpCall.abort(), 200);
    expect(await withSlow.call("ex__sleep", { ms: 20_000 }, { signal: mcpCall.signal })).toMatchObject({ status: "error", error: "cancelled" });
  });

  it("reflects MCP tool list changes on the next listing", async () => {
    await catalog.call("ex__add_tool", { name: "fresh" }, { signal: never() });
    await eventually(() => catalog.get("ex__fresh"), 5_000, "ex__fresh in the catalog");
    expect(catalog.select(["ex__fr*"]).map((t) => t.name)).toEqual(["ex__fresh"]);
  });

  it("works without MCP", () => {
    expect(new ToolCatalog().list().map((t) => t.name)).toEqual(["calculator", "current_time"]);
  });
});
