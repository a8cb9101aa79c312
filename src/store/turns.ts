// Turns: the per-session FIFO queue and the crash-recovery record. A turn is
// QUEUED with its input message (by the append that logs it), RUNNING under a
// lease held by one process, and ends COMPLETED | FAILED | CANCELLED (by the
// append that logs its end). SYSTEM functions, unscoped: the turn runner
// acts for no caller (services check ownership before they ask it anything).
// What every turn runs (claim, lease, steered messages) is fixed SQL on the
// driver (src/db/direct.ts); the rest goes through Prisma.
import type { Prisma } from "../db/client.js";
import type { DirectSql } from "../db/direct.js";
import type { Model, Session, Turn, TurnStatus } from "../generated/prisma/client.js";
import type { StoredAgent } from "../domain/agents.js";
import type { Message } from "../domain/messages.js";
import { isUniqueViolation } from "../db/errors.js";
import { historyBeforeSql, MESSAGE_COLUMNS, messageFromJsonArray, messageJsonArray } from "./rows.js";

export type { Turn, TurnStatus };

/** A row read through to_jsonb: timestamps come back as text. */
type JsonRow<T, Dates extends keyof T> = Omit<T, Dates> & { [K in Dates]: string };

/** A turn just claimed, with what it starts from (see claimNext). */
export type ClaimedTurn = Turn & {
  input: Message | null;
  session: Session | null;
  /** The agent the session names (null: none, or it was deleted). */
  sessionAgent: StoredAgent | null;
  /** Every model the turn may pick: its message's, its agent's (stored or snapshot), its session's, the default. */
  models: Model[];
  /** historyBeforeSql's messages, oldest first. */
  history: Message[];
  /** Whether other turns of the session were queued (as of the claim, with session.lastInputSequence). */
  othersQueued: boolean;
};

/** What a claim reads besides the turn. */
export interface ClaimOptions {
  /** How many earlier messages a model step sees. */
  historyLimit: number;
  defaultModelId: string;
}

/** turn.cancelled's reason for cancelTurn and the REST cancel (SPEC §4). */
export const CANCELLED_BY_CLIENT = "cancelled by client";

export class TurnStore {
  constructor(
    private readonly prisma: Prisma,
    private readonly sql: DirectSql,
  ) {}

  /**
   * Takes the session's next queued turn if none is running or waiting, in
   * one statement: a waiting turn queued to resume first (SPEC §11), then by
   * queueRank (see schema.prisma: arrival order, INTERRUPT messages ahead, a
   * STEER message no step took in right after its turn), ties in log order.
   * The log order of the input messages is the arrival order: creation times
   * can disagree with it when two messages race for the session's row lock. The partial unique index of migration 0005 allows one RUNNING
   * turn per session, so two instances racing here never both win: the loser
   * matches nothing or hits the index, and gets null. Lease times use the
   * database clock, so instances with skewed clocks agree. The claimed turn
   * comes with everything a turn reads before its first step (its input
   * message, its session, the session's agent, the models it may pick, the
   * history before its input, and whether other turns wait): one statement,
   * in one snapshot.
   */
  async claimNext(sessionId: string, leaseOwner: string, leaseMs: number, options: ClaimOptions): Promise<ClaimedTurn | null> {
    type Row = Turn & {
      input: JsonRow<Message, "createdAt"> | null;
      session: JsonRow<Session, "createdAt" | "updatedAt"> | null;
      sessionAgent: StoredAgent | null;
      models: JsonRow<Model, "createdAt">[];
      history: unknown[][];
      othersQueued: boolean;
    };
    try {
      const [row] = await this.sql.$queryRawUnsafe<Row[]>(
        `WITH claimed AS (
           UPDATE "Turn" SET "status" = 'RUNNING', "leaseOwner" = $2, "leaseUntil" = now() + ($3::int * interval '1 millisecond'),
                  "startedAt" = now(), "cancelRequested" = false, "cancelReason" = NULL
            WHERE "id" = (SELECT t."id" FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
                           WHERE t."sessionId" = $1 AND t."status" = 'QUEUED'
                           ORDER BY t."resuming" DESC, COALESCE(t."queueRank", m."sequence"), m."sequence" LIMIT 1)
              AND "status" = 'QUEUED'
              AND NOT EXISTS (SELECT 1 FROM "Turn" WHERE "sessionId" = $1 AND "status" IN ('RUNNING', 'WAITING'))
            RETURNING *)
         SELECT c.*, to_jsonb(m) AS "input", to_jsonb(s) AS "session", to_jsonb(a) AS "sessionAgent",
                (SELECT COALESCE(jsonb_agg(to_jsonb(md)), '[]') FROM "Model" md
                  WHERE md."id" IN (m."controls"->>'model_id', c."agent"->>'modelId', a."modelId", s."modelId", $5)) AS "models",
                (SELECT COALESCE(json_agg(${messageJsonArray("h")} ORDER BY h."sequence"), '[]')
                   FROM (${historyBeforeSql({ sessionId: 'c."sessionId"', id: 'm."id"', sequence: 'm."sequence"' }, "$4")}) h) AS "history",
                EXISTS (SELECT 1 FROM "Turn" q WHERE q."sessionId" = c."sessionId" AND q."status" = 'QUEUED' AND q."id" <> c."id") AS "othersQueued"
           FROM claimed c LEFT JOIN "Message" m ON m."id" = c."inputMessageId" LEFT JOIN "Session" s ON s."id" = c."sessionId"
           LEFT JOIN "Agent" a ON a."id" = s."agentId" AND a."ownerId" = s."ownerId"`,
        sessionId,
        leaseOwner,
        leaseMs,
        options.historyLimit,
        options.defaultModelId,
      );
      if (!row) return null;
      const { input, session, models, history, ...rest } = row;
      const message = (m: JsonRow<Message, "createdAt">): Message => ({ ...m, createdAt: new Date(m.createdAt) });
      return {
        ...rest,
        input: input && message(input),
        session: session && { ...session, createdAt: new Date(session.createdAt), updatedAt: new Date(session.updatedAt) },
        models: models.map((m) => ({ ...m, createdAt: new Date(m.createdAt) })),
        history: history.map(messageFromJsonArray),
      };
    } catch (error) {
      if (isUniqueViolation(error)) return null; // another instance claimed a turn of this session first
      throw error;
    }
  }

