// Forking a session (SPEC §11): one transaction copies the source's log up to
// a boundary into a new session, with new ids mapped consistently (src/domain/fork.ts),
// rebuilds the message projection from the copied events, copies the ended
// turns, and appends `session.forked`. A crash mid-fork leaves nothing.
//
// The log is copied in bounded batches: one SELECT and one INSERT (events and
// their messages, through jsonb_to_recordset) per FORK_BATCH events, so a long
// log costs a few round trips per thousand events, never one per row. The id
// remap and the projection run in JS with the same functions as the append
// path, so a forked message is exactly what a rebuild from its log would give.
import type { Prisma } from "../db/client.js";
import type { JsonObject } from "../domain/content.js";
import { forkTitle, IdRemap } from "../domain/fork.js";
import { messageFromEvent } from "../domain/messages.js";
import { AppError, notFound, validation } from "../errors.js";
import { newId } from "../ids.js";
import type { StoredEvent } from "../domain/events.js";
import type { EventLog } from "./event-log.js";
import { insertMessages, messageRecord } from "./rows.js";
import type { Session } from "./sessions.js";

export interface ForkRequest {
  sourceId: string;
  /** Copy up to this sequence; null: the whole log (refused while a turn is open). */
  atSequence: number | null;
  /** null: the source's title plus " (fork)". */
  title: string | null;
}

/** Events copied per round trip. */
export const FORK_BATCH = 500;
// STEERED: a STEER message a step took in (it never runs on its own).
const ENDED_TURN = ["COMPLETED", "FAILED", "CANCELLED", "STEERED"];
// Generous: an interactive transaction over a long log on embedded PGlite.
const FORK_TIMEOUT_MS = 120_000;

type Tx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

interface EventRow {
  id: string;
  sequence: number;
  type: string;
  ts: Date;
  turnId: string | null;
  inputMessageId: string | null;
  data: JsonObject;
}

const INSERT_BATCH_SQL = `
WITH ev AS (
  INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
  SELECT e.id, $1, e.sequence, e.type, e.ts, e.turn_id, e.input_message_id, e.data
    FROM jsonb_to_recordset($2::jsonb)
      AS e(id text, sequence int, type text, ts timestamptz, turn_id text, input_message_id text, data jsonb)
), msg AS (${insertMessages("$1", "$3::jsonb", "m.sequence")}
)
SELECT 1`;

export class ForkStore {
  constructor(
    private readonly prisma: Prisma,
    private readonly log: EventLog,
  ) {}

  /** The new session and its `session.forked` event (not yet announced: call `log.notify`). */
  async fork(ownerId: string, request: ForkRequest): Promise<{ session: Session; appended: StoredEvent[] }> {
    return this.prisma.$transaction((tx) => this.copy(tx, ownerId, request), { timeout: FORK_TIMEOUT_MS, maxWait: 10_000 });
  }

  private async copy(tx: Tx, ownerId: string, { sourceId, atSequence, title }: ForkRequest) {
    // FOR KEY SHARE: the source cannot be deleted under the copy, while its own appends (row updates) go on.
    const [source] = await tx.$queryRawUnsafe<Session[]>(
      `SELECT * FROM "Session" WHERE "id" = $1 AND "ownerId" = $2 FOR KEY SHARE`,
      sourceId,
      ownerId,
    );
    if (!source) throw notFound("Session", sourceId);
    const at = atSequence ?? (await this.wholeLog(tx, source));
    if (atSequence !== null) await this.checkBoundary(tx, source, atSequence);

    const remap = new IdRemap(source.id, newId("session"));
    const target = remap.targetSessionId;
    // Copy the session's settings column by column from the source row (metadata stays with the source).
    await tx.$executeRawUnsafe(
      `INSERT INTO "Session" ("id", "ownerId", "title", "status", "locale", "modelId", "agentId", "hints", "tags", "lastSequence",
                              "messageCount", "forkedFromSessionId", "forkedFromSequence", "createdAt", "updatedAt")
       SELECT $1, "ownerId", $2, 'STARTED', "locale", "modelId", "agentId", "hints", "tags", $4, 0, "id", $4, now(), now()
         FROM "Session" WHERE "id" = $3`,
      target,
      title ?? forkTitle(source.title),
      source.id,
      at,
    );

    let messages = 0;
    let idled = false;
    for (let after = 0; after < at; ) {
      const rows = await tx.$queryRawUnsafe<EventRow[]>(
        `SELECT "id", "sequence", "type", "ts", "turnId", "inputMessageId", "data" FROM "Event"
          WHERE "sessionId" = $1 AND "sequence" > $2 AND "sequence" <= $3 ORDER BY "sequence" LIMIT $4`,
        source.id,
        after,
        at,
        FORK_BATCH,
      );
      if (rows.length === 0) break;
      after = rows.at(-1)!.sequence;
      const batch = this.remapBatch(remap, rows);
      messages += batch.messages.length;
      idled ||= rows.some((r) => r.type === "session.idled");
      await tx.$queryRawUnsafe(INSERT_BATCH_SQL, target, JSON.stringify(batch.events), JSON.stringify(batch.messages));
    }
    await this.copyEndedTurns(tx, remap, at);
    await tx.$executeRawUnsafe(
      `UPDATE "Session" SET "messageCount" = $2, "status" = $3::"SessionStatus" WHERE "id" = $1`,
      target,
      messages,
      idled ? "IDLE" : "STARTED",
    );
    const appended = await this.log.append(
      target,
      [{ type: "session.forked", context: {}, data: { forked_from_session_id: source.id, forked_from_sequence: at } }],
      { tx },
    );
    const [session] = await tx.$queryRawUnsafe<Session[]>(`SELECT * FROM "Session" WHERE "id" = $1`, target);
    return { session: session!, appended };
  }

