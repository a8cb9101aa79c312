// The demo driver: offline and deterministic, a documented feature (not a
// mock). `call NAME {json}` lines → those tool calls, if the turn offers them
// (SPEC §10); arithmetic in the user's text → a `calculator` call, then the
// result; a question about the time → `current_time`; anything else → a reply
// quoting the text. A user message steered into the turn (SPEC §11) is quoted
// by the first step that sees it: alone (`You said: "<text>"…`) in the extra
// step after an answer, or after the step's answer (`You also said: …`).
// With an agent whose instructions are set, every reply begins
// `[<agent name>] `. Replies stream a few words per delta, `delayMs` apart.
import { randomBytes } from "node:crypto";
import { isJsonObject, textOf, type JsonObject } from "../../domain/content.js";
import type { NewMessage } from "../../domain/messages.js";
import { findExpression } from "../tools/calculator.js";
import type { AgentDriver, StepResult } from "./driver.js";

const WORDS_PER_DELTA = 3;
/** `call NAME` and optionally one JSON object, nothing else. */
const CALL = /^call\s+([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])\s*([\s\S]*)$/;
const ASKS_TIME = /\b(what(?:'s| is)? the time|what time|current time|time is it|the time now|clock)\b/i;

export function createDemoDriver(options: { delayMs: number }): AgentDriver {
  return {
    name: "demo",
    async step(request, onTextDelta) {
      const { input, toolResults, steered, answered } = turnSoFar(request.history, request.inputMessageId);
      const userText = input ? textOf(input.content) : "";
      const steeredText = steered.map((m) => textOf(m.content)).join("\n");

      const offered = new Set(request.tools.map((t) => t.name));
      let reply: string | null = null;
      if (answered && steered.length > 0) reply = quote(steeredText);
      else if (toolResults.length === 0) {
        const calls = parseCalls(userText);
        if (calls) {
          const missing = calls.filter((c) => !offered.has(c.name)).map((c) => c.name);
          if (missing.length === 0) return callTools(calls);
          reply = notOffered(missing, offered);
        } else {
          const expression = offered.has("calculator") && findExpression(userText);
          if (expression) return callTools([{ name: "calculator", arguments: { expression } }]);
          if (offered.has("current_time") && ASKS_TIME.test(userText)) return callTools([{ name: "current_time", arguments: {} }]);
        }
      }
      reply ??= toolResults.length > 0 ? answerFromTools(toolResults) : quote(userText);
      if (!answered && steered.length > 0) reply = `${reply} You also said: "${steeredText.trim()}".`;
      if (request.instructions && request.agentName) reply = `[${request.agentName}] ${reply}`;
      await streamWords(reply, options.delayMs, request.signal, onTextDelta);
      return { text: reply, toolCalls: [], usage: { input_tokens: countTokens(request.history), output_tokens: countWords(reply) } };
    },
  };
}

/**
 * The turn's user message, the tool results that followed it, the user
 * messages steered in since the last step (new to this one), and whether the
 * last step already gave an answer (this is the extra step for them).
 */
function turnSoFar(history: readonly NewMessage[], inputMessageId?: string) {
  const byId = inputMessageId ? history.findIndex((m) => m.id === inputMessageId) : -1;
  const start = byId >= 0 ? byId : history.findLastIndex((m) => m.role === "USER");
  const input = start >= 0 ? history[start] : undefined;
  const after = history.slice(start + 1);
  const lastStep = after.findLastIndex((m) => m.role === "AGENT");
  const steered = after.slice(lastStep + 1).filter((m) => m.role === "USER");
  const answered = lastStep >= 0 && !after[lastStep]!.content.some((p) => p.type === "tool_call");
  // In call order: answers to waiting calls (SPEC §11) can arrive in any order.
  const callOrder = after.flatMap((m) => m.content.flatMap((p) => (p.type === "tool_call" ? [p.id] : [])));
  const toolResults = after
    .flatMap((m) => m.content.filter((p) => p.type === "tool_result"))
    .sort((x, y) => callOrder.indexOf(x.tool_call_id) - callOrder.indexOf(y.tool_call_id));
  return { input, toolResults, steered, answered };
}

interface DemoCall {
  name: string;
  arguments: JsonObject;
}

/**
 * The `call` rule: the whole text is one call (its JSON object may span
 * lines), or every non-blank line is one. null when the text is anything else.
 */
export function parseCalls(text: string): DemoCall[] | null {
  const single = parseCall(text.trim());
  if (single) return [single];
  const lines = text.split("\n").map((line) => line.trim()).filter(Boolean);
  if (lines.length < 2) return null;
  const calls = lines.map(parseCall);
  return calls.every((c) => c !== null) ? (calls as DemoCall[]) : null;
}

function parseCall(text: string): DemoCall | null {
  const match = CALL.exec(text);
  if (!match) return null;
  const rest = match[2]!.trim();
  if (rest === "") return { name: match[1]!, arguments: {} };
  try {
    const args: unknown = JSON.parse(rest);
    return isJsonObject(args) ? { name: match[1]!, arguments: args } : null;
  } catch {
    return null;
  }
}

/** One model step calling the tools in order; ids are unique per call, like the real providers'. */
function callTools(calls: DemoCall[]): StepResult {
  const toolCalls = calls.map((c) => ({ id: `call_${randomBytes(12).toString("hex")}`, name: c.name, arguments: c.arguments }));
  return { text: "", toolCalls, usage: { input_tokens: 0, output_tokens: 0 } };
}

function notOffered(missing: string[], offered: ReadonlySet<string>): string {
  const names = missing.map((n) => `"${n}"`).join(", ");
  const available = offered.size > 0 ? `The tools offered are: ${[...offered].join(", ")}.` : "No tools are offered in this turn.";
  return `I cannot call ${names}: ${missing.length > 1 ? "those tools are" : "that tool is"} not offered in this turn. ${available}`;
}

/** The step's results, in call order, joined with "; ". */
function answerFromTools(results: { content: { type: string; text?: string }[]; is_error: boolean }[]): string {
  const value = results.map((r) => r.content.map((p) => p.text ?? "").join(" ").trim()).join("; ");
  return results.some((r) => r.is_error) ? `I could not work that out: ${value}.` : `The answer is ${value}.`;
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

const countWords = (text: string) => countRuns([text]);

/**
 * Messages whose words were counted, by id (messages never change): every
 * step reads the whole history, which repeats from turn to turn, so each
 * message is counted once. The oldest entries go first past the bound.
 */
const wordsOf = new Map<string, number>();
const WORDS_REMEMBERED = 10_000;

/** The history's words. */
function countTokens(history: readonly NewMessage[]): number {
  let words = 0;
  for (const m of history) {
    let n = wordsOf.get(m.id);
    if (n === undefined) {
      n = countRuns(m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])));
      if (wordsOf.size >= WORDS_REMEMBERED) wordsOf.delete(wordsOf.keys().next().value!);
      wordsOf.set(m.id, n);
    }
    words += n;
  }
  return words;
}

/** Runs of non-whitespace (what `split(/\s+/)` keeps) in the texts read as one string (textOf joins parts with ""). */
function countRuns(texts: readonly string[]): number {
  let runs = 0;
  let inRun = false;
  for (const text of texts) {
    for (let i = 0; i < text.length; i++) {
      const space = isSpace(text.charCodeAt(i));
      if (!space && !inRun) runs++;
      inRun = !space;
    }
  }
  return runs;
}

/** JavaScript's `\s`: ASCII and Unicode white space and line terminators, and the BOM. */
const isSpace = (c: number) =>
  c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c > 0x7f && (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff));
