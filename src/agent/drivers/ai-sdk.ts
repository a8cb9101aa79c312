// One model step through the Vercel AI SDK, shared by the openai and anthropic
// drivers: history → prompt, `streamText` with tools the SDK must not run
// (the turn runner executes them), stream parts → StepResult, and every
// provider failure → DriverError with a safe message and the provider's text.
import {
  APICallError,
  JSONParseError,
  RetryError,
  TypeValidationError,
  jsonSchema,
  streamText,
  tool,
  type JSONSchema7,
  type LanguageModel,
  type ToolSet,
} from "ai";
import { isJsonObject, type JsonObject } from "../../domain/content.js";
import { jsonBoundsViolation } from "../../domain/json-bounds.js";
import { DriverError, type StepRequest, type StepResult, type ToolSpec } from "./driver.js";
import { causeChain } from "./cause.js";
import { buildSystemPrompt, toModelMessages } from "./history.js";

/** What both providers' drivers take; unset fields leave the SDK to its environment variables. */
export interface ProviderOptions {
  baseURL?: string;
  apiKey?: string;
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  /** Retries of a failed request (429, 5xx, network; Anthropic's 529 overloaded too); default 2. */
  maxRetries?: number;
}

/** The provider factory's settings: only the fields that are set. */
export const providerSettings = (options: ProviderOptions) => ({
  ...(options.baseURL ? { baseURL: options.baseURL } : {}),
  ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  ...(options.fetch ? { fetch: options.fetch } : {}),
});

export interface SdkStepOptions {
  /** Provider options of the call, e.g. `{ openai: { reasoningEffort: "high" } }`. */
  providerOptions?: Record<string, JsonObject>;
  imagesInToolResults: boolean;
  /** SDK retries of the initial request on 429/5xx/network errors (it honours retry-after headers). */
  maxRetries: number;
}

export async function runSdkStep(
  model: LanguageModel,
  request: StepRequest,
  onTextDelta: (delta: string) => void,
  options: SdkStepOptions,
): Promise<StepResult> {
  const { instructions, messages } = await toModelMessages(request.history, {
    loadImage: request.loadImage,
    imagesInToolResults: options.imagesInToolResults,
  });
  // The agent's instructions come first, then any stored SYSTEM messages.
  const system = buildSystemPrompt({
    locale: request.locale,
    hints: request.hints,
    instructions: request.instructions ? [request.instructions, ...instructions] : instructions,
  });

  const result: StepResult = { text: "", toolCalls: [], thinking: null, thinkingSignature: null, usage: { input_tokens: 0, output_tokens: 0 } };
  try {
    const stream = streamText({
      model,
      ...(system ? { system } : {}),
      messages,
      tools: toolSet(request.tools),
      ...(request.maxTokens ? { maxOutputTokens: request.maxTokens } : {}),
      ...(options.providerOptions ? { providerOptions: options.providerOptions } : {}),
      abortSignal: request.signal,
      maxRetries: options.maxRetries,
      // Errors arrive as stream parts and are thrown below; the default handler would also console.error them.
      onError: () => {},
      // Image URLs go to the provider as URLs; never fetch user-supplied URLs from this server.
      experimental_download: async (urls) => urls.map(() => null),
    });

    for await (const part of stream.fullStream) {
      switch (part.type) {
        case "text-delta":
          if (part.text) {
            result.text += part.text;
            onTextDelta(part.text);
          }
          break;
        case "reasoning-delta": {
          result.thinking = (result.thinking ?? "") + part.text;
          // Anthropic sends the thinking block's signature as a signature_delta, which the SDK surfaces here.
          const signature = part.providerMetadata?.anthropic?.signature;
          if (typeof signature === "string") result.thinkingSignature = signature;
          break;
        }
        case "tool-call": {
          // Arguments are stored in the log like client input, under the same bounds.
          const violation = jsonBoundsViolation(part.input);
          if (violation) throw new DriverError("The model sent tool arguments Parley cannot store.", `arguments of ${part.toolName} ${violation}`);
          // An unparsable arguments string arrives as `invalid` with the raw text; the tool then sees {}.
          result.toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: isJsonObject(part.input) ? part.input : {} });
          break;
        }
        case "finish-step":
          result.usage = { input_tokens: part.usage.inputTokens ?? 0, output_tokens: part.usage.outputTokens ?? 0 };
          break;
        case "error":
          throw part.error;
        case "abort":
          throw request.signal.reason ?? new Error("aborted");
      }
    }
  } catch (error) {
    // A cancelled step is the runner's business (it knows why it aborted); not a provider failure.
    if (request.signal.aborted) throw request.signal.reason ?? error;
    throw toDriverError(error);
  }
  if (result.thinking === "") result.thinking = null;
  return result;
}

/** Tools the model may call, declared without `execute` so the SDK stops after one step with the calls. */
function toolSet(tools: readonly ToolSpec[]): ToolSet {
  const set: ToolSet = {};
  for (const spec of tools) {
    set[spec.name] = tool({ description: spec.description, inputSchema: jsonSchema(spec.parameters as JSONSchema7) });
  }
  return set;
}

/**
 * A provider failure as DriverError: the message says what kind of failure it
 * was and never quotes the provider (STANDARD disclosure shows it); `detail`
 * carries the provider's own message and status (DETAILED shows it).
 */
export function toDriverError(error: unknown): DriverError {
  if (error instanceof DriverError) return error;
  // After retries the SDK wraps the last failure.
  if (RetryError.isInstance(error)) return toDriverError(error.lastError);

  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    // `message` is the provider's error message when its body parsed; otherwise show (the start of) the raw body.
    const body = error.data === undefined && error.responseBody ? ` — ${error.responseBody.slice(0, 500)}` : "";
    const detail = status ? `HTTP ${status}: ${error.message}${body}` : `${error.message}${causeChain(error.message, error.cause)}`;
    if (status === undefined) return new DriverError("The model provider could not be reached.", detail);
    if (status === 429) return new DriverError("The model provider is rate limiting requests (HTTP 429).", detail);
    if (status === 401 || status === 403) return new DriverError(`The model provider rejected the credentials (HTTP ${status}).`, detail);
    if (status === 404) return new DriverError("The model is not available at the provider (HTTP 404).", detail, "model_unavailable");
    if (status >= 500) return new DriverError(`The model provider failed (HTTP ${status}).`, detail);
    return new DriverError(`The model provider rejected the request (HTTP ${status}).`, detail);
  }
  if (JSONParseError.isInstance(error) || TypeValidationError.isInstance(error)) {
    return new DriverError("The model provider sent a malformed response.", error.message);
  }
  // In-stream errors (Anthropic `event: error`, an OpenAI `{"error": …}` chunk) are plain objects.
  if (isProviderErrorObject(error)) {
    const { type, message } = error;
    return new DriverError("The model provider reported an error while streaming.", typeof type === "string" ? `${type}: ${message}` : message);
  }
  if (error instanceof Error && error.name === "AI_LoadAPIKeyError") {
    return new DriverError("The model provider is not configured (no API key).", error.message, "model_unavailable");
  }
  const message = error instanceof Error ? `${error.message}${causeChain(error.message, error.cause)}` : String(error);
  return new DriverError("The model call failed.", message);
}

const isProviderErrorObject = (value: unknown): value is { type?: unknown; message: string } =>
  typeof value === "object" && value !== null && !(value instanceof Error) && typeof (value as { message?: unknown }).message === "string";
