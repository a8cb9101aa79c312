// createMessage's write, in one SQL statement (one round trip, atomic without
// an interactive transaction): the owner's session, the idempotency key, the
// session's line (the turn running or waiting, turns queued) and what the
// delivery does given it (SPEC §11 "Messages during a turn"), then the append
// of input.message with its message projection and its queued turn (and an
// interrupted turn's cancel flag). The Session row lock of the append makes
// sequences gapless, as in the event log (src/store/event-log.ts).
import type { DirectSql } from "../db/direct.js";
import type { Delivery } from "../domain/delivery.js";
import type { MessageDelivery } from "../domain/enums.js";
import { events, type StoredEvent } from "../domain/events.js";
import type { Message, NewMessage } from "../domain/messages.js";
import type { JsonObject } from "../domain/content.js";
import { newId } from "../ids.js";
import type { EventLog } from "./event-log.js";
import { insertMessages, messageRecord } from "./rows.js";

// $1 session, $2 owner, $3 idempotency key, $4 request hash, $5 delivery
// (queue | steer | interrupt | reject), $6 the message's own turn, $7 event
// id, $8 event data, $9 message record, $10 ts. `o` is the delivery's
// outcome: STARTED when its turn is next (INTERRUPT always; QUEUE superseding
// a waiting turn with nothing else queued), QUEUED behind others, STEERED into
// the open turn; REJECT with an open turn stores nothing. A steered message
// belongs to the turn it joins (its own Turn row stands by in case no step
// takes it in) and is the session's lastSteerSequence; every stored message is
// its lastInputSequence.
const POST_SQL = `
WITH owned AS (
  SELECT "id" FROM "Session" WHERE "id" = $1 AND "ownerId" = $2
), replay AS (
  SELECT t."requestHash" FROM "Turn" t, owned WHERE t."sessionId" = $1 AND $3::text IS NOT NULL AND t."idempotencyKey" = $3::text
), open AS (
  SELECT t."id", CASE WHEN t."status" = 'RUNNING' THEN 'running' ELSE 'waiting' END AS state FROM "Turn" t
   WHERE t."sessionId" = $1 AND (t."status" IN ('RUNNING', 'WAITING') OR (t."status" = 'QUEUED' AND t."resuming")) LIMIT 1
), line AS (
  SELECT (SELECT "id" FROM open) AS open_id, (SELECT state FROM open) AS open_state,
         EXISTS (SELECT 1 FROM "Turn" WHERE "sessionId" = $1 AND "status" = 'QUEUED' AND NOT "resuming") AS queued
), o AS (
  SELECT open_id, open_state,
         CASE WHEN open_id IS NOT NULL AND $5::text = 'steer' THEN 'STEERED'
              WHEN open_id IS NOT NULL AND $5::text = 'interrupt' THEN 'STARTED'
              WHEN queued OR open_state = 'running' THEN 'QUEUED'
              ELSE 'STARTED' END AS delivery,
         CASE WHEN $5::text = 'interrupt' THEN open_id END AS interrupts,
         CASE WHEN $5::text = 'steer' THEN open_id END AS steers_into,
         COALESCE(CASE WHEN $5::text = 'steer' THEN open_id END, $6::text) AS turn_id,
         (open_id IS NOT NULL AND $5::text = 'reject') AS rejected
    FROM line
), seq AS (
  UPDATE "Session" SET "lastSequence" = "lastSequence" + 1, "messageCount" = "messageCount" + 1,
                       "lastInputSequence" = "lastSequence" + 1,
                       "lastSteerSequence" = CASE WHEN (SELECT steers_into FROM o) IS NOT NULL THEN "lastSequence" + 1 ELSE "lastSteerSequence" END,
                       "updatedAt" = GREATEST("updatedAt", now())
   WHERE "id" = $1 AND EXISTS (SELECT 1 FROM owned) AND NOT EXISTS (SELECT 1 FROM replay) AND NOT (SELECT rejected FROM o)
  RETURNING "lastSequence" - 1 AS base
), ev AS (
  INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
  SELECT $7::text, $1, seq.base + 1, 'input.message', $10::timestamptz, o.turn_id, $9::jsonb->>'id',
         jsonb_set(jsonb_set($8::jsonb, '{message,turn_id}', to_jsonb(o.turn_id)), '{message,delivery}', to_jsonb(lower(o.delivery)))
    FROM seq, o
), msg AS (${insertMessages("$1", "jsonb_build_array($9::jsonb || jsonb_build_object('turn_id', o.turn_id, 'delivery', o.delivery))", "seq.base + 1", "seq, o,")}
), queued AS (
  INSERT INTO "Turn" ("id", "sessionId", "inputMessageId", "status", "idempotencyKey", "requestHash", "queueRank", "steeredIntoId")
  SELECT $6::text, $1, $9::jsonb->>'id', 'QUEUED', $3::text, $4::text,
         CASE WHEN o.interrupts IS NOT NULL THEN -(seq.base + 1)
              WHEN o.steers_into IS NOT NULL THEN COALESCE((SELECT COALESCE(t."queueRank", m."sequence") FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
                                                            WHERE t."id" = o.steers_into), seq.base + 1)
              ELSE seq.base + 1 END,
         o.steers_into
    FROM seq, o
), interrupting AS (
  UPDATE "Turn" SET "cancelRequested" = true, "cancelReason" = 'interrupted'
   WHERE "id" = (SELECT interrupts FROM o) AND "status" = 'RUNNING' AND EXISTS (SELECT 1 FROM seq)
)
SELECT (SELECT base FROM seq) AS base, EXISTS (SELECT 1 FROM owned) AS owned, EXISTS (SELECT 1 FROM replay) AS replayed,
       o.open_id, o.open_state, o.delivery, o.interrupts, o.steers_into, o.turn_id
  FROM o`;

