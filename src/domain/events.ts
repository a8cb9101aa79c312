// The event catalogue of SPEC §4 as typed constructors. An event's `data` is
// plain JSON (snake_case, like the seeds); the store adds id, sequence and ts.
import type { ContentPart, Disclosure, JsonObject, StoredMessage, ToolResultContent } from "./content.js";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export const zeroUsage = (): Usage => ({ input_tokens: 0, output_tokens: 0 });
export const addUsage = (a: Usage, b: Usage): Usage => ({
  input_tokens: a.input_tokens + b.input_tokens,
  output_tokens: a.output_tokens + b.output_tokens,
});

export interface EventContext {
  turnId?: string | null;
  inputMessageId?: string | null;
}

/** An event about to be appended: everything but id, sequence and ts. */
export interface NewEvent<T extends string = string, D extends JsonObject | object = object> {
  type: T;
  context: EventContext;
  data: D;
}

export type TurnErrorCode = "llm_error" | "max_iterations" | "interrupted" | "tool_error" | "model_unavailable";

const ev = <T extends string, D extends object>(type: T, context: EventContext, data: D): NewEvent<T, D> => ({
  type,
  context,
  data,
});

export const events = {
  sessionStarted: (modelId: string | null) => ev("session.started", {}, { model_id: modelId }),

  inputMessage: (message: StoredMessage, turnId: string | null = null) =>
    ev("input.message", { turnId, inputMessageId: message.id }, { message }),

  /** `agent_id` is null for the default agent (SPEC §10). */
  turnStarted: (turnId: string, inputMessageId: string, agentId: string | null = null) =>
    ev("turn.started", { turnId, inputMessageId }, { turn_id: turnId, input_message_id: inputMessageId, agent_id: agentId }),

  sessionActivated: (turnId: string, inputMessageId: string) =>
    ev("session.activated", { turnId, inputMessageId }, { turn_id: turnId, input_message_id: inputMessageId }),

  outputMessageStarted: (ctx: Required<EventContext>, messageId: string, model: string, iteration: number) =>
    ev("output.message.started", ctx, { turn_id: ctx.turnId, message_id: messageId, model, iteration }),

  outputMessageDelta: (ctx: Required<EventContext>, messageId: string, delta: string) =>
    ev("output.message.delta", ctx, { turn_id: ctx.turnId, message_id: messageId, delta }),

  outputMessageCompleted: (ctx: Required<EventContext>, message: StoredMessage, usage: Usage) =>
    ev("output.message.completed", ctx, { turn_id: ctx.turnId, message, usage }),

  toolStarted: (ctx: Required<EventContext>, toolCall: { id: string; name: string; arguments: JsonObject }) =>
    ev("tool.started", ctx, { turn_id: ctx.turnId, tool_call: toolCall }),

  /** A call that waits for a client's result or a person's decision (SPEC §11). */
  toolCallRequested: (
    ctx: Required<EventContext>,
    toolCall: { id: string; name: string; arguments: JsonObject },
    kind: "client" | "approval",
    expiresAt: Date,
  ) => ev("tool.call_requested", ctx, { turn_id: ctx.turnId, tool_call: toolCall, kind, expires_at: expiresAt.toISOString() }),

  turnResumed: (ctx: Required<EventContext>) => ev("turn.resumed", ctx, { turn_id: ctx.turnId }),

  toolCompleted: (
    ctx: Required<EventContext>,
    r: { messageId: string; toolCallId: string; toolName: string; status: "success" | "error"; result: ToolResultContent[]; error: string | null },
  ) =>
    ev("tool.completed", ctx, {
      turn_id: ctx.turnId,
      message_id: r.messageId,
      tool_call_id: r.toolCallId,
      tool_name: r.toolName,
      status: r.status,
      result: r.result,
      error: r.error,
    }),

  turnCompleted: (ctx: Required<EventContext>, r: { iterations: number; durationMs: number; usage: Usage; finalMessageId: string | null }) =>
    ev("turn.completed", ctx, {
      turn_id: ctx.turnId,
      iterations: r.iterations,
      duration_ms: r.durationMs,
      usage: r.usage,
      final_message_id: r.finalMessageId,
    }),

  turnFailed: (ctx: Required<EventContext>, r: { errorCode: TurnErrorCode; error: string; disclosure: Disclosure }) =>
    ev("turn.failed", ctx, { turn_id: ctx.turnId, error_code: r.errorCode, error: r.error, error_disclosure: r.disclosure }),

  turnCancelled: (ctx: Required<EventContext>, reason: string) =>
    ev("turn.cancelled", ctx, { turn_id: ctx.turnId, reason }),

  sessionIdled: (ctx: Required<EventContext>, iterations: number, usage: Usage) =>
    ev("session.idled", ctx, { turn_id: ctx.turnId, iterations, usage }),
};

/** Types that end a turn (one of them is always followed by session.idled). */
export const TURN_END_TYPES = ["turn.completed", "turn.failed", "turn.cancelled"] as const;

/**
 * Event type filters of `sessionEvents(types, exclude)` and the SSE routes:
 * exact names, or prefixes ending in '*' ("output.message.*").
 */
export function eventTypeFilter(types?: readonly string[] | null, exclude?: readonly string[] | null): (type: string) => boolean {
  const matches = (patterns: readonly string[], type: string) =>
    patterns.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : type === p));
  const include = types && types.length > 0 ? types : null;
  const skip = exclude && exclude.length > 0 ? exclude : null;
  return (type) => (!include || matches(include, type)) && !(skip && matches(skip, type));
}

export type { ContentPart };
