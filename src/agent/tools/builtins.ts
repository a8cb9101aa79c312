// The built-in server tools (calculator, current_time). A tool gets parsed JSON
// arguments and returns content parts; a thrown ToolError becomes
// `tool.completed` with status error. The catalog (catalog.ts) offers them beside MCP tools.
import type { JsonObject, ToolResultContent } from "../../domain/content.js";
import type { ToolSpec } from "../drivers/driver.js";
import { CalcError, evaluate, formatNumber } from "./calculator.js";

export interface Tool extends ToolSpec {
  execute(args: JsonObject, options: { signal: AbortSignal }): Promise<ToolResultContent[]>;
}

/** An error whose message is meant for the model (bad arguments and the like). */
export class ToolError extends Error {}

const text = (t: string): ToolResultContent[] => [{ type: "text", text: t }];

export const calculator: Tool = {
  name: "calculator",
  description: "Evaluates an arithmetic expression with + - * / % ^ and parentheses, e.g. 12*(3+4).",
  parameters: {
    type: "object",
    properties: { expression: { type: "string", description: "The expression to evaluate" } },
    required: ["expression"],
    additionalProperties: false,
  },
  async execute(args) {
    if (typeof args.expression !== "string") throw new ToolError("argument 'expression' must be a string");
    try {
      return text(formatNumber(evaluate(args.expression)));
    } catch (error) {
      if (error instanceof CalcError) throw new ToolError(error.message);
      throw error;
    }
  },
};

export const currentTime: Tool = {
  name: "current_time",
  description: "Returns the current date and time, in UTC or in an IANA time zone such as Europe/Kyiv.",
  parameters: {
    type: "object",
    properties: { timezone: { type: "string", description: "IANA time zone; UTC when omitted" } },
    additionalProperties: false,
  },
  async execute(args) {
    const timeZone = typeof args.timezone === "string" && args.timezone ? args.timezone : "UTC";
    const now = new Date();
    try {
      const local = new Intl.DateTimeFormat("en-US", { timeZone, dateStyle: "full", timeStyle: "long" }).format(now);
      return text(`${local} (${now.toISOString()})`);
    } catch {
      throw new ToolError(`unknown time zone ${JSON.stringify(timeZone)}`);
    }
  },
};
