// The enum tables of src/domain/enums.ts: the one spelling of each enum for
// GraphQL (and the database) and for REST.
import { describe, expect, it } from "vitest";
import { ERROR_DISCLOSURE, MESSAGE_PHASE, MESSAGE_ROLE, SESSION_STATUS, enumNames, fromRestSpelling, parseRestEnum } from "../../src/domain/enums.js";
import { AppError } from "../../src/errors.js";
import * as prismaEnums from "../../src/generated/prisma/enums.js";

describe("enum tables", () => {
  it("name exactly the database's enum labels, so a row's value is the GraphQL name", () => {
    expect(enumNames(SESSION_STATUS)).toEqual(Object.values(prismaEnums.SessionStatus));
    expect(enumNames(MESSAGE_ROLE)).toEqual(Object.values(prismaEnums.MessageRole));
    expect(enumNames(MESSAGE_PHASE)).toEqual(Object.values(prismaEnums.MessagePhase));
    expect(enumNames(ERROR_DISCLOSURE)).toEqual(Object.values(prismaEnums.ErrorDisclosure));
  });

  it("read REST spellings back, with the older `tool` for tool_result", () => {
    expect(fromRestSpelling(MESSAGE_ROLE, "tool_result")).toBe("TOOL_RESULT");
    expect(fromRestSpelling(MESSAGE_ROLE, "tool")).toBe("TOOL_RESULT");
    expect(fromRestSpelling(SESSION_STATUS, "idle")).toBe("IDLE");
    expect(fromRestSpelling(SESSION_STATUS, "IDLE")).toBeUndefined();
    expect(fromRestSpelling(SESSION_STATUS, "tool")).toBeUndefined();
  });

  it("refuse anything else as VALIDATION_FAILED naming the field and the accepted values", () => {
    const error = (() => {
      try {
        parseRestEnum(SESSION_STATUS, "bogus", "status");
      } catch (e) {
        return e;
      }
    })() as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "status" });
    expect(error.message).toBe('status must be one of started, active, idle, waiting_for_tool_results; got "bogus"');
  });
});
