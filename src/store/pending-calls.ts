// Waiting tool calls (SPEC §11), kept in the database so a wait survives a
// restart and any instance can answer it. Every move of a call is a
// conditional UPDATE ("only if it is still in this state") in the transaction
// that appends its event, so two answers, an answer and a timeout, or two
// instances' sweeps never both end one call. Answers lock the Turn row first,
// as the runner does when it starts a wait, so "was that the last waiting
// call?" and "start waiting" cannot interleave.
import type { Prisma } from "../db/client.js";
import type { DirectSql } from "../db/direct.js";
import type { JsonObject } from "../domain/content.js";
import { events, zeroUsage, addUsage, type NewEvent, type Usage } from "../domain/events.js";
import { errorOutcome, type Answer, type CallOutcome, type CallState, type PendingCall, type PendingKind, type ToolCall, type ToolOutcome } from "../domain/pending-calls.js";
import { newId } from "../ids.js";
import type { StoredEvent } from "../domain/events.js";
import type { EventLog } from "./event-log.js";

type Tx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];
type Ctx = { turnId: string; inputMessageId: string };

/** One move of a call: from one of `from` to `to`, with the event that records it. */
export interface CallMove {
  call: PendingCallRecord;
  from: readonly CallState[];
  to: "APPROVED" | "ENDED";
  answer: Answer | null;
  outcome: CallOutcome | null;
  /** The call's tool.completed (null when approving: the tool runs when the turn resumes). */
  completed: ToolOutcome | null;
}

export interface SettleResult {
  appended: StoredEvent[];
  /** Sessions whose waiting turn got its last answer and is queued to resume. */
  resumed: string[];
}

class Raced extends Error {}

const TX = { timeout: 30_000, maxWait: 10_000 };

interface Row {
  turnId: string;
  toolCallId: string;
  sessionId: string;
  toolName: string;
  arguments: unknown;
  kind: string;
  state: string;
  answer: unknown;
  outcome: string | null;
  requestedAt: Date;
  expiresAt: Date;
  turn: { inputMessageId: string; status: string };
}

export type PendingCallRecord = PendingCall & { inputMessageId: string };

function toCall(row: Row): PendingCallRecord {
  return {
    turnId: row.turnId,
    sessionId: row.sessionId,
    inputMessageId: row.turn.inputMessageId,
    toolCall: { id: row.toolCallId, name: row.toolName, arguments: row.arguments as JsonObject },
    kind: row.kind as PendingKind,
    state: row.state as CallState,
    answer: (row.answer ?? null) as Answer | null,
    outcome: row.outcome as CallOutcome | null,
    requestedAt: row.requestedAt,
    expiresAt: row.expiresAt,
  };
}

const withTurn = { turn: { select: { inputMessageId: true, status: true } } } as const;
const ORDER = [{ requestedAt: "asc" as const }, { position: "asc" as const }];

export const completedEvent = (ctx: Ctx, call: ToolCall, outcome: ToolOutcome) =>
  events.toolCompleted(ctx, { messageId: newId("message"), toolCallId: call.id, toolName: call.name, ...outcome });

export class PendingCallStore {
  constructor(
    private readonly prisma: Prisma,
    private readonly log: EventLog,
    private readonly sql: DirectSql,
  ) {}

  /** Appends one tool.call_requested per call (in order) and records the calls as WAITING, atomically. */
  async request(sessionId: string, ctx: Ctx, calls: { toolCall: ToolCall; kind: PendingKind }[], waitMs: number): Promise<StoredEvent[]> {
    const ts = new Date();
    const expiresAt = new Date(ts.getTime() + waitMs);
    const appended = await this.prisma.$transaction(async (tx) => {
      const stored = await this.log.append(
        sessionId,
        calls.map((c) => events.toolCallRequested(ctx, c.toolCall, c.kind, expiresAt)),
        { tx, ts },
      );
      await tx.pendingToolCall.createMany({
        data: calls.map((c, position) => ({
          turnId: ctx.turnId,
          toolCallId: c.toolCall.id,
          sessionId,
          position,
          toolName: c.toolCall.name,
          arguments: c.toolCall.arguments,
          kind: c.kind,
          requestedAt: ts,
          expiresAt,
        })),
      });
      return stored;
    }, TX);
    this.log.notify(sessionId, appended);
    return appended;
  }

