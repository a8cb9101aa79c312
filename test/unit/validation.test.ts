import { describe, it, expect } from "vitest";
import { AppError } from "../../src/errors.js";
import {
  validateJsonObject,
  validateLocale,
  validateMessageInput,
  validateSessionInput,
  validateTags,
  type MessageInput,
} from "../../src/domain/validation.js";

const IMG = "img_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
const MODEL = "model_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
const PNG_BASE64 = "iVBORw0KGgo=";

/** Runs fn and returns the AppError's code and field (fails if it does not throw one). */
function failure(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.message.length).toBeGreaterThan(0);
    return { code: err.code, field: err.field };
  }
  throw new Error("expected an AppError, nothing was thrown");
}

const text = (t: string) => ({ type: "text", text: t });
const withContent = (...content: unknown[]): MessageInput => ({ message: { content } });
const message = (extra: Omit<MessageInput, "message">): MessageInput => ({ message: { content: [text("hi")] }, ...extra });
const invalid = (field: string) => ({ code: "VALIDATION_FAILED", field });
const invalidId = (field: string) => ({ code: "INVALID_ID", field });

describe("validateMessageInput: accepted input", () => {
  it("normalizes a minimal text message", () => {
    expect(validateMessageInput(withContent(text("hello")))).toEqual({
      role: "user",
      content: [{ type: "text", text: "hello" }],
      controls: null,
      externalActor: null,
      metadata: null,
      tags: [],
    });
  });

  it("accepts text, image url, data url, base64 and image_file parts in order", () => {
    const result = validateMessageInput(
      withContent(
        text("  look  "),
        { type: "image", url: "https://example.com/cat.png" },
        { type: "image", url: "http://example.com/dog.jpg", media_type: "image/jpeg" },
        { type: "image", url: `data:image/png;base64,${PNG_BASE64}` },
        { type: "image", base64: PNG_BASE64, media_type: "image/png" },
        { type: "image", base64: "R0lGODlh", media_type: "image/gif" },
        { type: "image", base64: "UklGRg==", media_type: "image/webp" },
        { type: "image_file", image_id: IMG, filename: "cat.png" },
        { type: "image_file", image_id: IMG },
      ),
    );
    expect(result.content).toEqual([
      { type: "text", text: "  look  " },
      { type: "image", url: "https://example.com/cat.png" },
      { type: "image", url: "http://example.com/dog.jpg", media_type: "image/jpeg" },
      { type: "image", url: `data:image/png;base64,${PNG_BASE64}` },
      { type: "image", base64: PNG_BASE64, media_type: "image/png" },
      { type: "image", base64: "R0lGODlh", media_type: "image/gif" },
      { type: "image", base64: "UklGRg==", media_type: "image/webp" },
      { type: "image_file", image_id: IMG, filename: "cat.png" },
      { type: "image_file", image_id: IMG },
    ]);
  });

  it("drops null and undefined keys and unknown extra keys from parts", () => {
    const result = validateMessageInput(
      withContent(
        { type: "image", url: "https://example.com/a.png", base64: null, media_type: null },
        { type: "image_file", image_id: IMG, filename: null, extra: 1 },
      ),
    );
    expect(result.content).toEqual([
      { type: "image", url: "https://example.com/a.png" },
      { type: "image_file", image_id: IMG },
    ]);
  });

  it("accepts exactly 100 parts", () => {
    const parts = Array.from({ length: 100 }, (_, i) => text(`part ${i}`));
    expect(validateMessageInput(withContent(...parts)).content).toHaveLength(100);
  });

  it.each([undefined, null, "USER", "user"])("role %j means user", (role) => {
    expect(validateMessageInput({ message: { role, content: [text("x")] } }).role).toBe("user");
  });

  it("normalizes controls to the stored shape", () => {
    const result = validateMessageInput(
      message({
        controls: {
          modelId: MODEL,
          reasoning: { effort: "high" },
          errorDisclosure: "DETAILED",
          hints: { tone: "brief" },
          locale: "en-us",
          maxTokens: 256,
        },
      }),
    );
    expect(result.controls).toEqual({
      model_id: MODEL,
      reasoning: { effort: "high" },
      error_disclosure: "detailed",
      hints: { tone: "brief" },
      locale: "en-US",
      max_tokens: 256,
    });
  });

  it("keeps only the controls that were given", () => {
    expect(validateMessageInput(message({ controls: { errorDisclosure: "generic", locale: null } })).controls).toEqual({
      error_disclosure: "generic",
    });
    expect(validateMessageInput(message({ controls: { reasoning: {} } })).controls).toEqual({ reasoning: {} });
    expect(validateMessageInput(message({ controls: {} })).controls).toEqual({});
    expect(validateMessageInput(message({ controls: null })).controls).toBeNull();
  });

  it.each(["GENERIC", "STANDARD", "DETAILED", "generic", "standard", "detailed"])("accepts errorDisclosure %s", (level) => {
    expect(validateMessageInput(message({ controls: { errorDisclosure: level } })).controls?.error_disclosure).toBe(
      level.toLowerCase(),
    );
  });

  it("normalizes the external actor, metadata and tags", () => {
    const result = validateMessageInput(
      message({
        externalActor: { actorId: "U123", actorName: "Ada", metadata: { team: "T1" }, source: "slack" },
        metadata: { client: "web" },
        tags: ["a", "b"],
      }),
    );
    expect(result.externalActor).toEqual({ actor_id: "U123", actor_name: "Ada", metadata: { team: "T1" }, source: "slack" });
    expect(result.metadata).toEqual({ client: "web" });
    expect(result.tags).toEqual(["a", "b"]);
  });

  it("keeps an external actor with just an id", () => {
    const result = validateMessageInput(message({ externalActor: { actorId: "U1", actorName: null, source: undefined } }));
    expect(result.externalActor).toEqual({ actor_id: "U1" });
  });

  it("accepts 64 tags of 256 characters", () => {
    const tags = Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(256, "t"));
    expect(validateMessageInput(message({ tags })).tags).toEqual(tags);
  });
});

