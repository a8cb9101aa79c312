// SYSTEM reads and writes: unscoped by owner, because they act for no caller —
// the turn runner and its recovery, the buses, startup and maintenance. Hand
// them to nothing that serves a request; tenant-facing code uses the
// owner-scoped stores.
import { randomBytes } from "node:crypto";
import type { Prisma } from "../db/client.js";
import type { DirectSql } from "../db/direct.js";
import { messageFromEvent, type Message } from "../domain/messages.js";
import { SystemEvents, toStoredEvent } from "./events.js";
import { historyBeforeSql, insertMessages, messageRecord } from "./rows.js";
import { TurnStore } from "./turns.js";

export class SystemStore {
  /** The turn queue, leases and recovery. */
  readonly turns: TurnStore;
  /** Log reads for the buses. */
  readonly events: SystemEvents;

  constructor(
    private readonly prisma: Prisma,
    private readonly sql: DirectSql,
  ) {
    this.turns = new TurnStore(prisma, sql);
    this.events = new SystemEvents(prisma);
  }

  /** The newest `limit` messages a turn's model sees before its input, oldest first (see historyBeforeSql). */
  historyBefore(input: Message, limit: number): Promise<Message[]> {
    return this.sql.$queryRawUnsafe<Message[]>(
      `SELECT * FROM (${historyBeforeSql({ sessionId: "$1", id: "$2", sequence: "$3" }, "$4")}) newest ORDER BY "sequence" ASC`,
      input.sessionId,
      input.id,
      input.sequence,
      limit,
    );
  }

  /**
   * Rebuilds a session's message projection from its log (the log is the
   * source of truth). Returns the number of messages written.
   */
  async rebuildMessages(sessionId: string): Promise<number> {
    const rows = await this.prisma.event.findMany({ where: { sessionId }, orderBy: { sequence: "asc" } });
    const records = rows.flatMap((row) => {
      const message = messageFromEvent(toStoredEvent(row));
      return message ? [messageRecord(message, { eventId: row.id, sequence: row.sequence })] : [];
    });
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`DELETE FROM "Message" WHERE "sessionId" = $1`, sessionId);
      await tx.$executeRawUnsafe(insertMessages("$1", "$2::jsonb", "m.sequence"), sessionId, JSON.stringify(records));
      await tx.$executeRawUnsafe(`UPDATE "Session" SET "messageCount" = $2 WHERE "id" = $1`, sessionId, records.length);
    });
    return records.length;
  }

  /** A server-wide secret, created once and shared through the database. */
  async serverSecret(name: string): Promise<string> {
    const existing = await this.prisma.serverSecret.findUnique({ where: { name } });
    if (existing) return existing.value;
    await this.prisma.serverSecret.createMany({ data: [{ name, value: randomBytes(32).toString("hex") }], skipDuplicates: true });
    return (await this.prisma.serverSecret.findUniqueOrThrow({ where: { name } })).value;
  }
}
