// The one typed Message, its REST shape (what REST answers and what events
// carry in `data.message`), and which events produce a message. The store
// writes the Message projection in the append statement and can rebuild it
// from the log with the same function.
import type { ContentPart, JsonObject, StoredControls, StoredExternalActor, ToolResultContent } from "./content.js";
import type { MessageDelivery, MessagePhase, MessageRole } from "./enums.js";
import type { StoredEvent } from "./events.js";

/** A message as its author (user, model, tool) made it, before the log gave it a place. */
export interface NewMessage {
  id: string;
  sessionId: string;
  role: MessageRole;
  content: ContentPart[];
  controls: StoredControls | null;
  externalActor: StoredExternalActor | null;
  metadata: JsonObject | null;
  tags: string[];
  phase: MessagePhase | null;
  thinking: string | null;
  thinkingSignature: string | null;
  turnId: string | null;
  /** A user message's delivery (SPEC §11): STARTED, QUEUED or STEERED; null on other roles. */
  delivery: MessageDelivery | null;
  createdAt: Date;
}

/** A new message: what its author gave, every other field empty. */
export function newMessage(m: Pick<NewMessage, "id" | "sessionId" | "role" | "content"> & Partial<NewMessage>): NewMessage {
  return {
    controls: null,
    externalActor: null,
    metadata: null,
    tags: [],
    phase: null,
    thinking: null,
    thinkingSignature: null,
    turnId: null,
    delivery: null,
    createdAt: new Date(),
    ...m,
  };
}

/** A message in the log: the event that produced it and that event's sequence. */
export interface Message extends NewMessage {
  eventId: string;
  sequence: number;
}

/** The REST shape of a message (snake_case, lowercase enums, RFC 3339 time); `sequence` once it is logged. */
export interface RestMessage {
  id: string;
  session_id: string;
  role: Lowercase<MessageRole>;
  content: ContentPart[];
  controls?: StoredControls | null;
  external_actor?: StoredExternalActor | null;
  metadata?: JsonObject | null;
  tags?: string[];
  phase?: Lowercase<MessagePhase> | null;
  thinking?: string | null;
  thinking_signature?: string | null;
  turn_id?: string | null;
  delivery?: Lowercase<MessageDelivery> | null;
  sequence?: number;
  created_at: string;
}

const lower = <T extends string>(value: T) => value.toLowerCase() as Lowercase<T>;
const upper = <T extends string>(value: T) => value.toUpperCase() as Uppercase<T>;

/** The REST shape; `external_actor.actor_name` falls back to `actor_id`. */
export function messageToRest(m: NewMessage | Message): RestMessage {
  const actor = m.externalActor;
  return {
    id: m.id,
    session_id: m.sessionId,
    role: lower(m.role),
    content: m.content,
    controls: m.controls,
    external_actor: actor && { ...actor, actor_name: actor.actor_name ?? actor.actor_id },
    metadata: m.metadata,
    tags: m.tags,
    phase: m.phase && lower(m.phase),
    thinking: m.thinking,
    thinking_signature: m.thinkingSignature,
    turn_id: m.turnId,
    delivery: m.delivery && lower(m.delivery),
    ...("sequence" in m ? { sequence: m.sequence } : {}),
    created_at: m.createdAt.toISOString(),
  };
}

/** A message from its REST shape (event data; fields older events lack are empty). */
export function messageFromRest(m: RestMessage): NewMessage {
  return {
    id: m.id,
    sessionId: m.session_id,
    role: upper(m.role),
    content: m.content,
    controls: m.controls ?? null,
    externalActor: m.external_actor ?? null,
    metadata: m.metadata ?? null,
    tags: m.tags ?? [],
    phase: m.phase ? upper(m.phase) : null,
    thinking: m.thinking ?? null,
    thinkingSignature: m.thinking_signature ?? null,
    turnId: m.turn_id ?? null,
    delivery: m.delivery ? upper(m.delivery) : null,
    createdAt: new Date(m.created_at),
  };
}

export const MESSAGE_EVENT_TYPES = ["input.message", "output.message.completed", "tool.completed"] as const;

/** The message an event produces, or null for the events that produce none. */
export function messageFromEvent(event: Pick<StoredEvent, "type" | "sessionId" | "ts" | "context" | "data">): NewMessage | null {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case "input.message":
    case "output.message.completed":
      return messageFromRest(data.message as RestMessage);
    case "tool.completed":
      return newMessage({
        id: data.message_id as string,
        sessionId: event.sessionId,
        role: "TOOL_RESULT",
        content: [
          {
            type: "tool_result",
            tool_call_id: data.tool_call_id as string,
            content: (data.result as ToolResultContent[] | undefined) ?? [],
            is_error: data.status === "error",
          },
        ],
        turnId: event.context.turnId ?? (data.turn_id as string | undefined) ?? null,
        createdAt: event.ts,
      });
    default:
      return null;
  }
}