export interface OpenTurn {
  id: string;
  state: "running" | "waiting";
}

export interface InputMessage {
  /** The user message (its turnId is its own turn's; delivery is decided here). */
  message: NewMessage;
  turnId: string;
  delivery: Delivery;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export type Posted =
  | { kind: "stored"; message: Message; open: OpenTurn | null; interrupts: string | null }
  /** The idempotency key was used before in this session: nothing was written. */
  | { kind: "replay" }
  | { kind: "not_found" }
  /** REJECT with a turn open: nothing was written. */
  | { kind: "rejected"; open: OpenTurn };

interface Row {
  base: number | null;
  owned: boolean;
  replayed: boolean;
  open_id: string | null;
  open_state: OpenTurn["state"] | null;
  delivery: MessageDelivery;
  interrupts: string | null;
  steers_into: string | null;
  turn_id: string;
}

export class InputMessageStore {
  constructor(
    private readonly sql: DirectSql,
    private readonly log: EventLog,
  ) {}

  /** Stores the owner's user message with its queued turn as its delivery says, or tells why nothing was written. */
  async post(ownerId: string, sessionId: string, input: InputMessage): Promise<Posted> {
    const { message, turnId } = input;
    const eventId = newId("event");
    const ts = message.createdAt;
    const started = performance.now();
    const [row] = await this.sql.$queryRawUnsafe<Row[]>(
      POST_SQL,
      sessionId,
      ownerId,
      input.idempotencyKey,
      input.requestHash,
      input.delivery,
      turnId,
      eventId,
      JSON.stringify(events.inputMessage(message).data),
      JSON.stringify(messageRecord(message, { eventId, ord: 1 })),
      ts.toISOString(),
    );
    this.log.observeAppend((performance.now() - started) / 1000);
    const open = row!.open_id ? { id: row!.open_id, state: row!.open_state! } : null;
    if (!row!.owned) return { kind: "not_found" };
    if (row!.replayed) return { kind: "replay" };
    if (row!.base === null) return { kind: "rejected", open: open! };
    const sequence = Number(row!.base) + 1;
    const decided = { ...message, turnId: row!.turn_id, delivery: row!.delivery };
    const data = events.inputMessage(decided).data as object as JsonObject;
    const event: StoredEvent = { id: eventId, sessionId, sequence, type: "input.message", ts, context: { turnId: decided.turnId, inputMessageId: message.id }, data };
    this.log.notify(sessionId, [event]);
    return { kind: "stored", message: { ...decided, eventId, sequence }, open, interrupts: row!.interrupts };
  }
}
