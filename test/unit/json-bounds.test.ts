import { describe, expect, it } from "vitest";
import { jsonBoundsViolation, MAX_JSON_DEPTH } from "../../src/domain/json-bounds.js";

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? { k: value } : [value];
  return value;
};

describe("jsonBoundsViolation", () => {
  it("accepts values up to MAX_JSON_DEPTH containers deep", () => {
    expect(jsonBoundsViolation(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(jsonBoundsViolation({ a: [1, "two", null, true, { b: 2.5 }] })).toBeNull();
    expect(jsonBoundsViolation("emoji 🙂 is a surrogate pair")).toBeNull();
  });

  it("names depth, size and unstorable strings", () => {
    expect(jsonBoundsViolation(nested(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper than 32/);
    expect(jsonBoundsViolation({ s: "x".repeat(2000) }, 32, 1000)).toMatch(/larger than 1000 bytes/);
    expect(jsonBoundsViolation({ s: "a\u0000b" })).toMatch(/NUL/);
    expect(jsonBoundsViolation({ ["\udc00"]: 1 })).toMatch(/key/);
    expect(jsonBoundsViolation(["\ud800x"])).toMatch(/surrogate/);
  });

  it("walks without recursion, so a hostile depth cannot overflow the stack", () => {
    expect(jsonBoundsViolation(nested(200_000))).toMatch(/nested deeper/);
  });
});
