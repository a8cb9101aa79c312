// Group commit of streamed deltas across sessions: while one group statement
// is in flight, the deltas every session's DeltaWriter hands in queue up, and
// the next statement appends all of them — one round trip and one commit for
// many sessions, instead of one per session. Idle, a delta goes out at once.
// Only events that project no message and change no status come here (the
// caller's promise: output.message.delta), so a group only bumps each
// session's lastSequence and inserts events.
//
// Sequences stay gapless: each session's row is locked (in id order, so two
// group statements on two instances cannot deadlock) and bumped by its count
// in the same statement that inserts its events. One statement is atomic, so
// a crash mid-group loses the whole group and nothing that was acknowledged:
// a writer's flush resolves only after its group committed.
import type { DirectSql } from "../db/direct.js";
import type { NewEvent, StoredEvent } from "../domain/events.js";
import type { JsonObject } from "../domain/content.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";

const GROUP_SQL = `
WITH e AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS e(session_id text, ord int, id text, type text, turn_id text, input_message_id text, data jsonb)
), n AS (
  SELECT session_id, count(*)::int AS n FROM e GROUP BY session_id
), locked AS (
  SELECT s."id" FROM "Session" s WHERE s."id" IN (SELECT session_id FROM n) ORDER BY s."id" FOR UPDATE
), seq AS (
  UPDATE "Session" s SET "lastSequence" = s."lastSequence" + n.n, "updatedAt" = GREATEST(s."updatedAt", $2::timestamptz)
    FROM n, locked WHERE s."id" = n.session_id AND locked."id" = s."id"
  RETURNING s."id", s."lastSequence" - n.n AS base
), ev AS (
  INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
  SELECT e.id, e.session_id, seq.base + e.ord, e.type, $2::timestamptz, e.turn_id, e.input_message_id, e.data
    FROM e JOIN seq ON seq."id" = e.session_id
)
SELECT "id", base FROM seq`;

interface Request {
  sessionId: string;
  events: readonly NewEvent[];
  resolve(stored: StoredEvent[]): void;
  reject(error: unknown): void;
}

export class GroupAppender {
  private queue: Request[] = [];
  private flushing = false;

  constructor(
    private readonly sql: DirectSql,
    /** Told of each group's committed events, per session, in order (the log's listeners). */
    private readonly committed: (sessionId: string, stored: StoredEvent[]) => void,
    private readonly observe: (seconds: number) => void,
  ) {}

  /** Appends with the next group; resolves when that group committed. */
  append(sessionId: string, events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ sessionId, events, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) await this.write(this.queue.splice(0));
    } finally {
      this.flushing = false;
    }
  }

  private async write(group: Request[]): Promise<void> {
    const ts = new Date();
    const next = new Map<string, number>(); // per session: the ord of its next event in this group
    const drafts = group.map((request) =>
      request.events.map((e) => {
        const ord = (next.get(request.sessionId) ?? 0) + 1;
        next.set(request.sessionId, ord);
        return {
          session_id: request.sessionId,
          ord,
          id: newId("event"),
          type: e.type,
          turn_id: e.context.turnId ?? null,
          input_message_id: e.context.inputMessageId ?? null,
          data: e.data as JsonObject,
        };
      }),
    );
    let bases: Map<string, number>;
    try {
      const started = performance.now();
      const rows = await this.sql.$queryRawUnsafe<{ id: string; base: number }[]>(GROUP_SQL, JSON.stringify(drafts.flat()), ts.toISOString());
      this.observe((performance.now() - started) / 1000);
      bases = new Map(rows.map((r) => [r.id, Number(r.base)]));
    } catch (error) {
      for (const request of group) request.reject(error);
      return;
    }
    group.forEach((request, i) => {
      const base = bases.get(request.sessionId);
      if (base === undefined) return request.reject(notFound("Session", request.sessionId)); // deleted meanwhile
      const stored = drafts[i]!.map<StoredEvent>((d) => ({
        id: d.id,
        sessionId: request.sessionId,
        sequence: base + d.ord,
        type: d.type,
        ts,
        context: { turnId: d.turn_id, inputMessageId: d.input_message_id },
        data: d.data,
      }));
      this.committed(request.sessionId, stored);
      request.resolve(stored);
    });
  }
}
