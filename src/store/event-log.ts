// The append-only per-session event log. `append` is one SQL statement: it
// bumps Session.lastSequence (the row lock makes appends to one session take
// turns), inserts the events with the sequences it got, and writes the message
// projection. One statement means one round trip and atomicity without an
// interactive transaction; the row lock makes sequences gapless and unique.
import type { Prisma } from "../db/client.js";
import type { NewEvent } from "../domain/events.js";
import { messageFromEvent, type LoggedEvent } from "../domain/messages.js";
import type { JsonObject } from "../domain/content.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import { messageRow } from "./rows.js";

export interface StoredEvent {
  id: string;
  sessionId: string;
  sequence: number;
  type: string;
  ts: Date;
  context: { turnId: string | null; inputMessageId: string | null };
  data: JsonObject;
}

/** Anything that can run raw SQL: the client or an interactive transaction. */
export type SqlClient = Pick<Prisma, "$queryRawUnsafe">;

export type AppendListener = (sessionId: string, events: StoredEvent[]) => void;

const STATUS_BY_EVENT: Record<string, string> = { "session.activated": "ACTIVE", "session.idled": "IDLE" };

// $7..$10 end a RUNNING turn in the same statement (the append happens only if
// it did: the lease holder's end, or recovery of an expired lease); $11..$14
// queue a turn for the input message. Unused parts get NULLs and do nothing.
const APPEND_SQL = `
WITH fin AS (
  UPDATE "Turn"
     SET "status" = $8::"TurnStatus", "endedAt" = now(), "leaseOwner" = NULL, "leaseUntil" = NULL
   WHERE $7::text IS NOT NULL AND "id" = $7::text AND "status" = 'RUNNING'
     AND ($9::text IS NULL OR "leaseOwner" = $9::text)
     AND (NOT $10::boolean OR "leaseUntil" < now())
  RETURNING "id"
), seq AS (
  UPDATE "Session"
     SET "lastSequence" = "lastSequence" + $2::int,
         "messageCount" = "messageCount" + $3::int,
         "status" = COALESCE($4::"SessionStatus", "status"),
         "updatedAt" = GREATEST("updatedAt", now())
   WHERE "id" = $1 AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM fin))
  RETURNING "lastSequence" - $2::int AS base
), ev AS (
  INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
  SELECT e.id, $1, seq.base + e.ord, e.type, e.ts, e.turn_id, e.input_message_id, e.data
    FROM seq, jsonb_to_recordset($5::jsonb)
      AS e(ord int, id text, type text, ts timestamptz, turn_id text, input_message_id text, data jsonb)
), msg AS (
  INSERT INTO "Message" ("id", "sessionId", "eventId", "sequence", "role", "content", "controls", "externalActor",
                         "metadata", "tags", "phase", "thinking", "thinkingSignature", "turnId", "createdAt")
  SELECT m.id, $1, m.event_id, seq.base + m.ord, m.role::"MessageRole", m.content, m.controls, m.external_actor,
         m.metadata, m.tags, m.phase::"MessagePhase", m.thinking, m.thinking_signature, m.turn_id, m.created_at
    FROM seq, jsonb_to_recordset($6::jsonb)
      AS m(ord int, id text, event_id text, role text, content jsonb, controls jsonb, external_actor jsonb, metadata jsonb,
           tags text[], phase text, thinking text, thinking_signature text, turn_id text, created_at timestamptz)
), queued AS (
  INSERT INTO "Turn" ("id", "sessionId", "inputMessageId", "status", "idempotencyKey", "requestHash")
  SELECT $11::text, $1, $12::text, 'QUEUED', $13::text, $14::text FROM seq WHERE $11::text IS NOT NULL
)
SELECT base FROM seq`;

