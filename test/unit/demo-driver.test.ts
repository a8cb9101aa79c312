// The demo driver's usage: input_tokens counts the words (runs of non-white
// space, as `split(/\s+/)` sees them) of every history message's text, each
// message's text parts read as one string.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDemoDriver } from "../../src/agent/drivers/demo.js";
import { newMessage, type NewMessage } from "../../src/domain/messages.js";
import { newId } from "../../src/ids.js";

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
// Letters, ASCII and Unicode white space, line terminators, the BOM, and characters next to them that are not space.
const piece = fc.constantFrom("a", "bc", "é", "字", " ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u1680", "\u2000", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\u0085", "\u180e");
const text = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));
// Fresh ids, as stored messages have (the driver remembers each message's count by id).
const message = (i: number, parts: string[]): NewMessage =>
  newMessage({ id: newId("message"), sessionId: "s", role: i % 2 ? "AGENT" : "USER", content: parts.map((t) => ({ type: "text" as const, text: t })) });

async function inputTokens(history: NewMessage[]): Promise<number> {
  const input = newMessage({ id: "input", sessionId: "s", role: "USER", content: [{ type: "text", text: "hello" }] });
  const result = await createDemoDriver({ delayMs: 0 }).step(
    { sessionId: "s", model: "demo", history: [...history, input], inputMessageId: "input", tools: [], loadImage: async () => null, signal: new AbortController().signal },
    () => {},
  );
  return result.usage.input_tokens;
}

describe("demo driver usage", () => {
  it("counts the history's words as split(/\\s+/) does, parts of a message joined", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(text, { maxLength: 4 }), { maxLength: 6 }), async (messages) => {
        const history = messages.map((parts, i) => message(i, parts));
        const expected = messages.reduce((n, parts) => n + words(parts.join("")), 0) + 1; // + the input's "hello"
        expect(await inputTokens(history)).toBe(expected);
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  it("counts a history seen again the same, and a new message on top", async () => {
    const history = [message(0, ["one two"]), message(1, ["three"])];
    expect(await inputTokens(history)).toBe(4);
    expect(await inputTokens(history)).toBe(4);
    expect(await inputTokens([...history, message(2, ["four five"])])).toBe(6);
  });

  it("does not join two messages' words", async () => {
    expect(await inputTokens([message(0, ["ab"]), message(1, ["cd"])])).toBe(3);
    expect(await inputTokens([message(0, ["ab", "cd"])])).toBe(2);
  });
});
