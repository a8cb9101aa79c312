import { describe, it, expect } from "vitest";
import { AppError } from "../../src/errors.js";
import { ID_PREFIXES, isId, newId, parseId, prefixOf } from "../../src/ids.js";
import { validate as validUuid, version as uuidVersion } from "uuid";

const dashed = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

const codeOf = (fn: () => unknown): { code?: string; field?: string } => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return { code: (e as AppError).code, field: (e as AppError).field };
  }
  throw new Error("expected an AppError");
};

describe("newId", () => {
  it("is the prefix and 32 lowercase hex digits", () => {
    expect(newId("session")).toMatch(/^session_[0-9a-f]{32}$/);
    for (const prefix of ID_PREFIXES) expect(newId(prefix)).toMatch(new RegExp(`^${prefix}_[0-9a-f]{32}$`));
  });

  it("holds a UUIDv7 (version nibble 7, RFC variant)", () => {
    const hex = newId("message").slice("message_".length);
    expect(hex[12]).toBe("7");
    expect("89ab").toContain(hex[16]);
  });

  it("sorts in creation order", () => {
    const ids = Array.from({ length: 200 }, () => newId("event"));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is a valid UUIDv7 to the uuid package, timestamped now", () => {
    const before = Date.now();
    const hex = newId("turn").slice("turn_".length);
    const after = Date.now();
    expect(validUuid(dashed(hex))).toBe(true);
    expect(uuidVersion(dashed(hex))).toBe(7);
    const ms = parseInt(hex.slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1); // a wrapped counter may borrow the next millisecond
  });

  it("stays unique and ordered across many milliseconds and random-pool refills", () => {
    const ids: string[] = [];
    const until = Date.now() + 30;
    while (Date.now() < until || ids.length < 5000) ids.push(newId("event"));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // Each new millisecond starts its counter at random: the bits after the timestamp are not a running count across them.
    const firstOfMs = ids.filter((id, i) => i === 0 || id.slice(6, 18) !== ids[i - 1]!.slice(6, 18)).map((id) => id.slice(18));
    expect(new Set(firstOfMs).size).toBe(firstOfMs.length);
    expect(firstOfMs.length).toBeGreaterThan(5);
  });
});

describe("isId / parseId / prefixOf", () => {
  const good = "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";

  it("accepts a well-formed id unchanged", () => {
    expect(isId("session", good)).toBe(true);
    expect(parseId("session", good)).toBe(good);
    expect(prefixOf(good)).toBe("session");
  });

  it.each([
    ["wrong prefix", "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b"],
    ["31 hex digits", "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6"],
    ["33 hex digits", "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6bc"],
    ["uppercase hex", "session_0190A1B2C3D47E8F9A0B1C2D3E4F5A6B"],
    ["non-hex digit", "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6g"],
    ["dashed uuid", "session_0190a1b2-c3d4-7e8f-9a0b-1c2d3e4f5a6b"],
    ["empty string", ""],
  ])("rejects %s with INVALID_ID", (_, value) => {
    expect(isId("session", value)).toBe(false);
    expect(codeOf(() => parseId("session", value, "id"))).toEqual({ code: "INVALID_ID", field: "id" });
  });

  it.each([[42], [null], [undefined], [{ id: "x" }]])("rejects the non-string %j with INVALID_ID", (value) => {
    expect(codeOf(() => parseId("session", value, "sessionId"))).toEqual({ code: "INVALID_ID", field: "sessionId" });
  });

  it("prefixOf is undefined for anything that is not an id", () => {
    expect(prefixOf("session_xyz")).toBeUndefined();
    expect(prefixOf("call_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b")).toBeUndefined();
  });
});
