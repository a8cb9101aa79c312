// The agent rules of SPEC §10 as pure functions: field validation, tool
// patterns, defaults, and the demo driver's `call` parsing.
import { describe, expect, it } from "vitest";
import { matchesPattern } from "../../src/domain/tool-patterns.js";
import { AppError } from "../../src/errors.js";
import {
  defaultAgent,
  validateAgentUpdate,
  validateNewAgent,
  type AgentInput,
} from "../../src/domain/agents.js";
import { parseCalls } from "../../src/agent/drivers/demo.js";

const rules = { serverToolNames: ["calculator", "current_time"], maxIterations: 10 };

function failure(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return { code: (e as AppError).code, field: (e as AppError).field };
  }
  throw new Error("expected an AppError, nothing was thrown");
}
const create = (input: AgentInput) => failure(() => validateNewAgent(input, rules));
const update = (input: AgentInput) => failure(() => validateAgentUpdate(input, rules));

describe("tool patterns", () => {
  it("match exact names and prefixes ending in '*'", () => {
    expect(matchesPattern("calculator", "calculator")).toBe(true);
    expect(matchesPattern("calculator", "calculator2")).toBe(false);
    expect(matchesPattern("calc*", "calculator")).toBe(true);
    expect(matchesPattern("files__*", "files__read_file")).toBe(true);
    expect(matchesPattern("files__*", "search__query")).toBe(false);
    expect(matchesPattern("*", "anything")).toBe(true);
  });
});

describe("new agents", () => {
  it("fill the defaults of SPEC §10", () => {
    expect(validateNewAgent({ name: "Helper" }, rules)).toEqual({
      name: "Helper",
      description: null,
      instructions: null,
      modelId: null,
      tools: ["*"],
      approvalRequired: [],
      clientTools: [],
      maxIterations: 10,
    });
    // MAX_ITERATIONS above 50 is capped for agents; nulls on create mean "not given".
    expect(validateNewAgent({ name: "H", tools: null, maxIterations: null }, { ...rules, maxIterations: 80 })).toMatchObject({ tools: ["*"], maxIterations: 50 });
    expect(validateNewAgent({ name: "H", clientTools: [{ name: "pick_color" }] }, rules).clientTools).toEqual([
      { name: "pick_color", description: null, parameters: { type: "object" } },
    ]);
  });

  it("accept every edge of the name and pattern rules", () => {
    const longest = "x".repeat(64);
    const fields = validateNewAgent(
      { name: "H", tools: [longest, `${"y".repeat(63)}*`, "*", "a-b_C9"], clientTools: [{ name: longest, parameters: { type: "object", properties: {} } }], maxIterations: 50 },
      rules,
    );
    expect(fields.tools).toHaveLength(4);
    expect(validateNewAgent({ name: "H", maxIterations: 1, tools: [] }, rules)).toMatchObject({ maxIterations: 1, tools: [] });
  });

  it("reject each bad field with VALIDATION_FAILED naming it", () => {
    const bad: [AgentInput, string][] = [
      [{}, "name"],
      [{ name: null }, "name"],
      [{ name: "" }, "name"],
      [{ name: "  " }, "name"],
      [{ name: 7 }, "name"],
      [{ name: "H", description: 1 }, "description"],
      [{ name: "H", instructions: [] }, "instructions"],
      [{ name: "H", tools: "calculator" }, "tools"],
      [{ name: "H", tools: ["ok", "not ok"] }, "tools[1]"],
      [{ name: "H", tools: ["a*b"] }, "tools[0]"],
      [{ name: "H", tools: ["**"] }, "tools[0]"],
      [{ name: "H", tools: [""] }, "tools[0]"],
      [{ name: "H", tools: ["x".repeat(65)] }, "tools[0]"],
      [{ name: "H", tools: [`${"x".repeat(64)}*`] }, "tools[0]"],
      [{ name: "H", approvalRequired: ["wé"] }, "approvalRequired[0]"],
      [{ name: "H", clientTools: {} }, "clientTools"],
      [{ name: "H", clientTools: ["x"] }, "clientTools[0]"],
      [{ name: "H", clientTools: [{ name: "bad name" }] }, "clientTools[0].name"],
      [{ name: "H", clientTools: [{ name: "calculator" }] }, "clientTools[0].name"],
      [{ name: "H", clientTools: [{ name: "a" }, { name: "a" }] }, "clientTools[1].name"],
      [{ name: "H", clientTools: [{ name: "a", parameters: { type: "string" } }] }, "clientTools[0].parameters"],
      [{ name: "H", clientTools: [{ name: "a", parameters: [] }] }, "clientTools[0].parameters"],
      [{ name: "H", clientTools: [{ name: "a", parameters: "{}" }] }, "clientTools[0].parameters"],
      [{ name: "H", clientTools: [{ name: "a", description: 5 }] }, "clientTools[0].description"],
      [{ name: "H", maxIterations: 0 }, "maxIterations"],
      [{ name: "H", maxIterations: 51 }, "maxIterations"],
      [{ name: "H", maxIterations: 2.5 }, "maxIterations"],
      [{ name: "H", maxIterations: "3" }, "maxIterations"],
    ];
    for (const [input, field] of bad) expect({ input, ...create(input) }).toEqual({ input, code: "VALIDATION_FAILED", field });
    expect(create({ name: "H", modelId: "model_nope" })).toEqual({ code: "INVALID_ID", field: "modelId" });
  });

  it("bound the depth of a client tool's schema", () => {
    let deep: Record<string, unknown> = { type: "object" };
    for (let i = 0; i < 40; i++) deep = { type: "object", properties: { x: deep } };
    expect(create({ name: "H", clientTools: [{ name: "a", parameters: deep }] })).toEqual({ code: "VALIDATION_FAILED", field: "clientTools[0].parameters" });
  });
});