  /** Extends the lease. "lost" when the turn is no longer ours (recovered elsewhere); a requested cancel comes with its reason. */
  async renewLease(turnId: string, leaseOwner: string, leaseMs: number): Promise<"held" | "lost" | { cancel: string }> {
    const rows = await this.sql.$queryRawUnsafe<{ cancelRequested: boolean; cancelReason: string | null }[]>(
      `UPDATE "Turn" SET "leaseUntil" = now() + ($3::int * interval '1 millisecond')
        WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'RUNNING' RETURNING "cancelRequested", "cancelReason"`,
      turnId,
      leaseOwner,
      leaseMs,
    );
    if (rows.length === 0) return "lost";
    const [row] = rows;
    return row!.cancelRequested ? { cancel: row!.cancelReason ?? CANCELLED_BY_CLIENT } : "held";
  }

  /**
   * Asks the instance running the session's turn (only `turnId`, when given)
   * to cancel it as `reason`; false when none runs.
   */
  async requestCancel(sessionId: string, reason = CANCELLED_BY_CLIENT, turnId?: string): Promise<boolean> {
    const { count } = await this.prisma.turn.updateMany({
      where: { sessionId, status: "RUNNING", ...(turnId ? { id: turnId } : {}) },
      data: { cancelRequested: true, cancelReason: reason },
    });
    return count > 0;
  }

  /**
   * A running turn's step takes in the STEER messages logged before the step
   * began (`beforeSequence`: its output.message.started), so "which step saw
   * it" follows from the log. Only while the turn is ours; oldest first.
   */
  takeSteered(turnId: string, leaseOwner: string, beforeSequence: number): Promise<Message[]> {
    return this.sql.$queryRawUnsafe<Message[]>(
      `WITH taken AS (
         UPDATE "Turn" s SET "status" = 'STEERED', "endedAt" = now()
           FROM "Message" m
          WHERE s."steeredIntoId" = $1 AND s."status" = 'QUEUED' AND m."id" = s."inputMessageId" AND m."sequence" < $3
            AND EXISTS (SELECT 1 FROM "Turn" t WHERE t."id" = $1 AND t."status" = 'RUNNING' AND t."leaseOwner" = $2)
         RETURNING s."inputMessageId" AS "id")
       SELECT ${MESSAGE_COLUMNS} FROM "Message" WHERE "id" IN (SELECT "id" FROM taken) ORDER BY "sequence"`,
      turnId,
      leaseOwner,
      beforeSequence,
    );
  }