describe("validateMessageInput: content rules", () => {
  it.each([
    ["missing", undefined],
    ["a string", "hello"],
    ["an object", { type: "text", text: "hi" }],
    ["empty", []],
    ["over 100 parts", Array.from({ length: 101 }, () => text("x"))],
  ])("content %s → VALIDATION_FAILED at message.content", (_, content) => {
    expect(failure(() => validateMessageInput({ message: { content } }))).toEqual(invalid("message.content"));
  });

  it("message that is not an object → VALIDATION_FAILED at message", () => {
    expect(failure(() => validateMessageInput({ message: null } as unknown as MessageInput))).toEqual(invalid("message"));
    expect(failure(() => validateMessageInput({ message: "hi" } as unknown as MessageInput))).toEqual(invalid("message"));
  });

  it.each(["AGENT", "agent", "SYSTEM", "TOOL_RESULT", "tool_result", "User", ""])("role %j → message.role", (role) => {
    expect(failure(() => validateMessageInput({ message: { role, content: [text("x")] } }))).toEqual(invalid("message.role"));
  });

  it("a part that is not an object → its index", () => {
    expect(failure(() => validateMessageInput(withContent(text("ok"), "text")))).toEqual(invalid("message.content[1]"));
    expect(failure(() => validateMessageInput(withContent(null)))).toEqual(invalid("message.content[0]"));
  });

  it.each([
    ["tool_call", { type: "tool_call", id: "call_1", name: "calculator", arguments: {} }],
    ["tool_result", { type: "tool_result", tool_call_id: "call_1", content: [], is_error: false }],
    ["unknown type", { type: "video", url: "https://example.com/v.mp4" }],
    ["missing type", { text: "hi" }],
  ])("%s part → message.content[i].type", (_, part) => {
    expect(failure(() => validateMessageInput(withContent(text("ok"), text("ok"), part)))).toEqual(
      invalid("message.content[2].type"),
    );
  });

  it("empty text → message.content[i].text", () => {
    expect(failure(() => validateMessageInput(withContent(text("ok"), text("ok"), text(""))))).toEqual(
      invalid("message.content[2].text"),
    );
  });

  it("text that is not a string → message.content[i].text", () => {
    expect(failure(() => validateMessageInput(withContent({ type: "text", text: 5 })))).toEqual(invalid("message.content[0].text"));
    expect(failure(() => validateMessageInput(withContent({ type: "text" })))).toEqual(invalid("message.content[0].text"));
  });

  it("image with both url and base64 → message.content[i]", () => {
    const part = { type: "image", url: "https://example.com/a.png", base64: PNG_BASE64, media_type: "image/png" };
    expect(failure(() => validateMessageInput(withContent(part)))).toEqual(invalid("message.content[0]"));
  });

  it("image with neither url nor base64 → message.content[i]", () => {
    expect(failure(() => validateMessageInput(withContent({ type: "image", media_type: "image/png" })))).toEqual(
      invalid("message.content[0]"),
    );
    expect(failure(() => validateMessageInput(withContent({ type: "image", url: null, base64: null })))).toEqual(
      invalid("message.content[0]"),
    );
  });

  it.each([
    ["ftp scheme", "ftp://example.com/a.png"],
    ["javascript scheme", "javascript:alert(1)"],
    ["file scheme", "file:///etc/passwd"],
    ["no scheme", "example.com/a.png"],
    ["not a URL", "not a url"],
    ["empty", ""],
    ["not a string", 42],
  ])("image url %s → message.content[i].url", (_, url) => {
    expect(failure(() => validateMessageInput(withContent({ type: "image", url })))).toEqual(invalid("message.content[0].url"));
  });

  it.each([
    ["empty", ""],
    ["bad characters", "iVBOR!w0K"],
    ["url-safe alphabet", "iVBO-w0_"],
    ["length not a multiple of 4", "iVBORw0KGgo"],
    ["missing padding", "UklGRg"],
    ["padding in the middle", "UklG=Rg="],
    ["too much padding", "UklGR==="],
    ["whitespace", "iVBO Rw0K"],
    ["not a string", 1234],
  ])("base64 with %s → message.content[i].base64", (_, base64) => {
    expect(failure(() => validateMessageInput(withContent({ type: "image", base64, media_type: "image/png" })))).toEqual(
      invalid("message.content[0].base64"),
    );
  });

  it("base64 without mediaType → message.content[i].mediaType", () => {
    expect(failure(() => validateMessageInput(withContent({ type: "image", base64: PNG_BASE64 })))).toEqual(
      invalid("message.content[0].mediaType"),
    );
  });

  it.each(["image/bmp", "image/svg+xml", "text/plain", "IMAGE/PNG", "", 7])("mediaType %j → message.content[i].mediaType", (mediaType) => {
    expect(failure(() => validateMessageInput(withContent({ type: "image", base64: PNG_BASE64, media_type: mediaType })))).toEqual(
      invalid("message.content[0].mediaType"),
    );
    expect(
      failure(() => validateMessageInput(withContent({ type: "image", url: "https://example.com/a", media_type: mediaType }))),
    ).toEqual(invalid("message.content[0].mediaType"));
  });

  it.each([
    ["wrong prefix", "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b"],
    ["short hex", "img_0190a1b2c3d47e8f9a0b1c2d3e4f5a6"],
    ["missing", undefined],
    ["not a string", 12],
  ])("image_file with %s image_id → INVALID_ID at message.content[i].imageId", (_, imageId) => {
    expect(failure(() => validateMessageInput(withContent(text("ok"), { type: "image_file", image_id: imageId })))).toEqual(
      invalidId("message.content[1].imageId"),
    );
  });

  it("image_file filename that is not a string → message.content[i].filename", () => {
    expect(failure(() => validateMessageInput(withContent({ type: "image_file", image_id: IMG, filename: 3 })))).toEqual(
      invalid("message.content[0].filename"),
    );
  });
});

