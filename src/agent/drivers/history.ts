// The session's messages as AI SDK model messages, plus the
// small system prompt built from the turn's locale and hints. Shared by the
// openai and anthropic drivers; the provider packages turn these into their
// own wire formats.
import type { AssistantContent, ModelMessage, ToolResultPart, UserContent } from "ai";
import type {
  ContentPart,
  ImageFilePart,
  ImagePart,
  JsonObject,
  ToolCallPart,
  ToolResultContent,
  ToolResultPart as StoredToolResult,
} from "../../domain/content.js";
import type { NewMessage } from "../../domain/messages.js";
import type { StepRequest } from "./driver.js";

export interface HistoryOptions {
  loadImage: StepRequest["loadImage"];
  /**
   * Whether tool results may carry images. Anthropic accepts image blocks in a
   * tool_result; Chat Completions tool messages are text only (the SDK would
   * JSON-stringify the base64 into the prompt), so there an image becomes a
   * short text placeholder.
   */
  imagesInToolResults: boolean;
}

export interface Conversation {
  /** Text of stored SYSTEM messages, oldest first (they go into the system prompt, not the message list). */
  instructions: string[];
  messages: ModelMessage[];
}

/** Said in place of a result when a tool call has none (the turn was cancelled or the process died mid-tool). */
export const MISSING_RESULT = "No result: the tool did not run to completion.";
const IMAGE_UNAVAILABLE = "[image unavailable]";

/**
 * Converts the history for a model step.
 *
 * Tool results are paired with their calls by id, not by position: each agent
 * message with tool calls is followed at once by a tool message holding the
 * results of exactly those calls. This matters because a user message posted
 * during a turn is logged between a call and its result, and both providers
 * (and the SDK itself) reject a call whose result does not follow it. A call
 * with no stored result gets an error result; a result whose call is not in
 * the history (cut off by the history window) is dropped.
 */
export async function toModelMessages(history: readonly NewMessage[], options: HistoryOptions): Promise<Conversation> {
  const results = new Map<string, StoredToolResult>();
  for (const message of history) {
    for (const part of message.content) if (part.type === "tool_result") results.set(part.tool_call_id, part);
  }

  const instructions: string[] = [];
  const messages: ModelMessage[] = [];
  for (const message of history) {
    switch (message.role) {
      case "SYSTEM": {
        const text = textParts(message.content);
        if (text) instructions.push(text);
        break;
      }
      case "USER": {
        const content = await userContent(message.content, options);
        if (content.length > 0) messages.push({ role: "user", content });
        break;
      }
      case "AGENT": {
        const calls = message.content.filter((p): p is ToolCallPart => p.type === "tool_call");
        const content = assistantContent(message);
        // An assistant message with nothing the model said (e.g. an empty partial answer) is rejected by Anthropic.
        if (!content.some((p) => p.type === "text" || p.type === "tool-call")) break;
        messages.push({ role: "assistant", content });
        if (calls.length > 0) {
          messages.push({
            role: "tool",
            content: await Promise.all(calls.map((call) => toolResult(call, results.get(call.id), options))),
          });
        }
        break;
      }
      case "TOOL_RESULT":
        break; // already placed right after its call
    }
  }
  return { instructions, messages };
}

/**
 * The system prompt: stored system instructions, then one line for the locale
 * ("Answer in French (France); the user's locale is fr-FR.") and one with the
 * hints as JSON. Undefined when
 * there is nothing to say, so no empty system message is sent.
 */
export function buildSystemPrompt(options: { locale?: string; hints?: JsonObject; instructions?: readonly string[] }): string | undefined {
  const lines = [...(options.instructions ?? [])];
  if (options.locale) lines.push(`Answer in ${languageName(options.locale)}; the user's locale is ${options.locale}.`);
  if (options.hints && Object.keys(options.hints).length > 0) {
    lines.push(`Hints from the application (JSON): ${JSON.stringify(options.hints)}`);
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}

/** "fr-CA" → "Canadian French", "fr-FR" → "French (France)"; the tag itself when ICU does not know it. */
function languageName(locale: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(locale) ?? locale;
  } catch {
    return locale;
  }
}

