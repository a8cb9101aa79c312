// What the client protocols (AG-UI, AI SDK) remember beside the log: a
// protocol's own name for a session (per owner), AG-UI runs → the turn they
// stream, and the turn lookups their routes need. Everything else they serve
// is read from the log.
import type { Prisma } from "../db/client.js";

/** A turn and the sequence of its input.message event (where its stream starts). */
export interface TurnStart {
  turnId: string;
  startSequence: number;
}

export interface RunLink extends TurnStart {
  sessionId: string;
  runId: string;
}

export class ProtocolLinkStore {
  constructor(private readonly prisma: Prisma) {}

  async threadSession(ownerId: string, externalId: string): Promise<string | null> {
    const row = await this.prisma.protocolThread.findUnique({ where: { ownerId_externalId: { ownerId, externalId } }, select: { sessionId: true } });
    return row?.sessionId ?? null;
  }

  /** Names `sessionId` by `externalId` unless a racing request named another first; returns the session that holds the name. */
  async linkThread(ownerId: string, externalId: string, sessionId: string): Promise<string> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO "ProtocolThread" ("ownerId", "externalId", "sessionId") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      ownerId,
      externalId,
      sessionId,
    );
    return (await this.threadSession(ownerId, externalId)) ?? sessionId;
  }

  findRun(sessionId: string, runId: string): Promise<RunLink | null> {
    return this.prisma.protocolRun.findUnique({
      where: { sessionId_runId: { sessionId, runId } },
      select: { sessionId: true, runId: true, turnId: true, startSequence: true },
    });
  }

  /** Records a run; when the runId is taken (a racing retry), the run recorded first. */
  async recordRun(run: RunLink): Promise<RunLink> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO "ProtocolRun" ("sessionId", "runId", "turnId", "startSequence") VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      run.sessionId,
      run.runId,
      run.turnId,
      run.startSequence,
    );
    return (await this.findRun(run.sessionId, run.runId)) ?? run;
  }

  /** The turn of a user message named by its idempotency key or its Parley id; null when it is not stored. */
  async turnOfMessage(sessionId: string, key: string): Promise<TurnStart | null> {
    const rows = await this.prisma.$queryRawUnsafe<TurnStart[]>(
      `SELECT t."id" AS "turnId", m."sequence" AS "startSequence" FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
        WHERE t."sessionId" = $1 AND (t."idempotencyKey" = $2 OR t."inputMessageId" = $2) LIMIT 1`,
      sessionId,
      key,
    );
    return rows[0] ?? null;
  }

  /** A turn of the session, with the sequence of its input.message; null when there is none. */
  async turnStart(sessionId: string, turnId: string): Promise<TurnStart | null> {
    const rows = await this.prisma.$queryRawUnsafe<TurnStart[]>(
      `SELECT t."id" AS "turnId", m."sequence" AS "startSequence" FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
        WHERE t."sessionId" = $1 AND t."id" = $2`,
      sessionId,
      turnId,
    );
    return rows[0] ?? null;
  }

  /** Of these tool calls, the one that waited last in the session, with its turn; null when none waited. */
  async lastWaitedCall(sessionId: string, toolCallIds: readonly string[]): Promise<(TurnStart & { toolCallId: string }) | null> {
    if (toolCallIds.length === 0) return null;
    const rows = await this.prisma.$queryRawUnsafe<(TurnStart & { toolCallId: string })[]>(
      `SELECT t."id" AS "turnId", m."sequence" AS "startSequence", p."toolCallId" AS "toolCallId"
         FROM "PendingToolCall" p JOIN "Turn" t ON t."id" = p."turnId" JOIN "Message" m ON m."id" = t."inputMessageId"
        WHERE p."sessionId" = $1 AND p."toolCallId" = ANY($2::text[]) ORDER BY p."requestedAt" DESC LIMIT 1`,
      sessionId,
      [...toolCallIds],
    );
    return rows[0] ?? null;
  }

  /** The turn that has not ended: the running one, else the first in line; null when the session is idle. */
  async unfinishedTurn(sessionId: string): Promise<TurnStart | null> {
    const rows = await this.prisma.$queryRawUnsafe<TurnStart[]>(
      `SELECT t."id" AS "turnId", m."sequence" AS "startSequence" FROM "Turn" t JOIN "Message" m ON m."id" = t."inputMessageId"
        WHERE t."sessionId" = $1 AND t."status" NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')
        ORDER BY (t."status" = 'RUNNING') DESC, m."sequence" LIMIT 1`,
      sessionId,
    );
    return rows[0] ?? null;
  }
}
