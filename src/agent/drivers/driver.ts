// What the turn runner needs from a model provider: one model step at a time.
// The runner owns the loop (tools, events, iterations); a driver only turns
// the conversation so far into streamed text and tool calls.
import type { JsonObject } from "../../domain/content.js";
import type { NewMessage } from "../../domain/messages.js";
import type { Usage } from "../../domain/events.js";
import type { ToolOutcome } from "../tools/catalog.js";

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonObject;
}

export interface StepRequest {
  /** The session the turn belongs to (the upstream AG-UI agent's threadId). */
  sessionId: string;
  /** Provider model name (e.g. "gpt-4o-mini"); "demo" for the demo driver. */
  model: string;
  /**
   * The session's messages so far, oldest first: user, agent (text, tool
   * calls, thinking) and tool results. Messages steered into the turn (SPEC
   * §11) are user messages after the tool results of the step before the one
   * that first sees them.
   */
  history: readonly NewMessage[];
  /** The id of the user message whose turn this step belongs to (in `history`). */
  inputMessageId?: string;
  /** The tools the turn's agent offers (only these may be called). */
  tools: readonly ToolSpec[];
  /** The agent's instructions: the system prompt, sent first in every model step. */
  instructions?: string;
  /** The agent's name; undefined for the default agent. */
  agentName?: string;
  reasoningEffort?: "low" | "medium" | "high";
  maxTokens?: number;
  locale?: string;
  /** Session hints merged key-by-key with the message's. */
  hints?: JsonObject;
  /** Image bytes for image_file parts, loaded by the runner. */
  loadImage(imageId: string): Promise<{ mediaType: string; bytes: Uint8Array } | null>;
  /** The previous step's `continuation`: the provider's run goes on instead of a new request. */
  continuation?: StepContinuation;
  signal: AbortSignal;
}

export interface StepToolCall {
  id: string;
  name: string;
  arguments: JsonObject;
  /** Set when the provider ran the tool itself (an upstream agent): recorded as is, never run by Parley. */
  result?: ToolOutcome;
}

export interface StepResult {
  text: string;
  toolCalls: StepToolCall[];
  thinking?: string | null;
  thinkingSignature?: string | null;
  usage: Usage;
  /**
   * The provider's run did not end with this step (it ran the step's tools and
   * goes on): hand it back in the next step's request; the turn closes it when
   * it ends before asking for another step.
   */
  continuation?: StepContinuation;
}

/** A provider run still open after a step. */
export interface StepContinuation {
  /** Stops the run (closes its request); idempotent. */
  close(): void;
}

export interface AgentDriver {
  readonly name: string;
  /** Runs one model step, calling `onTextDelta` for each streamed piece of text, in order. */
  step(request: StepRequest, onTextDelta: (delta: string) => void): Promise<StepResult>;
}

/** A provider failure: `message` is safe to show (STANDARD), `detail` is the provider's own text (DETAILED). */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
    readonly code: "llm_error" | "model_unavailable" = "llm_error",
  ) {
    super(message);
    this.name = "DriverError";
  }
}