describe("validateMessageInput: controls rules", () => {
  const controls = (c: unknown) => () => validateMessageInput(message({ controls: c as MessageInput["controls"] }));

  it("controls that are not an object → controls", () => {
    expect(failure(controls("fast"))).toEqual(invalid("controls"));
    expect(failure(controls([]))).toEqual(invalid("controls"));
  });

  it.each(["session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b", "model_xyz", "demo", 5])("modelId %j → INVALID_ID at controls.modelId", (modelId) => {
    expect(failure(controls({ modelId }))).toEqual(invalidId("controls.modelId"));
  });

  it("reasoning that is not an object → controls.reasoning", () => {
    expect(failure(controls({ reasoning: "high" }))).toEqual(invalid("controls.reasoning"));
  });

  it.each(["extreme", "HIGH", "", 1])("reasoning.effort %j → controls.reasoning.effort", (effort) => {
    expect(failure(controls({ reasoning: { effort } }))).toEqual(invalid("controls.reasoning.effort"));
  });

  it.each(["verbose", "", "Detailed ", 2])("errorDisclosure %j → controls.errorDisclosure", (errorDisclosure) => {
    expect(failure(controls({ errorDisclosure }))).toEqual(invalid("controls.errorDisclosure"));
  });

  it.each([["a string", "x"], ["a list", [1]], ["a number", 3], ["a boolean", true]])("hints as %s → controls.hints", (_, hints) => {
    expect(failure(controls({ hints }))).toEqual(invalid("controls.hints"));
  });

  it.each(["", "en_US", "x", "123", "not a locale", 42])("locale %j → controls.locale", (locale) => {
    expect(failure(controls({ locale }))).toEqual(invalid("controls.locale"));
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "100", 2 ** 60])("maxTokens %j → controls.maxTokens", (maxTokens) => {
    expect(failure(controls({ maxTokens }))).toEqual(invalid("controls.maxTokens"));
  });

  it("maxTokens 1 is the smallest allowed", () => {
    expect(validateMessageInput(message({ controls: { maxTokens: 1 } })).controls).toEqual({ max_tokens: 1 });
  });
});