const textParts = (parts: readonly ContentPart[]) =>
  parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");

async function userContent(parts: readonly ContentPart[], options: HistoryOptions): Promise<Exclude<UserContent, string>> {
  const content: Exclude<UserContent, string> = [];
  for (const part of parts) {
    if (part.type === "text") content.push({ type: "text", text: part.text });
    else if (part.type === "image") content.push(imagePart(part));
    else if (part.type === "image_file") {
      const image = await options.loadImage(part.image_id);
      // A deleted image must not fail every later turn of the session.
      content.push(image ? { type: "image", image: image.bytes, mediaType: image.mediaType } : { type: "text", text: IMAGE_UNAVAILABLE });
    }
  }
  return content;
}

function imagePart(part: ImagePart): { type: "image"; image: string | URL; mediaType?: string } {
  // The SDK splits data: URLs into media type and base64 itself; http(s) URLs go to the provider as URLs.
  if (part.url !== undefined) return { type: "image", image: new URL(part.url), ...(part.media_type ? { mediaType: part.media_type } : {}) };
  return { type: "image", image: part.base64 ?? "", ...(part.media_type ? { mediaType: part.media_type } : {}) };
}

function assistantContent(message: NewMessage): Exclude<AssistantContent, string> {
  const content: Exclude<AssistantContent, string> = [];
  // Anthropic wants the signed thinking block back, first, or it rejects the
  // follow-up of a tool call made while thinking. Without a signature the
  // provider could not verify it, so unsigned thinking is not sent. The
  // OpenAI Chat Completions converter ignores reasoning parts.
  if (message.thinking && message.thinkingSignature) {
    content.push({
      type: "reasoning",
      text: message.thinking,
      providerOptions: { anthropic: { signature: message.thinkingSignature } },
    });
  }
  const text = textParts(message.content);
  if (text) content.push({ type: "text", text });
  for (const part of message.content) {
    if (part.type === "tool_call") content.push({ type: "tool-call", toolCallId: part.id, toolName: part.name, input: part.arguments });
  }
  return content;
}

async function toolResult(call: ToolCallPart, result: StoredToolResult | undefined, options: HistoryOptions): Promise<ToolResultPart> {
  const base = { type: "tool-result" as const, toolCallId: call.id, toolName: call.name };
  if (!result) return { ...base, output: { type: "error-text", value: MISSING_RESULT } };
  const text = result.content.map((p) => (p.type === "text" ? p.text : `[image]`)).join("\n");
  // Providers mark errors only on text results, so an error result is its text.
  if (result.is_error) return { ...base, output: { type: "error-text", value: text } };
  if (!options.imagesInToolResults || result.content.every((p) => p.type === "text")) return { ...base, output: { type: "text", value: text } };
  const value = await Promise.all(result.content.map((p) => toolResultContent(p, options)));
  return { ...base, output: { type: "content", value } };
}

type ToolOutputContent = Extract<ToolResultPart["output"], { type: "content" }>["value"][number];

async function toolResultContent(part: ToolResultContent, options: HistoryOptions): Promise<ToolOutputContent> {
  if (part.type === "text") return { type: "text", text: part.text };
  if (part.type === "image") return imageOutput(part);
  return imageFileOutput(part, options);
}

function imageOutput(part: ImagePart): ToolOutputContent {
  if (part.base64 !== undefined) return { type: "image-data", data: part.base64, mediaType: part.media_type ?? "image/png" };
  const url = part.url ?? "";
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (dataUrl) return { type: "image-data", mediaType: dataUrl[1]!, data: dataUrl[2]! };
  return { type: "image-url", url };
}

async function imageFileOutput(part: ImageFilePart, options: HistoryOptions): Promise<ToolOutputContent> {
  const image = await options.loadImage(part.image_id);
  if (!image) return { type: "text", text: IMAGE_UNAVAILABLE };
  return { type: "image-data", data: Buffer.from(image.bytes).toString("base64"), mediaType: image.mediaType };
}
