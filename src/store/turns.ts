// Turns: the per-session FIFO queue and the crash-recovery record. A turn is
// QUEUED with its input message, RUNNING under a lease held by one process,
// and ends COMPLETED | FAILED | CANCELLED.
import type { Prisma } from "../db/client.js";
import type { Turn, TurnStatus } from "../generated/prisma/client.js";
import type { SqlClient } from "./event-log.js";

export type { Turn, TurnStatus };

type Tx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

export class TurnStore {
  constructor(private readonly prisma: Prisma) {}

  create(
    tx: Tx,
    turn: { id: string; sessionId: string; inputMessageId: string; idempotencyKey?: string | null; requestHash?: string | null },
  ): Promise<Turn> {
    return tx.turn.create({ data: { ...turn, status: "QUEUED" } });
  }

  findByIdempotencyKey(sessionId: string, idempotencyKey: string, tx?: Tx): Promise<Turn | null> {
    return (tx ?? this.prisma).turn.findUnique({ where: { sessionId_idempotencyKey: { sessionId, idempotencyKey } } });
  }

  /**
   * Takes the session's oldest queued turn if none is running, under a
   * per-session advisory lock so two instances never run two turns of one
   * session at once. Returns null when there is nothing to run.
   */
  claimNext(sessionId: string, leaseOwner: string, leaseMs: number): Promise<Turn | null> {
    return this.prisma.$transaction(async (tx) => {
      await lockSession(tx, sessionId);
      const running = await tx.turn.count({ where: { sessionId, status: "RUNNING" } });
      if (running > 0) return null;
      const next = await tx.turn.findFirst({
        where: { sessionId, status: "QUEUED" },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      });
      if (!next) return null;
      return tx.turn.update({
        where: { id: next.id },
        data: { status: "RUNNING", leaseOwner, leaseUntil: new Date(Date.now() + leaseMs), startedAt: new Date() },
      });
    });
  }

  /** Extends the lease; false when the turn is no longer ours (recovered elsewhere). */
  async renewLease(turnId: string, leaseOwner: string, leaseMs: number): Promise<boolean> {
    const { count } = await this.prisma.turn.updateMany({
      where: { id: turnId, leaseOwner, status: "RUNNING" },
      data: { leaseUntil: new Date(Date.now() + leaseMs) },
    });
    return count > 0;
  }

  /** Marks a turn ended; runs inside the transaction that appends its last events. */
  async finish(client: SqlClient, turnId: string, status: Exclude<TurnStatus, "QUEUED" | "RUNNING">): Promise<void> {
    await client.$queryRawUnsafe(
      `UPDATE "Turn" SET "status" = $2::"TurnStatus", "endedAt" = now(), "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "id" = $1`,
      turnId,
      status,
    );
  }

  /** RUNNING turns whose lease ran out (their process died), or all RUNNING ones when `all`. */
  abandoned(all: boolean): Promise<Turn[]> {
    return this.prisma.turn.findMany({
      where: { status: "RUNNING", ...(all ? {} : { leaseUntil: { lt: new Date() } }) },
      orderBy: { createdAt: "asc" },
    });
  }

  /** Sessions that have queued turns (to resume after a restart). */
  async sessionsWithQueued(): Promise<string[]> {
    const rows = await this.prisma.turn.findMany({ where: { status: "QUEUED" }, distinct: ["sessionId"], select: { sessionId: true } });
    return rows.map((r) => r.sessionId);
  }

  get(turnId: string): Promise<Turn | null> {
    return this.prisma.turn.findUnique({ where: { id: turnId } });
  }

  running(sessionId: string): Promise<Turn | null> {
    return this.prisma.turn.findFirst({ where: { sessionId, status: "RUNNING" } });
  }

  countQueued(sessionId: string): Promise<number> {
    return this.prisma.turn.count({ where: { sessionId, status: "QUEUED" } });
  }
}

/** Serializes writers of one session across processes until the transaction ends. */
export async function lockSession(tx: SqlClient, sessionId: string): Promise<void> {
  await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext($1))::text`, sessionId);
}