describe("agent updates", () => {
  it("give only the fields present; null clears description, instructions and modelId", () => {
    expect(validateAgentUpdate({}, rules)).toEqual({});
    expect(validateAgentUpdate({ description: null, instructions: null, modelId: null }, rules)).toEqual({ description: null, instructions: null, modelId: null });
    expect(validateAgentUpdate({ tools: [] }, rules)).toEqual({ tools: [] });
  });

  it("refuse null for the name, maxIterations and the lists", () => {
    for (const key of ["name", "maxIterations", "tools", "approvalRequired", "clientTools"] as const) {
      expect(update({ [key]: null })).toEqual({ code: "VALIDATION_FAILED", field: key });
    }
  });
});

describe("the default agent", () => {
  it("has no instructions, every built-in tool and MAX_ITERATIONS", () => {
    expect(defaultAgent(12)).toMatchObject({ id: null, instructions: null, modelId: null, tools: ["*"], maxIterations: 12 });
  });
});

describe("the demo driver's call rule", () => {
  it("reads `call NAME` with an optional JSON object and nothing else", () => {
    expect(parseCalls("call calculator")).toEqual([{ name: "calculator", arguments: {} }]);
    expect(parseCalls('  call calculator {"expression":"2+3"}  ')).toEqual([{ name: "calculator", arguments: { expression: "2+3" } }]);
    expect(parseCalls('call calculator {\n  "expression": "2+3"\n}')).toEqual([{ name: "calculator", arguments: { expression: "2+3" } }]);
    expect(parseCalls('call a {"x":1}\n\ncall b')).toEqual([
      { name: "a", arguments: { x: 1 } },
      { name: "b", arguments: {} },
    ]);
  });

  it("ignores anything else", () => {
    for (const text of ["call", "please call calculator", "call calculator now", "call calculator [1]", 'call calculator {"a":1} {"b":2}', "call a\nwhat is 2+2?", "call calc.x"]) {
      expect({ text, calls: parseCalls(text) }).toEqual({ text, calls: null });
    }
  });
});