  /** Whether a STEER message still waits for a step of this turn. */
  async hasSteeredWaiting(turnId: string): Promise<boolean> {
    const [row] = await this.sql.$queryRawUnsafe<{ waiting: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM "Turn" WHERE "steeredIntoId" = $1 AND "status" = 'QUEUED') AS "waiting"`,
      turnId,
    );
    return row!.waiting;
  }

  /**
   * The STEER messages steps of this turn took in, oldest first, each with the
   * id of the agent message of the step that first saw it (null if that step
   * has not completed), so a resumed turn rebuilds its history in step order.
   */
  steeredInto(turnId: string): Promise<(Message & { seenBy: string | null })[]> {
    return this.prisma.$queryRawUnsafe<(Message & { seenBy: string | null })[]>(
      `SELECT ${MESSAGE_COLUMNS.replaceAll(/"(\w+)"/g, 'm."$1"')},
              (SELECT e."data"->>'message_id' FROM "Event" e
                WHERE e."sessionId" = m."sessionId" AND e."turnId" = $1 AND e."type" = 'output.message.started' AND e."sequence" > m."sequence"
                ORDER BY e."sequence" LIMIT 1) AS "seenBy"
         FROM "Turn" s JOIN "Message" m ON m."id" = s."inputMessageId"
        WHERE s."steeredIntoId" = $1 AND s."status" = 'STEERED'
        ORDER BY m."sequence"`,
      turnId,
    );
  }

  /** RUNNING turns whose lease ran out (their process died), or all RUNNING ones when `all`. */
  async abandoned(all: boolean): Promise<Turn[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT "id" FROM "Turn" WHERE "status" = 'RUNNING' AND ($1::boolean OR "leaseUntil" < now()) ORDER BY "createdAt"`,
      all,
    );
    return rows.length ? this.prisma.turn.findMany({ where: { id: { in: rows.map((r) => r.id) } }, orderBy: { createdAt: "asc" } }) : [];
  }

  /**
   * Puts a claimed turn back in the queue if its process died before it
   * appended turn.started (claim and start are two statements), so the turn
   * still runs the full order of SPEC §4 instead of being closed unstarted.
   * One statement: two recovering instances cannot both re-queue it, and a
   * turn that has started is left for closeInterrupted. True when re-queued.
   */
  async requeueUnstarted(turnId: string, all: boolean): Promise<boolean> {
    const count = await this.prisma.$executeRawUnsafe(
      `UPDATE "Turn" SET "status" = 'QUEUED', "leaseOwner" = NULL, "leaseUntil" = NULL, "startedAt" = NULL
        WHERE "id" = $1 AND "status" = 'RUNNING' AND ($2::boolean OR "leaseUntil" < now())
          AND NOT EXISTS (SELECT 1 FROM "Event" e WHERE e."sessionId" = "Turn"."sessionId" AND e."turnId" = $1 AND e."type" = 'turn.started')`,
      turnId,
      all,
    );
    return count > 0;
  }

  /** Sessions that have queued turns (to resume after a restart). */
  async sessionsWithQueued(): Promise<string[]> {
    const rows = await this.prisma.turn.findMany({ where: { status: "QUEUED" }, distinct: ["sessionId"], select: { sessionId: true } });
    return rows.map((r) => r.sessionId);
  }

  /** Keeps the agent settings a turn resolved at turn.started, for after a wait. */
  async saveAgent(turnId: string, agent: object): Promise<void> {
    await this.prisma.turn.update({ where: { id: turnId }, data: { agent: agent as never } });
  }

  /** A turn's status, and whether calls of it wait for an answer (wait mode watches these). */
  async waitState(turnId: string): Promise<{ status: TurnStatus; resuming: boolean; callsWaiting: boolean } | null> {
    const [row] = await this.prisma.$queryRawUnsafe<{ status: TurnStatus; resuming: boolean; callsWaiting: boolean }[]>(
      `SELECT "status"::text AS "status", "resuming",
              EXISTS (SELECT 1 FROM "PendingToolCall" p WHERE p."turnId" = $1 AND p."state" = 'WAITING') AS "callsWaiting"
         FROM "Turn" WHERE "id" = $1`,
      turnId,
    );
    return row ?? null;
  }

  get(turnId: string): Promise<Turn | null> {
    return this.prisma.turn.findUnique({ where: { id: turnId } });
  }

  /** Turns waiting for their session, across all instances (the turns_queued gauge). */
  countQueued(): Promise<number> {
    return this.prisma.turn.count({ where: { status: "QUEUED" } });
  }
}

