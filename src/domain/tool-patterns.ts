// Tool names and the patterns agents use to pick tools (SPEC §10). A pattern
// is an exact tool name, or 0–63 name characters followed by one trailing
// `*` (a prefix). Pure: no I/O.

/** What OpenAI and Anthropic accept as a function/tool name. */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const TOOL_PATTERN = /^(?:[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_-]{0,63}\*)$/;

/** The patterns of an agent that names none: every server tool. */
export const ALL_TOOLS: readonly string[] = ["*"];

export const isToolName = (name: string) => TOOL_NAME.test(name);
export const isToolPattern = (pattern: string) => TOOL_PATTERN.test(pattern);

export function matchesPattern(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** Whether any of the patterns allows the name; `[]` allows nothing. */
export const matchesAny = (patterns: readonly string[], name: string) => patterns.some((p) => matchesPattern(p, name));

/** The items whose name one of the patterns allows, in their given order. */
export function selectByPatterns<T extends { name: string }>(items: readonly T[], patterns: readonly string[]): T[] {
  return items.filter((item) => matchesAny(patterns, item.name));
}

/** Code-point order, not locale order ("Z" < "_" < "a"); tool names are ASCII, so UTF-16 order is the same. */
export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