describe("validateMessageInput: external actor, metadata and tags rules", () => {
  it("externalActor that is not an object → externalActor", () => {
    expect(failure(() => validateMessageInput(message({ externalActor: "U1" as never })))).toEqual(invalid("externalActor"));
  });

  it.each([["missing", {}], ["empty", { actorId: "" }], ["null", { actorId: null }], ["a number", { actorId: 7 }]])(
    "actorId %s → externalActor.actorId",
    (_, externalActor) => {
      expect(failure(() => validateMessageInput(message({ externalActor })))).toEqual(invalid("externalActor.actorId"));
    },
  );

  it("actorName and source must be strings", () => {
    expect(failure(() => validateMessageInput(message({ externalActor: { actorId: "U1", actorName: 1 } })))).toEqual(
      invalid("externalActor.actorName"),
    );
    expect(failure(() => validateMessageInput(message({ externalActor: { actorId: "U1", source: {} } })))).toEqual(
      invalid("externalActor.source"),
    );
  });

  it("externalActor.metadata that is not an object → externalActor.metadata", () => {
    expect(failure(() => validateMessageInput(message({ externalActor: { actorId: "U1", metadata: [] } })))).toEqual(
      invalid("externalActor.metadata"),
    );
  });

  it.each([["a string", "x"], ["a list", [{ a: 1 }]], ["a number", 1]])("metadata as %s → metadata", (_, metadata) => {
    expect(failure(() => validateMessageInput(message({ metadata })))).toEqual(invalid("metadata"));
  });

  it("tags that are not a list → tags", () => {
    expect(failure(() => validateMessageInput(message({ tags: "a,b" })))).toEqual(invalid("tags"));
  });

  it("more than 64 tags → tags", () => {
    const tags = Array.from({ length: 65 }, (_, i) => `t${i}`);
    expect(failure(() => validateMessageInput(message({ tags })))).toEqual(invalid("tags"));
  });

  it("a tag over 256 characters → tags[i]", () => {
    expect(failure(() => validateMessageInput(message({ tags: ["a", "b", "c", "x".repeat(257)] })))).toEqual(invalid("tags[3]"));
  });

  it("a tag that is not a string → tags[i]", () => {
    expect(failure(() => validateMessageInput(message({ tags: ["a", 2] })))).toEqual(invalid("tags[1]"));
  });
});

