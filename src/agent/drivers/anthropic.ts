// The `anthropic` driver: the Messages API (ANTHROPIC_API_KEY,
// ANTHROPIC_BASE_URL) through @ai-sdk/anthropic. Reasoning effort turns on
// extended thinking with a token budget; the thinking text and its signature
// come back as `thinking` / `thinkingSignature` and are replayed from history.
import { createAnthropic } from "@ai-sdk/anthropic";
import { providerSettings, runSdkStep, type ProviderOptions } from "./ai-sdk.js";
import type { AgentDriver, StepRequest } from "./driver.js";

export interface AnthropicDriverOptions extends ProviderOptions {
  /** Including the version path, e.g. "https://api.anthropic.com/v1"; the SDK reads ANTHROPIC_BASE_URL when unset. */
  baseURL?: string;
  /** Sent as `x-api-key`; the SDK reads ANTHROPIC_API_KEY when unset. */
  apiKey?: string;
}

/** Thinking budget per reasoning effort (Anthropic's minimum budget is 1024). */
export const THINKING_BUDGET: Record<NonNullable<StepRequest["reasoningEffort"]>, number> = {
  low: 1024,
  medium: 4096,
  high: 16384,
};

export function createAnthropicDriver(options: AnthropicDriverOptions = {}): AgentDriver {
  const provider = createAnthropic(providerSettings(options));
  return {
    name: "anthropic",
    step(request, onTextDelta) {
      const budget = request.reasoningEffort ? THINKING_BUDGET[request.reasoningEffort] : undefined;
      return runSdkStep(provider.messages(request.model), request, onTextDelta, {
        // The SDK sends max_tokens = maxOutputTokens (or the model's maximum) + budgetTokens,
        // so the answer keeps its full allowance above the thinking budget. Models that only
        // think adaptively get adaptive thinking instead (the SDK converts it).
        ...(budget ? { providerOptions: { anthropic: { thinking: { type: "enabled", budgetTokens: budget } } } } : {}),
        imagesInToolResults: true,
        maxRetries: options.maxRetries ?? 2,
      });
    },
  };
}