  /**
   * The runner's turn starts waiting, unless every call was answered already
   * ("answered": go on at once) or the turn is no longer ours ("lost").
   * Waiting means no lease: the Turn row is WAITING, the session
   * WAITING_FOR_TOOL_RESULTS.
   */
  beginWait(turnId: string, sessionId: string, leaseOwner: string): Promise<"waiting" | "answered" | "lost"> {
    return this.prisma.$transaction(async (tx) => {
      const held = await tx.$queryRawUnsafe<{ id: string }[]>(
        `SELECT "id" FROM "Turn" WHERE "id" = $1 AND "status" = 'RUNNING' AND "leaseOwner" = $2 FOR UPDATE`,
        turnId,
        leaseOwner,
      );
      if (held.length === 0) return "lost";
      const waiting = await tx.pendingToolCall.count({ where: { turnId, state: "WAITING" } });
      if (waiting === 0) return "answered";
      await tx.turn.update({ where: { id: turnId }, data: { status: "WAITING", leaseOwner: null, leaseUntil: null } });
      await tx.session.update({ where: { id: sessionId }, data: { status: "WAITING_FOR_TOOL_RESULTS" } });
      return "waiting";
    }, TX);
  }

  /**
   * Applies moves all-or-nothing: "raced" when any call was no longer in a
   * `from` state (another answer, a timeout or a cancel got there first;
   * nothing is written). A waiting turn left with no waiting call is queued
   * to resume and its session is ACTIVE again.
   */
  async settle(sessionId: string, moves: readonly CallMove[]): Promise<SettleResult | "raced"> {
    if (moves.length === 0) return { appended: [], resumed: [] };
    let result: SettleResult;
    try {
      result = await this.prisma.$transaction(async (tx) => {
        const turnIds = [...new Set(moves.map((m) => m.call.turnId))].sort();
        const turns = await tx.$queryRawUnsafe<{ id: string; status: string }[]>(
          `SELECT "id", "status"::text AS "status" FROM "Turn" WHERE "id" = ANY($1::text[]) ORDER BY "id" FOR UPDATE`,
          turnIds,
        );
        for (const move of moves) {
          const changed = await tx.$executeRawUnsafe(
            `UPDATE "PendingToolCall" SET "state" = $3, "answer" = $4::jsonb, "outcome" = $5,
                    "endedAt" = CASE WHEN $3 = 'ENDED' THEN now() ELSE NULL END
              WHERE "turnId" = $1 AND "toolCallId" = $2 AND "state" = ANY($6::text[])`,
            move.call.turnId,
            move.call.toolCall.id,
            move.to,
            move.answer === null ? null : JSON.stringify(move.answer),
            move.outcome,
            [...move.from],
          );
          if (changed !== 1) throw new Raced();
        }
        const completed = moves.flatMap((m) =>
          m.completed ? [completedEvent({ turnId: m.call.turnId, inputMessageId: m.call.inputMessageId }, m.call.toolCall, m.completed)] : [],
        );
        const appended = completed.length > 0 ? await this.log.append(sessionId, completed, { tx }) : [];
        const resumed: string[] = [];
        for (const turn of turns) {
          if (turn.status !== "WAITING") continue;
          if ((await tx.pendingToolCall.count({ where: { turnId: turn.id, state: "WAITING" } })) > 0) continue;
          await tx.turn.update({ where: { id: turn.id }, data: { status: "QUEUED", resuming: true } });
          await tx.session.update({ where: { id: sessionId }, data: { status: "ACTIVE" } });
          resumed.push(sessionId);
        }
        return { appended, resumed };
      }, TX);
    } catch (error) {
      if (error instanceof Raced) return "raced";
      throw error;
    }
    this.log.notify(sessionId, result.appended);
    return result;
  }

