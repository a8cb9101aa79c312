// Reads of the event log. Tenant reads take the owner and scope the SQL by
// the session's owner, so another owner's session reads as empty; the buses'
// reads are SYSTEM reads (no caller, no owner) and live apart.
import type { Prisma } from "../db/client.js";
import type { Event as EventRow, Prisma as P } from "../generated/prisma/client.js";
import { parseTypePattern, type StoredEvent } from "../domain/events.js";
import type { JsonObject } from "../domain/content.js";

export interface ReadOptions {
  /** At most this many events (default 1000). */
  limit?: number;
  /** Exact types or 'prefix*' patterns to keep (all when empty) and to drop. */
  types?: readonly string[] | null;
  exclude?: readonly string[] | null;
}

/** The owner's events, scoped in SQL. */
export class EventStore {
  constructor(private readonly prisma: Prisma) {}

  /** Events of the owner's session with sequence > after, oldest first; none when the session is not the owner's. */
  readAfter(ownerId: string, sessionId: string, after: number, options: ReadOptions = {}): Promise<StoredEvent[]> {
    return readAfter(this.prisma, { sessionId, session: { ownerId } }, after, options);
  }

  /** Events by id, limited to sessions of the owner (for DataLoader). */
  async getMany(ownerId: string, ids: readonly string[]): Promise<StoredEvent[]> {
    const rows = await this.prisma.event.findMany({ where: { id: { in: [...ids] }, session: { ownerId } } });
    return rows.map(toStoredEvent);
  }
}

/** SYSTEM reads for the buses (backfill, re-sending after a reconnect): unscoped, never for a caller. */
export class SystemEvents {
  constructor(private readonly prisma: Prisma) {}

  readAfter(sessionId: string, after: number, options: ReadOptions = {}): Promise<StoredEvent[]> {
    return readAfter(this.prisma, { sessionId }, after, options);
  }

  /** The session's newest event, or null. */
  async last(sessionId: string): Promise<StoredEvent | null> {
    const row = await this.prisma.event.findFirst({ where: { sessionId }, orderBy: { sequence: "desc" } });
    return row ? toStoredEvent(row) : null;
  }
}

async function readAfter(prisma: Prisma, where: P.EventWhereInput, after: number, options: ReadOptions): Promise<StoredEvent[]> {
  const rows = await prisma.event.findMany({
    where: {
      ...where,
      sequence: { gt: after },
      ...(options.types?.length ? { OR: options.types.map(typeCondition) } : {}),
      ...(options.exclude?.length ? { NOT: options.exclude.map(typeCondition) } : {}),
    },
    orderBy: { sequence: "asc" },
    take: options.limit ?? 1000,
  });
  return rows.map(toStoredEvent);
}

function typeCondition(pattern: string): P.EventWhereInput {
  const p = parseTypePattern(pattern);
  return "prefix" in p ? { type: { startsWith: p.prefix } } : { type: p.exact };
}

export function toStoredEvent(row: EventRow): StoredEvent {
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