  /** Without a boundary the whole log is copied, which needs a session at rest. */
  private async wholeLog(tx: Tx, source: Session): Promise<number> {
    const [open] = await tx.$queryRawUnsafe<{ open: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM "Turn" WHERE "sessionId" = $1 AND "status"::text <> ALL($2::text[])) AS open`,
      source.id,
      ENDED_TURN,
    );
    if (open?.open || (source.status !== "IDLE" && source.status !== "STARTED")) {
      throw new AppError("CONFLICT", "A turn is running or waiting in this session: wait for it to end, or fork at a session.idled sequence (atSequence)");
    }
    return source.lastSequence;
  }

  /**
   * SPEC §11's boundary: sequence 1, or a `session.idled` after which no
   * earlier user message still waits for its turn (its turn.started comes
   * later, or never; for a steered message, no step of its turn took it in
   * before): a fork must not copy a question without its answer.
   */
  private async checkBoundary(tx: Tx, source: Session, at: number): Promise<void> {
    if (!Number.isInteger(at) || at < 1 || at > source.lastSequence) {
      throw validation("atSequence", `atSequence must be between 1 and the session's last sequence (${source.lastSequence})`);
    }
    if (at === 1) return;
    const [row] = await tx.$queryRawUnsafe<{ type: string; waiting: boolean }[]>(
      `SELECT e."type",
              EXISTS (SELECT 1 FROM "Event" i
                       WHERE i."sessionId" = $1 AND i."type" = 'input.message' AND i."sequence" < $2
                         AND COALESCE(i."turnId", i."data"->'message'->>'turn_id') IS NOT NULL
                         AND NOT EXISTS (SELECT 1 FROM "Event" s
                                          WHERE s."sessionId" = $1 AND s."sequence" < $2 AND s."type" IN ('turn.started', 'output.message.started')
                                            AND CASE WHEN i."data"->'message'->>'delivery' = 'steered'
                                                     -- a steered message: taken in by a later step of its turn, or run as its own turn
                                                     THEN (s."type" = 'output.message.started' AND s."turnId" = i."turnId" AND s."sequence" > i."sequence")
                                                       OR (s."type" = 'turn.started' AND s."inputMessageId" = i."inputMessageId")
                                                     ELSE s."type" = 'turn.started' AND s."turnId" = COALESCE(i."turnId", i."data"->'message'->>'turn_id')
                                                END)) AS waiting
         FROM "Event" e WHERE e."sessionId" = $1 AND e."sequence" = $2`,
      source.id,
      at,
    );
    if (row?.type !== "session.idled") {
      throw validation("atSequence", `atSequence must be 1 or the sequence of a session.idled event (${at} is ${row?.type ?? "no event"})`);
    }
    if (row.waiting) {
      throw validation("atSequence", `At sequence ${at} an earlier user message is still waiting for its turn: fork at an earlier session.idled`);
    }
  }

  /** New ids for a batch of events, and the message rows they project to. */
  private remapBatch(remap: IdRemap, rows: EventRow[]) {
    const events = rows.map((r) => ({
      id: remap.id(r.id),
      sequence: r.sequence,
      type: r.type,
      ts: r.ts.toISOString(),
      turn_id: remap.nullable(r.turnId),
      input_message_id: remap.nullable(r.inputMessageId),
      data: remap.json(r.data),
    }));
    const messages = events.flatMap((e) => {
      const message = messageFromEvent({ ...e, sessionId: remap.targetSessionId, ts: new Date(e.ts), context: { turnId: e.turn_id, inputMessageId: e.input_message_id } });
      return message ? [messageRecord(message, { eventId: e.id, sequence: e.sequence })] : [];
    });
    return { events, messages };
  }

  /**
   * Ended turns whose input message was copied, under their new ids, so the
   * fork's history reads the same (no idempotency keys: a retry of a request
   * sent to the source must not land in the fork; no leases).
   */
  private async copyEndedTurns(tx: Tx, remap: IdRemap, at: number): Promise<void> {
    const turns = await tx.$queryRawUnsafe<{ id: string; inputMessageId: string; status: string; createdAt: Date; startedAt: Date | null; endedAt: Date | null }[]>(
      `SELECT t."id", t."inputMessageId", t."status"::text AS "status", t."createdAt", t."startedAt", t."endedAt"
         FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
        WHERE t."sessionId" = $1 AND t."status"::text = ANY($2::text[]) AND m."sequence" <= $3`,
      remap.source,
      ENDED_TURN,
      at,
    );
    if (turns.length === 0) return;
    const rows = turns.map((t) => ({
      id: remap.id(t.id),
      input_message_id: remap.id(t.inputMessageId),
      status: t.status,
      created_at: t.createdAt.toISOString(),
      started_at: t.startedAt?.toISOString() ?? null,
      ended_at: t.endedAt?.toISOString() ?? null,
    }));
    await tx.$executeRawUnsafe(
      `INSERT INTO "Turn" ("id", "sessionId", "inputMessageId", "status", "createdAt", "startedAt", "endedAt")
       SELECT t.id, $1, t.input_message_id, t.status::"TurnStatus", t.created_at, t.started_at, t.ended_at
         FROM jsonb_to_recordset($2::jsonb)
           AS t(id text, input_message_id text, status text, created_at timestamptz, started_at timestamptz, ended_at timestamptz)`,
      remap.targetSessionId,
      JSON.stringify(rows),
    );
  }
}
