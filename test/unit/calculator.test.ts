import { describe, expect, it } from "vitest";
import { evaluate, findExpression, formatNumber } from "../../src/agent/tools/calculator.js";
import { calculator, currentTime, ToolError } from "../../src/agent/tools/builtins.js";
import { wordDeltas } from "../../src/agent/drivers/demo.js";

const signal = new AbortController().signal;

describe("calculator", () => {
  it.each([
    ["12*(3+4)", 84],
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["2^3^2", 512],
    ["-3 + 5", 2],
    ["7 % 4", 3],
    ["10 / 4", 2.5],
    ["-(2+3)*-2", 10],
    [".5 + .25", 0.75],
  ])("evaluates %s = %d", (expr, value) => expect(evaluate(expr)).toBe(value));

  it.each(["", "2+", "(1+2", "1+2)", "2**3", "process.exit()", "1/0", "alert(1)", "9^9^9"])("rejects %j", (expr) => {
    expect(() => evaluate(expr)).toThrow();
  });

  it("formats without float noise", () => expect(formatNumber(0.1 + 0.2)).toBe("0.3"));

  it("finds the expression in a question", () => {
    expect(findExpression("what is 12*(3+4)?")).toBe("12*(3+4)");
    expect(findExpression("compute 2 + 2 please")).toBe("2 + 2");
    expect(findExpression("I have 3 cats and 2 dogs")).toBeNull();
    expect(findExpression("call me at 555-1234")).toBe("555-1234"); // subtraction is arithmetic too
    expect(findExpression("hello")).toBeNull();
  });

  it("is a tool that returns text and reports bad input as a ToolError", async () => {
    expect(await calculator.execute({ expression: "6*7" }, { signal })).toEqual([{ type: "text", text: "42" }]);
    await expect(calculator.execute({ expression: "1/0" }, { signal })).rejects.toBeInstanceOf(ToolError);
    await expect(calculator.execute({}, { signal })).rejects.toBeInstanceOf(ToolError);
  });
});

describe("current_time", () => {
  it("tells the time in UTC or a named zone and rejects an unknown zone", async () => {
    const [utc] = await currentTime.execute({}, { signal });
    expect(utc).toMatchObject({ type: "text" });
    expect((utc as { text: string }).text).toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(await currentTime.execute({ timezone: "Asia/Tokyo" }, { signal })).toHaveLength(1);
    await expect(currentTime.execute({ timezone: "Mars/Olympus" }, { signal })).rejects.toBeInstanceOf(ToolError);
  });
});

describe("demo deltas", () => {
  it("split text into a few words each and concatenate back to the text exactly", () => {
    const text = 'You said: "a  b c d e f g". Done.';
    const deltas = wordDeltas(text);
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join("")).toBe(text);
  });
});
