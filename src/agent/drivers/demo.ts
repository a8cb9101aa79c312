// The demo driver: offline and deterministic, a documented feature (not a
// mock). Arithmetic in the user's text → a `calculator` call, then the result;
// a question about the time → `current_time`; anything else → a reply quoting
// the text. Replies stream a few words per delta, `delayMs` apart.
import { randomBytes } from "node:crypto";
import { textOf } from "../../domain/content.js";
import type { NewMessage } from "../../domain/messages.js";
import { findExpression } from "../tools/calculator.js";
import type { AgentDriver, StepResult } from "./driver.js";

const WORDS_PER_DELTA = 3;
const ASKS_TIME = /\b(what(?:'s| is)? the time|what time|current time|time is it|the time now|clock)\b/i;

export function createDemoDriver(options: { delayMs: number }): AgentDriver {
  return {
    name: "demo",
    async step(request, onTextDelta) {
      const { input, toolResults } = turnSoFar(request.history);
      const userText = input ? textOf(input.content) : "";

      if (toolResults.length === 0) {
        const expression = findExpression(userText);
        if (expression) return callTool("calculator", { expression });
        if (ASKS_TIME.test(userText)) return callTool("current_time", {});
      }
      const reply = toolResults.length > 0 ? answerFromTools(toolResults) : quote(userText);
      await streamWords(reply, options.delayMs, request.signal, onTextDelta);
      return { text: reply, toolCalls: [], usage: { input_tokens: countTokens(request.history), output_tokens: countWords(reply) } };
    },
  };
}

/** The turn's user message and the tool results that followed it. */
function turnSoFar(history: readonly NewMessage[]) {
  const start = history.findLastIndex((m) => m.role === "USER");
  const input = start >= 0 ? history[start] : undefined;
  const toolResults = history.slice(start + 1).flatMap((m) => m.content.filter((p) => p.type === "tool_result"));
  return { input, toolResults };
}

function callTool(name: string, args: Record<string, string>): StepResult {
  const id = `call_${randomBytes(12).toString("hex")}`;
  return { text: "", toolCalls: [{ id, name, arguments: args }], usage: { input_tokens: 0, output_tokens: 0 } };
}

function answerFromTools(results: { content: { type: string; text?: string }[]; is_error: boolean }[]): string {
  const last = results.at(-1)!;
  const value = last.content.map((p) => p.text ?? "").join(" ").trim();
  return last.is_error ? `I could not work that out: ${value}.` : `The answer is ${value}.`;
}

function quote(text: string): string {
  const body = text.trim() || "(nothing)";
  return `You said: "${body}". I am the demo agent: I can do arithmetic (try "what is 12*(3+4)?") and tell the time.`;
}

/** Splits text into deltas of a few words, keeping every character so deltas concatenate to the text. */
export function wordDeltas(text: string): string[] {
  const tokens = text.match(/\S+\s*|\s+/g) ?? [];
  const deltas: string[] = [];
  for (let i = 0; i < tokens.length; i += WORDS_PER_DELTA) deltas.push(tokens.slice(i, i + WORDS_PER_DELTA).join(""));
  return deltas;
}

async function streamWords(text: string, delayMs: number, signal: AbortSignal, onTextDelta: (d: string) => void): Promise<void> {
  for (const [i, delta] of wordDeltas(text).entries()) {
    signal.throwIfAborted();
    if (i > 0 && delayMs > 0) await sleep(delayMs, signal);
    onTextDelta(delta);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;
const countTokens = (history: readonly NewMessage[]) => history.reduce((n, m) => n + countWords(textOf(m.content)), 0);