  /** The calls with these ids in the owner's session: the open turn's first, then ended ones newest first. */
  async find(ownerId: string, sessionId: string, toolCallIds: readonly string[]): Promise<Map<string, PendingCallRecord>> {
    const rows = await this.prisma.pendingToolCall.findMany({
      where: { sessionId, toolCallId: { in: [...toolCallIds] }, turn: { session: { ownerId } } },
      include: withTurn,
      orderBy: { requestedAt: "desc" },
    });
    const open = (r: Row) => (["WAITING", "QUEUED", "RUNNING"].includes(r.turn.status) ? 0 : 1);
    rows.sort((a, b) => open(a) - open(b));
    const found = new Map<string, PendingCallRecord>();
    for (const row of rows) if (!found.has(row.toolCallId)) found.set(row.toolCallId, toCall(row));
    return found;
  }

  /** Calls still waiting in the owner's session, in request order. */
  async waiting(ownerId: string, sessionId: string): Promise<PendingCallRecord[]> {
    const rows = await this.prisma.pendingToolCall.findMany({
      where: { sessionId, state: "WAITING", turn: { session: { ownerId } } },
      include: withTurn,
      orderBy: ORDER,
    });
    return rows.map(toCall);
  }

  /** Waiting calls whose time ran out, across sessions. */
  async expired(limit = 100): Promise<PendingCallRecord[]> {
    // Asked every second on every instance, and nearly always empty: one fixed
    // statement says so (Prisma's read with its include costs two, compiled).
    const now = new Date();
    const [any] = await this.sql.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM "PendingToolCall" WHERE "state" = 'WAITING' AND "expiresAt" < $1::timestamptz LIMIT 1`,
      now.toISOString(),
    );
    if (!any) return [];
    const rows = await this.prisma.pendingToolCall.findMany({
      where: { state: "WAITING", expiresAt: { lt: now } },
      include: withTurn,
      orderBy: { expiresAt: "asc" },
      take: limit,
    });
    return rows.map(toCall);
  }

  /** The turn's approved calls, to run when it resumes, in request order. */
  async approved(turnId: string): Promise<PendingCallRecord[]> {
    const rows = await this.prisma.pendingToolCall.findMany({ where: { turnId, state: "APPROVED" }, include: withTurn, orderBy: ORDER });
    return rows.map(toCall);
  }

  /** Marks an approved call as running, with its tool.started; false when it is not APPROVED any more (never run twice). */
  async start(sessionId: string, ctx: Ctx, call: ToolCall): Promise<boolean> {
    const appended = await this.prisma.$transaction(async (tx) => {
      const changed = await tx.pendingToolCall.updateMany({
        where: { turnId: ctx.turnId, toolCallId: call.id, state: "APPROVED" },
        data: { state: "RUNNING" },
      });
      return changed.count === 1 ? this.log.append(sessionId, [events.toolStarted(ctx, call)], { tx }) : null;
    }, TX);
    if (appended) this.log.notify(sessionId, appended);
    return appended !== null;
  }

  /** Whether the turn has calls that have not ended. */
  async hasOpen(turnId: string): Promise<boolean> {
    return (await this.prisma.pendingToolCall.count({ where: { turnId, state: { not: "ENDED" } } })) > 0;
  }

  /**
   * Ends a RUNNING turn (its lease holder's cancel, or recovery of an expired
   * lease) together with its calls that have not ended: one tool.completed
   * error `outcome` per call, then `trailing` (turn end and session.idled).
   * Empty when the turn was not ours to end.
   */
  async endRunningTurn(
    sessionId: string,
    ctx: Ctx,
    outcome: "cancelled" | "interrupted",
    trailing: NewEvent[],
    endTurn: { status: "FAILED" | "CANCELLED"; leaseOwner?: string; expiredOnly?: boolean },
  ): Promise<StoredEvent[]> {
    const appended = await this.prisma.$transaction(async (tx) => {
      // Locked first, like answers do, so an answer cannot end one of these calls meanwhile.
      await tx.$queryRawUnsafe(`SELECT "id" FROM "Turn" WHERE "id" = $1 FOR UPDATE`, ctx.turnId);
      const open = await tx.pendingToolCall.findMany({ where: { turnId: ctx.turnId, state: { not: "ENDED" } }, orderBy: ORDER });
      const ended = open.map((c) => completedEvent(ctx, callOf(c), errorOutcome(outcome)));
      const stored = await this.log.append(sessionId, [...ended, ...trailing], { tx, endTurn: { id: ctx.turnId, ...endTurn } });
      if (stored.length > 0 && open.length > 0) {
        await tx.pendingToolCall.updateMany({
          where: { turnId: ctx.turnId, state: { not: "ENDED" } },
          data: { state: "ENDED", outcome, endedAt: new Date() },
        });
      }
      return stored;
    }, TX);
    this.log.notify(sessionId, appended);
    return appended;
  }

  /**
   * Cancels the session's waiting turn (WAITING, or queued to resume; only `turnId` when given): its
   * open calls end as `cancelled`, then turn.cancelled (`reason`) and
   * session.idled. null when the session has no waiting turn.
   */
  async cancelWaitingTurn(sessionId: string, reason: string, turnId?: string): Promise<StoredEvent[] | null> {
    const appended = await this.prisma.$transaction(async (tx) => {
      const [turn] = await tx.$queryRawUnsafe<{ id: string; inputMessageId: string }[]>(
        `SELECT "id", "inputMessageId" FROM "Turn"
          WHERE "sessionId" = $1 AND ("status" = 'WAITING' OR ("status" = 'QUEUED' AND "resuming"))
            AND ($2::text IS NULL OR "id" = $2::text) FOR UPDATE`,
        sessionId,
        turnId ?? null,
      );
      if (!turn) return null;
      const ctx = { turnId: turn.id, inputMessageId: turn.inputMessageId };
      const open = await tx.pendingToolCall.findMany({ where: { turnId: turn.id, state: { not: "ENDED" } }, orderBy: ORDER });
      await tx.pendingToolCall.updateMany({
        where: { turnId: turn.id, state: { not: "ENDED" } },
        data: { state: "ENDED", outcome: "cancelled", endedAt: new Date() },
      });
      await tx.turn.update({ where: { id: turn.id }, data: { status: "CANCELLED", endedAt: new Date(), resuming: false } });
      const { iterations, usage } = await progress(tx, sessionId, turn.id);
      return this.log.append(
        sessionId,
        [
          ...open.map((c) => completedEvent(ctx, callOf(c), errorOutcome("cancelled"))),
          events.turnCancelled(ctx, reason),
          events.sessionIdled(ctx, iterations, usage),
        ],
        { tx },
      );
    }, TX);
    if (appended) this.log.notify(sessionId, appended);
    return appended;
  }

  /** Model steps taken and tokens used so far by a turn, from its log (a resumed turn continues the count). */
  progress(sessionId: string, turnId: string): Promise<{ iterations: number; usage: Usage }> {
    return progress(this.prisma, sessionId, turnId);
  }
}

async function progress(client: Tx | Prisma, sessionId: string, turnId: string): Promise<{ iterations: number; usage: Usage }> {
  const rows = await client.event.findMany({
    where: { sessionId, turnId, type: { in: ["output.message.started", "output.message.completed"] } },
    select: { type: true, data: true },
  });
  let usage = zeroUsage();
  let iterations = 0;
  for (const row of rows) {
    if (row.type === "output.message.started") iterations += 1;
    else usage = addUsage(usage, ((row.data as { usage?: Usage }).usage ?? zeroUsage()) as Usage);
  }
  return { iterations, usage };
}

const callOf = (row: { toolCallId: string; toolName: string; arguments: unknown }): ToolCall => ({
  id: row.toolCallId,
  name: row.toolName,
  arguments: row.arguments as JsonObject,
});
