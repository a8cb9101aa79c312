// The append-only per-session event log. `append` is one SQL statement: it
// bumps Session.lastSequence (the row lock makes appends to one session take
// turns), inserts the events with the sequences it got, and writes the message
// projection. One statement means one round trip and atomicity without an
// interactive transaction; the row lock makes sequences gapless and unique.
import type { DirectSql } from "../db/direct.js";
import type { NewEvent, StoredEvent } from "../domain/events.js";
import { messageFromEvent } from "../domain/messages.js";
import type { JsonObject } from "../domain/content.js";
import { statusAfter } from "../domain/session-status.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import { insertMessages, messageRecord } from "./rows.js";
import { GroupAppender } from "./group-append.js";

/** Anything that can run raw SQL: the direct path or an interactive transaction. */
export type SqlClient = DirectSql;

export type AppendListener = (sessionId: string, events: StoredEvent[]) => void;

/** The sequences of a session's newest user message and newest STEER message (0: none). */
export interface InputMarks {
  lastInputSequence: number;
  lastSteerSequence: number;
}

// $7..$11 end a RUNNING turn in the same statement (the append happens only
// if it did: the lease holder's end, or recovery of an expired lease); unused,
// they get NULLs and do nothing. A user message and its queued turn have their
// own statement (src/store/input-messages.ts).
const APPEND_SQL = `
WITH fin AS (
  UPDATE "Turn"
     SET "status" = $8::"TurnStatus", "endedAt" = now(), "leaseOwner" = NULL, "leaseUntil" = NULL
   WHERE $7::text IS NOT NULL AND "id" = $7::text AND "status" = 'RUNNING'
     AND ($9::text IS NULL OR "leaseOwner" = $9::text)
     AND (NOT $10::boolean OR "leaseUntil" < now())
     AND (NOT $11::boolean OR NOT EXISTS (SELECT 1 FROM "Turn" st WHERE st."steeredIntoId" = $7::text AND st."status" = 'QUEUED'))
  RETURNING "id"
), seq AS (
  UPDATE "Session"
     SET "lastSequence" = "lastSequence" + $2::int,
         "messageCount" = "messageCount" + $3::int,
         "status" = COALESCE($4::"SessionStatus", "status"),
         "updatedAt" = GREATEST("updatedAt", now())
   WHERE "id" = $1 AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM fin))
  RETURNING "lastSequence" - $2::int AS base, "lastInputSequence", "lastSteerSequence"
), ev AS (
  INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
  SELECT e.id, $1, seq.base + e.ord, e.type, e.ts, e.turn_id, e.input_message_id, e.data
    FROM seq, jsonb_to_recordset($5::jsonb)
      AS e(ord int, id text, type text, ts timestamptz, turn_id text, input_message_id text, data jsonb)
), msg AS (${insertMessages("$1", "$6::jsonb", "seq.base + m.ord", "seq,")}
)
SELECT base, "lastInputSequence", "lastSteerSequence" FROM seq`;

export interface AppendOptions {
  /** Append inside a larger transaction; listeners are then told only when `notify` is called after commit. */
  tx?: SqlClient;
  /**
   * End this RUNNING turn atomically with the append, which happens only if
   * the turn could be ended: by its lease holder (`leaseOwner`) or, for
   * recovery, when its lease expired (`expiredOnly`). Otherwise nothing is
   * written and the result is empty, so no turn is ever closed twice.
   */
  endTurn?: {
    id: string;
    status: "COMPLETED" | "FAILED" | "CANCELLED";
    leaseOwner?: string;
    expiredOnly?: boolean;
    /** Not while a STEER message waits for a step of this turn (the turn takes one more step instead). */
    unlessSteered?: boolean;
  };
  /** The events' timestamp, when the caller derives data from it (a waiting call's expires_at). */
  ts?: Date;
}

export class EventLog {
  private readonly listeners = new Set<AppendListener>();
  /** Told how long each append statement took (metrics). */
  observeAppend: (seconds: number) => void = () => {};

  private readonly group: GroupAppender;

  /** Appends outside a transaction go straight to the driver (`sql`): one fixed statement, the hottest write. */
  constructor(private readonly sql: DirectSql) {
    this.group = new GroupAppender(sql, (sessionId, stored) => this.notify(sessionId, stored), (seconds) => this.observeAppend(seconds));
  }

  /** Called after every committed append (the bus publishes from here). */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends events to a session's log atomically, with gapless sequences (see AppendOptions). */
  async append(sessionId: string, newEvents: readonly NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    return (await this.appendReading(sessionId, newEvents, options)).stored;
  }

  /**
   * `append`, also answering the session's input marks as the append left
   * them (null when nothing was appended): read under the row lock that orders
   * the log, so every user message logged before these events is counted.
   */
  async appendReading(sessionId: string, newEvents: readonly NewEvent[], options: AppendOptions = {}): Promise<{ stored: StoredEvent[]; marks: InputMarks | null }> {
    const { tx, endTurn } = options;
    if (newEvents.length === 0) return { stored: [], marks: null };
    const ts = options.ts ?? new Date();
    const drafts = newEvents.map((e, i) => ({
      ord: i + 1,
      id: newId("event"),
      type: e.type,
      ts: ts.toISOString(),
      turn_id: e.context.turnId ?? null,
      input_message_id: e.context.inputMessageId ?? null,
      data: e.data as JsonObject,
    }));
    const messages = drafts.flatMap((d) => {
      const message = messageFromEvent({ ...d, sessionId, ts, context: { turnId: d.turn_id, inputMessageId: d.input_message_id } });
      return message ? [messageRecord(message, { eventId: d.id, ord: d.ord })] : [];
    });
    const status = statusAfter(newEvents.map((e) => e.type));

    const started = performance.now();
    const rows = await (tx ?? this.sql).$queryRawUnsafe<({ base: number } & InputMarks)[]>(
      APPEND_SQL,
      sessionId,
      drafts.length,
      messages.length,
      status,
      JSON.stringify(drafts),
      JSON.stringify(messages),
      endTurn?.id ?? null,
      endTurn?.status ?? null,
      endTurn?.leaseOwner ?? null,
      endTurn?.expiredOnly ?? false,
      endTurn?.unlessSteered ?? false,
    );
    this.observeAppend((performance.now() - started) / 1000);
    const [row] = rows;
    if (row === undefined) {
      if (endTurn) return { stored: [], marks: null }; // the turn was not ours to end (or the session is gone)
      throw notFound("Session", sessionId);
    }
    const base = row.base;
    const stored = drafts.map<StoredEvent>((d) => ({
      id: d.id,
      sessionId,
      sequence: Number(base) + d.ord,
      type: d.type,
      ts,
      context: { turnId: d.turn_id, inputMessageId: d.input_message_id },
      data: d.data,
    }));
    if (!tx) this.notify(sessionId, stored);
    return { stored, marks: { lastInputSequence: row.lastInputSequence, lastSteerSequence: row.lastSteerSequence } };
  }

  /**
   * Appends streamed deltas with other sessions' in one group statement
   * (src/store/group-append.ts). Only for events that project no message and
   * change no status: output.message.delta.
   */
  appendDeltas(sessionId: string, newEvents: readonly NewEvent[]): Promise<StoredEvent[]> {
    return this.group.append(sessionId, newEvents);
  }

  notify(sessionId: string, stored: StoredEvent[]): void {
    for (const listener of this.listeners) listener(sessionId, stored);
  }
}