export interface AppendOptions {
  /** Append inside a larger transaction; listeners are then told only when `notify` is called after commit. */
  tx?: SqlClient;
  /** Queue a turn for the appended input message, atomically with it. */
  queueTurn?: { id: string; inputMessageId: string; idempotencyKey: string | null; requestHash: string | null };
  /**
   * End this RUNNING turn atomically with the append, which happens only if
   * the turn could be ended: by its lease holder (`leaseOwner`) or, for
   * recovery, when its lease expired (`expiredOnly`). Otherwise nothing is
   * written and the result is empty, so no turn is ever closed twice.
   */
  endTurn?: { id: string; status: "COMPLETED" | "FAILED" | "CANCELLED"; leaseOwner?: string; expiredOnly?: boolean };
  /** The events' timestamp, when the caller derives data from it (a waiting call's expires_at). */
  ts?: Date;
}

export class EventLog {
  private readonly listeners = new Set<AppendListener>();
  /** Told how long each append statement took (metrics). */
  observeAppend: (seconds: number) => void = () => {};

  constructor(private readonly prisma: Prisma) {}

  /** Called after every committed append (the bus publishes from here). */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends events to a session's log atomically, with gapless sequences (see AppendOptions). */
  async append(sessionId: string, newEvents: readonly NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    const { tx, queueTurn, endTurn } = options;
    if (newEvents.length === 0) return [];
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
      const message = messageFromEvent({ ...d, sessionId, sequence: 0, ts, turnId: d.turn_id } satisfies LoggedEvent);
      return message ? [{ ord: d.ord, event_id: d.id, ...messageRow(message) }] : [];
    });
    const status = newEvents.map((e) => STATUS_BY_EVENT[e.type]).filter(Boolean).at(-1) ?? null;

    const started = performance.now();
    const rows = await (tx ?? this.prisma).$queryRawUnsafe<{ base: number }[]>(
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
      queueTurn?.id ?? null,
      queueTurn?.inputMessageId ?? null,
      queueTurn?.idempotencyKey ?? null,
      queueTurn?.requestHash ?? null,
    );
    this.observeAppend((performance.now() - started) / 1000);
    const base = rows[0]?.base;
    if (base === undefined) {
      if (endTurn) return []; // the turn was not ours to end (or the session is gone)
      throw notFound("Session", sessionId);
    }
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
    return stored;
  }

  notify(sessionId: string, stored: StoredEvent[]): void {
    for (const listener of this.listeners) listener(sessionId, stored);
  }

  /** Events with sequence > after, oldest first; `types` are exact names or 'prefix*'. */
  async readAfter(
    sessionId: string,
    after: number,
    options: { limit?: number; types?: readonly string[] | null; exclude?: readonly string[] | null } = {},
  ): Promise<StoredEvent[]> {
    const rows = await this.prisma.event.findMany({
      where: {
        sessionId,
        sequence: { gt: after },
        ...(options.types?.length ? { OR: options.types.map(typeCondition) } : {}),
        ...(options.exclude?.length ? { NOT: options.exclude.map(typeCondition) } : {}),
      },
      orderBy: { sequence: "asc" },
      take: options.limit ?? 1000,
    });
    return rows.map(toStoredEvent);
  }

  /** The session's newest event, or null (buses re-send it after a reconnect so streams notice what they missed). */
  async last(sessionId: string): Promise<StoredEvent | null> {
    const row = await this.prisma.event.findFirst({ where: { sessionId }, orderBy: { sequence: "desc" } });
    return row ? toStoredEvent(row) : null;
  }

  async findById(id: string): Promise<StoredEvent | null> {
    const row = await this.prisma.event.findUnique({ where: { id } });
    return row ? toStoredEvent(row) : null;
  }
}

const typeCondition = (pattern: string) =>
  pattern.endsWith("*") ? { type: { startsWith: pattern.slice(0, -1) } } : { type: pattern };

export function toStoredEvent(row: {
  id: string;
  sessionId: string;
  sequence: number;
  type: string;
  ts: Date;
  turnId: string | null;
  inputMessageId: string | null;
  data: unknown;
}): StoredEvent {
  return {
    id: row.id,
    sessionId: row.sessionId,
    sequence: row.sequence,
    type: row.type,
    ts: row.ts,
    context: { turnId: row.turnId, inputMessageId: row.inputMessageId },
    data: row.data as JsonObject,
  };
}
