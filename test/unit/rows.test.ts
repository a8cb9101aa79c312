// The claim's history comes as JSON arrays of MESSAGE_FIELDS (src/store/rows.ts);
// messageFromJsonArray must read each position back as the field it holds.
import { describe, expect, it } from "vitest";
import { MESSAGE_FIELDS, messageFromJsonArray } from "../../src/store/rows.js";

describe("messageFromJsonArray", () => {
  it("maps every position of MESSAGE_FIELDS to that field, and the timestamp to a Date", () => {
    const at = "2026-12-03T12:00:00.123+00:00";
    const message = messageFromJsonArray(MESSAGE_FIELDS.map((field) => (field === "createdAt" ? at : `value of ${field}`))) as unknown as Record<string, unknown>;
    expect(Object.keys(message)).toEqual([...MESSAGE_FIELDS]);
    for (const field of MESSAGE_FIELDS) if (field !== "createdAt") expect(message[field]).toBe(`value of ${field}`);
    expect(message.createdAt).toEqual(new Date(at));
  });
});
