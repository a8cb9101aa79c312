// Mapping between the stored message shape (REST/event JSON) and Message rows.
import type { Message as MessageRow } from "../generated/prisma/client.js";
import type { ContentPart, JsonObject, Phase, Role, StoredControls, StoredExternalActor, StoredMessage } from "../domain/content.js";

export type { MessageRow };

const ROLE_TO_ROW = { system: "SYSTEM", user: "USER", agent: "AGENT", tool_result: "TOOL_RESULT" } as const;
const PHASE_TO_ROW = { commentary: "COMMENTARY", final_answer: "FINAL_ANSWER" } as const;
const lower = <T extends string>(value: string) => value.toLowerCase() as T;

/** Columns of a projected message, snake_case for jsonb_to_recordset. */
export function messageRow(m: StoredMessage) {
  return {
    id: m.id,
    role: ROLE_TO_ROW[m.role],
    content: m.content,
    controls: m.controls ?? null,
    external_actor: m.external_actor ?? null,
    metadata: m.metadata ?? null,
    tags: m.tags ?? [],
    phase: m.phase ? PHASE_TO_ROW[m.phase] : null,
    thinking: m.thinking ?? null,
    thinking_signature: m.thinking_signature ?? null,
    turn_id: m.turn_id ?? null,
    created_at: m.created_at,
  };
}

/** A Message row back in the stored (REST) shape, with its sequence. */
export function storedMessage(row: MessageRow): StoredMessage & { sequence: number } {
  return {
    id: row.id,
    session_id: row.sessionId,
    role: lower<Role>(row.role),
    content: row.content as ContentPart[],
    controls: (row.controls as StoredControls | null) ?? null,
    external_actor: (row.externalActor as StoredExternalActor | null) ?? null,
    metadata: (row.metadata as JsonObject | null) ?? null,
    tags: row.tags,
    phase: row.phase ? lower<Phase>(row.phase) : null,
    thinking: row.thinking,
    thinking_signature: row.thinkingSignature,
    turn_id: row.turnId,
    sequence: row.sequence,
    created_at: row.createdAt.toISOString(),
  };
}

/** The row the projection wrote for a message appended just now, without reading it back. */
export function rowOf(m: StoredMessage, event: { id: string; sequence: number }): MessageRow {
  const r = messageRow(m);
  return {
    id: r.id,
    sessionId: m.session_id,
    eventId: event.id,
    sequence: event.sequence,
    role: r.role,
    content: r.content as MessageRow["content"],
    controls: r.controls as MessageRow["controls"],
    externalActor: r.external_actor as MessageRow["externalActor"],
    metadata: r.metadata as MessageRow["metadata"],
    tags: r.tags,
    phase: r.phase,
    thinking: r.thinking,
    thinkingSignature: r.thinking_signature,
    turnId: r.turn_id,
    createdAt: new Date(r.created_at),
  };
}
