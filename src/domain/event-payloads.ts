// The event-payload catalogue (SPEC §12): which typed fields each event type's
// `data` has. src/graphql/payload.ts builds `SessionEvent.payload`'s union
// from it, one member per entry, so adding an event type is one line in
// EVENT_PAYLOADS (plus a line in PAYLOAD_FIELDS for a data key never seen before).
//
// Every field is defined once, by its GraphQL name, in PAYLOAD_FIELDS: a field
// shared by several members therefore has the same type and nullability on all
// of them, which is what lets one document select it on every member.

/** How a data value is typed in GraphQL. */
export type PayloadFieldKind =
  | "ID"
  | "String"
  | "Int"
  | "DateTime"
  | "StringList"
  /** the event's derived message, resolved like SessionEvent.message */
  | "Message"
  /** {id, name, arguments} → ToolCallPart */
  | "ToolCall"
  /** content parts → [ToolResultContent!] */
  | "ToolResults"
  /** {input_tokens, output_tokens} → Usage */
  | "Usage"
  /** snake_case value → enum value in upper case */
  | "TurnErrorCode"
  | "PendingKind"
  | "ErrorDisclosure";

export interface PayloadField {
  /** The key in the event's stored `data` (snake_case). */
  key: string;
  kind: PayloadFieldKind;
  nullable: boolean;
}

const field = (key: string, kind: PayloadFieldKind, nullable = false): PayloadField => ({ key, kind, nullable });

/** Every typed payload field, by its GraphQL (camelCase) name. */
export const PAYLOAD_FIELDS = {
  modelId: field("model_id", "ID", true),
  message: field("message", "Message", true),
  turnId: field("turn_id", "ID"),
  inputMessageId: field("input_message_id", "ID"),
  agentId: field("agent_id", "ID", true),
  messageId: field("message_id", "ID"),
  model: field("model", "String"),
  iteration: field("iteration", "Int"),
  delta: field("delta", "String"),
  usage: field("usage", "Usage"),
  toolCall: field("tool_call", "ToolCall"),
  toolCallId: field("tool_call_id", "ID"),
  toolName: field("tool_name", "String"),
  status: field("status", "String"),
  result: field("result", "ToolResults"),
  // Null on a successful tool.completed; always set on turn.failed, but one name has one type.
  error: field("error", "String", true),
  iterations: field("iterations", "Int"),
  durationMs: field("duration_ms", "Int"),
  finalMessageId: field("final_message_id", "ID", true),
  errorCode: field("error_code", "TurnErrorCode"),
  errorDisclosure: field("error_disclosure", "ErrorDisclosure"),
  reason: field("reason", "String"),
  fields: field("fields", "StringList"),
  kind: field("kind", "PendingKind"),
  expiresAt: field("expires_at", "DateTime"),
  forkedFromSessionId: field("forked_from_session_id", "ID"),
  forkedFromSequence: field("forked_from_sequence", "Int"),
} as const satisfies Record<string, PayloadField>;

export type PayloadFieldName = keyof typeof PAYLOAD_FIELDS;

export interface EventPayloadEntry {
  description: string;
  fields: readonly PayloadFieldName[];
}

/** Event type → its typed fields (SPEC §4, §9, §10, §11). */
export const EVENT_PAYLOADS: Record<string, EventPayloadEntry> = {
  "session.started": { description: "The session was created (sequence 1).", fields: ["modelId"] },
  "session.updated": { description: "updateSession changed these fields.", fields: ["fields"] },
  "session.forked": { description: "This session was forked from another one, up to a sequence.", fields: ["forkedFromSessionId", "forkedFromSequence"] },
  "input.message": { description: "A user message was stored.", fields: ["message"] },
  "turn.started": { description: "A turn began for an input message.", fields: ["turnId", "inputMessageId", "agentId"] },
  "session.activated": { description: "The session is running a turn.", fields: ["turnId", "inputMessageId"] },
  "output.message.started": { description: "A model step began.", fields: ["turnId", "messageId", "model", "iteration"] },
  "output.message.delta": { description: "Streamed text of the step's agent message.", fields: ["turnId", "messageId", "delta"] },
  "output.message.completed": { description: "The step's agent message, whole.", fields: ["turnId", "message", "usage"] },
  "tool.call_requested": { description: "A tool call waits for the client's result or a person's approval.", fields: ["turnId", "toolCall", "kind", "expiresAt"] },
  "tool.started": { description: "A server tool began running.", fields: ["turnId", "toolCall"] },
  "tool.completed": {
    description: "A tool call ended; its TOOL_RESULT message is `message`.",
    fields: ["turnId", "messageId", "toolCallId", "toolName", "status", "result", "error", "message"],
  },
  "turn.resumed": { description: "A waiting turn got all its answers and goes on.", fields: ["turnId"] },
  "turn.completed": { description: "The turn ended with an answer.", fields: ["turnId", "iterations", "durationMs", "usage", "finalMessageId"] },
  "turn.failed": { description: "The turn ended with an error.", fields: ["turnId", "errorCode", "error", "errorDisclosure"] },
  "turn.cancelled": { description: "The turn was cancelled.", fields: ["turnId", "reason"] },
  "session.idled": { description: "The session is idle after a turn.", fields: ["turnId", "iterations", "usage"] },
};

/** `output.message.delta` → `OutputMessageDeltaPayload`. */
export function payloadTypeName(eventType: string): string {
  const words = eventType.split(/[._]/).filter(Boolean);
  return `${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("")}Payload`;
}
