// The one typed Event (a logged event and its REST shape), the event
// catalogue of SPEC §4 as typed constructors, and the event-type filter
// pattern. An event's `data` is plain JSON (snake_case, like the seeds); the
// store adds id, sequence and ts.
import { checkStorableString } from "./json-bounds.js";
import type { Disclosure, JsonObject, ToolResultContent } from "./content.js";
import { messageToRest, type NewMessage } from "./messages.js";

/** An event in a session's log. */
export interface StoredEvent {
  id: string;
  sessionId: string;
  sequence: number;
  type: string;
  ts: Date;
  context: { turnId: string | null; inputMessageId: string | null };
  data: JsonObject;
}

/** The REST (and REST SSE) shape of an event. */
export function eventToRest(e: StoredEvent) {
  return {
    id: e.id,
    session_id: e.sessionId,
    sequence: e.sequence,
    type: e.type,
    ts: e.ts.toISOString(),
    context: { turn_id: e.context.turnId, input_message_id: e.context.inputMessageId },
    data: e.data,
  };
}

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

  inputMessage: (message: NewMessage) =>
    ev("input.message", { turnId: message.turnId, inputMessageId: message.id }, { message: messageToRest(message) }),

  /** `agent_id` is null for the default agent (SPEC §10). */
  turnStarted: (turnId: string, inputMessageId: string, agentId: string | null = null) =>
    ev("turn.started", { turnId, inputMessageId }, { turn_id: turnId, input_message_id: inputMessageId, agent_id: agentId }),

  sessionActivated: (turnId: string, inputMessageId: string) =>
    ev("session.activated", { turnId, inputMessageId }, { turn_id: turnId, input_message_id: inputMessageId }),

  outputMessageStarted: (ctx: Required<EventContext>, messageId: string, model: string, iteration: number) =>
    ev("output.message.started", ctx, { turn_id: ctx.turnId, message_id: messageId, model, iteration }),

  outputMessageDelta: (ctx: Required<EventContext>, messageId: string, delta: string) =>
    ev("output.message.delta", ctx, { turn_id: ctx.turnId, message_id: messageId, delta }),

  outputMessageCompleted: (ctx: Required<EventContext>, message: NewMessage, usage: Usage) =>
    ev("output.message.completed", ctx, { turn_id: ctx.turnId, message: messageToRest(message), usage }),

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

/**
 * An event type filter of `sessionEvents(types, exclude)`, `Session.events`
 * and the SSE routes: an exact name, or a prefix ending in '*' ("output.message.*").
 */
export type TypePattern = { exact: string } | { prefix: string };

/** Checks `types` / `exclude` filters: strings a stored type could match (no NUL or unpaired surrogate). */
export function checkTypeFilters(filters: { types?: readonly string[] | null; exclude?: readonly string[] | null }): void {
  for (const field of ["types", "exclude"] as const) {
    filters[field]?.forEach((pattern, i) => checkStorableString(pattern, `${field}[${i}]`));
  }
}

export const parseTypePattern = (pattern: string): TypePattern =>
  pattern.endsWith("*") ? { prefix: pattern.slice(0, -1) } : { exact: pattern };

const matchesPattern = (p: TypePattern, type: string) => ("prefix" in p ? type.startsWith(p.prefix) : type === p.exact);

/** Whether an event type passes `types` (any, when empty) and not `exclude`. */
export function eventTypeFilter(types?: readonly string[] | null, exclude?: readonly string[] | null): (type: string) => boolean {
  const include = types?.length ? types.map(parseTypePattern) : null;
  const skip = exclude?.length ? exclude.map(parseTypePattern) : [];
  return (type) => (!include || include.some((p) => matchesPattern(p, type))) && !skip.some((p) => matchesPattern(p, type));
}
