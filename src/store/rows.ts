// The Message projection's SQL, in one place: the columns every read selects,
// and the record every insert (append, rebuild) takes its rows from.
import type { Message as MessageRow } from "../generated/prisma/client.js";
import type { Message, NewMessage } from "../domain/messages.js";

/** A Message's columns, in the order every read selects them. */
export const MESSAGE_FIELDS = ["id", "sessionId", "eventId", "sequence", "role", "content", "controls", "externalActor", "metadata",
  "tags", "phase", "thinking", "thinkingSignature", "turnId", "delivery", "createdAt"] as const satisfies readonly (keyof Message)[];

/** Columns a message read selects; the driver returns them as a Message. */
export const MESSAGE_COLUMNS = MESSAGE_FIELDS.map((f) => `"${f}"`).join(", ");

/**
 * SQL: a message row of `alias` as a JSON array of MESSAGE_FIELDS. A json_agg
 * of these (the claim's history, up to 200 messages every turn) is two thirds
 * the bytes of to_jsonb objects and parses in 60% of the time.
 */
export const messageJsonArray = (alias: string) => `json_build_array(${MESSAGE_FIELDS.map((f) => `${alias}."${f}"`).join(", ")})`;

/**
 * A messageJsonArray value back as a Message (its timestamp came as text).
 * Written out in MESSAGE_FIELDS order (test/unit/rows.test.ts checks they
 * agree): a literal builds 200 messages a turn far faster than keyed stores.
 */
export function messageFromJsonArray(v: readonly unknown[]): Message {
  return {
    id: v[0], sessionId: v[1], eventId: v[2], sequence: v[3], role: v[4], content: v[5], controls: v[6], externalActor: v[7],
    metadata: v[8], tags: v[9], phase: v[10], thinking: v[11], thinkingSignature: v[12], turnId: v[13], delivery: v[14],
    createdAt: new Date(v[15] as string),
  } as Message;
}

/**
 * The newest `limit` messages a turn's model sees before its input (newest
 * first; the caller orders them): all but the input itself and user messages
 * still waiting for their turn (logged after it, or before it but queued
 * behind an INTERRUPT). The arguments are SQL expressions.
 */
export const historyBeforeSql = (input: { sessionId: string; id: string; sequence: string }, limit: string) => `
  SELECT ${MESSAGE_COLUMNS.replaceAll(/"(\w+)"/g, 'h."$1"')} FROM "Message" h
   WHERE h."sessionId" = ${input.sessionId} AND h."id" <> ${input.id}
     AND NOT (h."role" = 'USER' AND (h."sequence" > ${input.sequence} OR EXISTS (
           SELECT 1 FROM "Turn" t WHERE t."inputMessageId" = h."id" AND t."status" = 'QUEUED')))
   ORDER BY h."sequence" DESC LIMIT ${limit}`;

/** `INSERT INTO "Message" (…) SELECT …` from `jsonb_to_recordset(<records>) AS m`, the sequence given by `sequence`. */
export const insertMessages = (sessionId: string, records: string, sequence: string, from = "") => `
  INSERT INTO "Message" ("id", "sessionId", "eventId", "sequence", "role", "content", "controls", "externalActor",
                         "metadata", "tags", "phase", "thinking", "thinkingSignature", "turnId", "delivery", "createdAt")
  SELECT m.id, ${sessionId}, m.event_id, ${sequence}, m.role::"MessageRole", m.content, m.controls, m.external_actor,
         m.metadata, m.tags, m.phase::"MessagePhase", m.thinking, m.thinking_signature, m.turn_id,
         m.delivery::"MessageDelivery", m.created_at
    FROM ${from} jsonb_to_recordset(${records})
      AS m(ord int, sequence int, id text, event_id text, role text, content jsonb, controls jsonb, external_actor jsonb,
           metadata jsonb, tags text[], phase text, thinking text, thinking_signature text, turn_id text, delivery text,
           created_at timestamptz)`;

/** One record of `insertMessages`; `ord` places it in an append, `sequence` in a rebuild. */
export function messageRecord(m: NewMessage, at: { eventId: string; ord?: number; sequence?: number }) {
  return {
    ord: at.ord ?? null,
    sequence: at.sequence ?? null,
    id: m.id,
    event_id: at.eventId,
    role: m.role,
    content: m.content,
    controls: m.controls,
    external_actor: m.externalActor,
    metadata: m.metadata,
    tags: m.tags,
    phase: m.phase,
    thinking: m.thinking,
    thinking_signature: m.thinkingSignature,
    turn_id: m.turnId,
    delivery: m.delivery,
    created_at: m.createdAt.toISOString(),
  };
}

/** A Message row as Prisma types it (JSON columns untyped) is a Message. */
export const toMessage = (row: MessageRow): Message => row as unknown as Message;
