// The tool-name and pattern rules of SPEC §10 (pure).
import { describe, expect, it } from "vitest";
import { byCodePoint, isToolName, isToolPattern, matchesAny, matchesPattern, selectByPatterns } from "../../src/domain/tool-patterns.js";

describe("tool names and patterns", () => {
  it("accepts the names OpenAI and Anthropic accept", () => {
    for (const name of ["calculator", "files__read_file", "get-tiny-image", "A9", "x".repeat(64)]) expect(isToolName(name)).toBe(true);
    for (const name of ["", "x".repeat(65), "has.dot", "has space", "ünï", "star*"]) expect(isToolName(name)).toBe(false);
  });

  it("accepts a name, or 0–63 name characters and one trailing *", () => {
    for (const p of ["*", "files__*", "calculator", "x".repeat(63) + "*", "x".repeat(64)]) expect(isToolPattern(p)).toBe(true);
    for (const p of ["", "**", "*files", "fi*les", "x".repeat(64) + "*", "x".repeat(65), "a.b*"]) expect(isToolPattern(p)).toBe(false);
  });

  it("matches exact names and prefixes", () => {
    expect(matchesPattern("calculator", "calculator")).toBe(true);
    expect(matchesPattern("calculator", "calculator2")).toBe(false);
    expect(matchesPattern("calc*", "calculator")).toBe(true);
    expect(matchesPattern("files__*", "files__read_file")).toBe(true);
    expect(matchesPattern("files__*", "search__files")).toBe(false);
    expect(matchesPattern("*", "anything")).toBe(true);
    expect(matchesPattern("Files__*", "files__read_file")).toBe(false); // case matters
  });

  it("selects by any pattern, [] selecting nothing, keeping the given order", () => {
    const tools = [{ name: "calculator" }, { name: "current_time" }, { name: "files__read" }, { name: "files__write" }];
    expect(selectByPatterns(tools, ["*"])).toEqual(tools);
    expect(selectByPatterns(tools, [])).toEqual([]);
    expect(selectByPatterns(tools, ["files__*", "calculator"]).map((t) => t.name)).toEqual(["calculator", "files__read", "files__write"]);
    expect(selectByPatterns(tools, ["nothing*"])).toEqual([]);
    expect(matchesAny([], "calculator")).toBe(false);
  });

  it("orders by code point, not locale", () => {
    expect(["b", "_x", "a", "Z", "-y"].sort(byCodePoint)).toEqual(["-y", "Z", "_x", "a", "b"]);
  });
});
