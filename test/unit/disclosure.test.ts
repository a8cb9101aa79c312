import { describe, it, expect } from "vitest";
import { discloseError, effectiveDisclosure, GENERIC_ERROR_MESSAGE, MAX_DETAIL_LENGTH } from "../../src/domain/disclosure.js";

describe("effectiveDisclosure", () => {
  it("defaults to standard when absent", () => {
    expect(effectiveDisclosure(undefined, "detailed")).toBe("standard");
    expect(effectiveDisclosure(null, "detailed")).toBe("standard");
  });

  it("clamps the default to the model's maximum", () => {
    expect(effectiveDisclosure(undefined, "generic")).toBe("generic");
  });

  it("lets a client narrow", () => {
    expect(effectiveDisclosure("generic", "detailed")).toBe("generic");
    expect(effectiveDisclosure("standard", "detailed")).toBe("standard");
    expect(effectiveDisclosure("detailed", "detailed")).toBe("detailed");
  });

  it("never lets a client widen", () => {
    expect(effectiveDisclosure("detailed", "standard")).toBe("standard");
    expect(effectiveDisclosure("detailed", "generic")).toBe("generic");
    expect(effectiveDisclosure("standard", "generic")).toBe("generic");
  });
});

describe("discloseError", () => {
  const error = { code: "llm_error", safeMessage: "The model provider returned an error.", detail: "429 rate limit exceeded" } as const;

  it("generic gives a fixed sentence without code or detail", () => {
    const text = discloseError("generic", error);
    expect(text).toBe(GENERIC_ERROR_MESSAGE);
    expect(text).not.toContain("llm_error");
    expect(text).not.toContain("429");
  });

  it("standard gives the code and the safe message", () => {
    expect(discloseError("standard", error)).toBe("llm_error: The model provider returned an error.");
  });

  it("detailed adds the provider detail", () => {
    expect(discloseError("detailed", error)).toBe(
      "llm_error: The model provider returned an error. (detail: 429 rate limit exceeded)",
    );
  });

  it("detailed without a detail is the standard text", () => {
    expect(discloseError("detailed", { code: "max_iterations", safeMessage: "Too many steps." })).toBe(
      "max_iterations: Too many steps.",
    );
    expect(discloseError("detailed", { code: "interrupted", safeMessage: "Restarted.", detail: null })).toBe(
      "interrupted: Restarted.",
    );
  });

  it("truncates the detail to 2,000 characters", () => {
    const text = discloseError("detailed", { ...error, detail: "x".repeat(5000) });
    const detail = /\(detail: (.*)\)$/s.exec(text)?.[1] ?? "";
    expect(detail.length).toBe(MAX_DETAIL_LENGTH);
    expect(detail.endsWith("…")).toBe(true);
    const exact = discloseError("detailed", { ...error, detail: "y".repeat(MAX_DETAIL_LENGTH) });
    expect(exact).toContain(`(detail: ${"y".repeat(MAX_DETAIL_LENGTH)})`);
  });
});