describe("validateSessionInput", () => {
  it("returns only the keys that were given", () => {
    expect(validateSessionInput({}, "create")).toEqual({});
    expect(validateSessionInput({ title: "Trip" }, "update")).toEqual({ title: "Trip" });
  });

  it("normalizes every field", () => {
    expect(
      validateSessionInput(
        { title: "Trip", locale: "zh-hant-tw", modelId: MODEL, hints: { a: 1 }, tags: ["x"], metadata: { b: true } },
        "create",
      ),
    ).toEqual({ title: "Trip", locale: "zh-Hant-TW", modelId: MODEL, hints: { a: 1 }, tags: ["x"], metadata: { b: true } });
  });

  it("update: explicit null clears (tags to [])", () => {
    expect(
      validateSessionInput({ title: null, locale: null, modelId: null, hints: null, tags: null, metadata: null }, "update"),
    ).toEqual({ title: null, locale: null, modelId: null, hints: null, tags: [], metadata: null });
  });

  it("create: null is the same as absent", () => {
    expect(validateSessionInput({ title: null, tags: null, metadata: null }, "create")).toEqual({});
  });

  it("title over 1000 characters → title", () => {
    expect(validateSessionInput({ title: "t".repeat(1000) }, "create").title).toHaveLength(1000);
    expect(failure(() => validateSessionInput({ title: "t".repeat(1001) }, "create"))).toEqual(invalid("title"));
  });

  it("title that is not a string → title", () => {
    expect(failure(() => validateSessionInput({ title: 5 }, "update"))).toEqual(invalid("title"));
  });

  it("bad locale → locale", () => {
    expect(failure(() => validateSessionInput({ locale: "en_US" }, "create"))).toEqual(invalid("locale"));
  });

  it("malformed modelId → INVALID_ID at modelId", () => {
    expect(failure(() => validateSessionInput({ modelId: "model_123" }, "update"))).toEqual(invalidId("modelId"));
  });

  it("hints and metadata must be JSON objects", () => {
    expect(failure(() => validateSessionInput({ hints: [] }, "create"))).toEqual(invalid("hints"));
    expect(failure(() => validateSessionInput({ metadata: "x" }, "update"))).toEqual(invalid("metadata"));
  });

  it("tags follow the message rules", () => {
    expect(failure(() => validateSessionInput({ tags: Array(65).fill("t") }, "create"))).toEqual(invalid("tags"));
    expect(failure(() => validateSessionInput({ tags: ["ok", "y".repeat(257)] }, "update"))).toEqual(invalid("tags[1]"));
  });
});

describe("shared validators", () => {
  it("validateLocale returns the canonical form", () => {
    expect(validateLocale("en-us", "locale")).toBe("en-US");
    expect(validateLocale("EN", "locale")).toBe("en");
    expect(validateLocale("sr-latn-rs", "locale")).toBe("sr-Latn-RS");
    expect(failure(() => validateLocale("en_US", "controls.locale"))).toEqual(invalid("controls.locale"));
  });

  it("validateTags counts characters, not UTF-16 units", () => {
    expect(validateTags(["😀".repeat(256)], "tags")).toHaveLength(1);
  });

  it("validateJsonObject passes objects through and names the field otherwise", () => {
    expect(validateJsonObject({ a: [1, { b: null }] }, "hints")).toEqual({ a: [1, { b: null }] });
    expect(failure(() => validateJsonObject(null, "hints"))).toEqual(invalid("hints"));
  });
});
