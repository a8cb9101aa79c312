// Turns: the per-session FIFO queue and the crash-recovery record. A turn is
// QUEUED with its input message (by the append that logs it), RUNNING under a
// lease held by one process, and ends COMPLETED | FAILED | CANCELLED (by the
// append that logs its end). SYSTEM functions, unscoped: the turn runner
// acts for no caller (services check ownership before they ask it anything).
import type { Prisma } from "../db/client.js";
import type { Turn, TurnStatus } from "../generated/prisma/client.js";
import { isUniqueViolation } from "../db/errors.js";

export type { Turn, TurnStatus };

export class TurnStore {
  constructor(private readonly prisma: Prisma) {}

  /**
   * Takes the session's oldest queued turn if none is running or waiting
   * (a waiting turn queued to resume comes first, SPEC §11), in one
   * statement. "Oldest" is the log order of the input messages (arrival order):
   * creation times can disagree with it when two messages race for the
   * session's row lock. The partial unique index of migration 0005 allows one RUNNING
   * turn per session, so two instances racing here never both win: the loser
   * matches nothing or hits the index, and gets null. Lease times use the
   * database clock, so instances with skewed clocks agree.
   */
  async claimNext(sessionId: string, leaseOwner: string, leaseMs: number): Promise<Turn | null> {
    try {
      const rows = await this.prisma.$queryRawUnsafe<Turn[]>(
        `UPDATE "Turn" SET "status" = 'RUNNING', "leaseOwner" = $2, "leaseUntil" = now() + ($3::int * interval '1 millisecond'),
                "startedAt" = now(), "cancelRequested" = false
          WHERE "id" = (SELECT t."id" FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
                         WHERE t."sessionId" = $1 AND t."status" = 'QUEUED' ORDER BY t."resuming" DESC, m."sequence" LIMIT 1)
            AND "status" = 'QUEUED'
            AND NOT EXISTS (SELECT 1 FROM "Turn" WHERE "sessionId" = $1 AND "status" IN ('RUNNING', 'WAITING'))
          RETURNING *`,
        sessionId,
        leaseOwner,
        leaseMs,
      );
      return rows[0] ?? null;
    } catch (error) {
      if (isUniqueViolation(error)) return null; // another instance claimed a turn of this session first
      throw error;
    }
  }

  /** Extends the lease. "lost" when the turn is no longer ours (recovered elsewhere). */
  async renewLease(turnId: string, leaseOwner: string, leaseMs: number): Promise<"held" | "lost" | "cancel_requested"> {
    const rows = await this.prisma.$queryRawUnsafe<{ cancelRequested: boolean }[]>(
      `UPDATE "Turn" SET "leaseUntil" = now() + ($3::int * interval '1 millisecond')
        WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'RUNNING' RETURNING "cancelRequested"`,
      turnId,
      leaseOwner,
      leaseMs,
    );
    if (rows.length === 0) return "lost";
    return rows[0]!.cancelRequested ? "cancel_requested" : "held";
  }

  /** Asks the instance running the session's turn to cancel it; false when none runs. */
  async requestCancel(sessionId: string): Promise<boolean> {
    const { count } = await this.prisma.turn.updateMany({ where: { sessionId, status: "RUNNING" }, data: { cancelRequested: true } });
    return count > 0;
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

  get(turnId: string): Promise<Turn | null> {
    return this.prisma.turn.findUnique({ where: { id: turnId } });
  }

  /** Turns waiting for their session, across all instances (the turns_queued gauge). */
  countQueued(): Promise<number> {
    return this.prisma.turn.count({ where: { status: "QUEUED" } });
  }
}

