// The `openai` driver: any OpenAI-compatible Chat Completions endpoint
// (OPENAI_BASE_URL, OPENAI_API_KEY) through @ai-sdk/openai. `.chat(model)`
// pins the Chat Completions API, which every compatible server speaks (the
// provider's default would be the newer Responses API).
import { createOpenAI } from "@ai-sdk/openai";
import { providerSettings, runSdkStep, type ProviderOptions } from "./ai-sdk.js";
import type { AgentDriver } from "./driver.js";

export interface OpenAIDriverOptions extends ProviderOptions {
  /** e.g. "https://api.openai.com/v1" or "http://localhost:11434/v1"; the SDK reads OPENAI_BASE_URL when unset. */
  baseURL?: string;
  /** Sent as `Authorization: Bearer …`; the SDK reads OPENAI_API_KEY when unset. */
  apiKey?: string;
}

export function createOpenAIDriver(options: OpenAIDriverOptions = {}): AgentDriver {
  const provider = createOpenAI(providerSettings(options));
  return {
    name: "openai",
    step(request, onTextDelta) {
      return runSdkStep(provider.chat(request.model), request, onTextDelta, {
        // Sent as `reasoning_effort`; for reasoning models (o*, gpt-5) the SDK also sends max_tokens as max_completion_tokens.
        ...(request.reasoningEffort ? { providerOptions: { openai: { reasoningEffort: request.reasoningEffort } } } : {}),
        imagesInToolResults: false,
        maxRetries: options.maxRetries ?? 2,
      });
    },
  };
}
