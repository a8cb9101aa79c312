// Reads of the event log. Tenant reads take the owner and scope the SQL by
// the session's owner, so another owner's session reads as empty; the buses'
// reads are SYSTEM reads (no caller, no owner) and live apart.
import type { Prisma } from "../db/client.js";
import type { Event as EventRow, Prisma as P } from "../generated/prisma/client.js";
import { parseTypePattern, type StoredEvent } from "../domain/events.js";
import type { JsonObject } from "../domain/content.js";
import { withDriverMessage } from "../db/errors.js";

export interface ReadOptions {
  /** At most this many events (default 1000). */
  limit?: number;
  /** Exact types or 'prefix*' patterns to keep (all when empty) and to drop. */
  types?: readonly string[] | null;
  exclude?: readonly string[] | null;
}

/** A page of a stream's replay: the events in (after, through] that pass the filter. */
export interface EventPage {
  events: StoredEvent[];
  /** The last sequence the page covers (filtered-out events included); null when nothing follows `after`. */
  through: number | null;
}

/** A replay page: at most `limit` events and, past the first, at most `maxBytes` of their data. */
export interface PageOptions extends ReadOptions {
  limit: number;
  maxBytes: number;
}

/** The owner's events, scoped in SQL. */
export class EventStore {
  constructor(private readonly prisma: Prisma) {}

  /** Events of the owner's session with sequence > after, oldest first; none when the session is not the owner's. */
  readAfter(ownerId: string, sessionId: string, after: number, options: ReadOptions = {}): Promise<StoredEvent[]> {
    return readAfter(this.prisma, { sessionId, session: { ownerId } }, after, options);
  }

  /** A stream's replay page of the owner's session (empty when it is not theirs). */
  readPage(ownerId: string, sessionId: string, after: number, options: PageOptions): Promise<EventPage> {
    return readPage(this.prisma, { sessionId, session: { ownerId } }, { sessionId, ownerId }, after, options);
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

async function readAfter(prisma: Prisma, where: P.EventWhereInput, after: number, options: ReadOptions, upTo?: number): Promise<StoredEvent[]> {
  const rows = await prisma.event.findMany({
    where: {
      ...where,
      sequence: upTo === undefined ? { gt: after } : { gt: after, lte: upTo },
      ...(options.types?.length ? { OR: options.types.map(typeCondition) } : {}),
      ...(options.exclude?.length ? { NOT: options.exclude.map(typeCondition) } : {}),
    },
    orderBy: { sequence: "asc" },
    take: options.limit ?? 1000,
  });
  return rows.map(toStoredEvent);
}

/**
 * Bounded by bytes as well as count, so a replay of a log of huge messages
 * never holds more than about `maxBytes` per subscriber: the size of each
 * event's data is summed in SQL (in sequence order, stopping at `limit`
 * rows), and only the rows that fit are loaded. The bound counts every
 * event, filtered or not, so it also bounds what the filter keeps.
 */
async function readPage(prisma: Prisma, where: P.EventWhereInput, scope: { sessionId: string; ownerId: string }, after: number, options: PageOptions): Promise<EventPage> {
  // The first row that does not fit (through = the one before it) or the limit-th row (through = it), found
  // as the window runs, so the database stops reading there; when neither comes, the page runs to the end.
  const [row] = await prisma
    .$queryRawUnsafe<{ through: number | null }[]>(
    `WITH sized AS (
       SELECT e."sequence", octet_length(e."data"::text) AS bytes FROM "Event" e
       WHERE e."sessionId" = $1 AND e."sequence" > $2
         AND EXISTS (SELECT 1 FROM "Session" s WHERE s."id" = $1 AND s."ownerId" = $5)
       ORDER BY e."sequence" LIMIT $3
     ), running AS (
       SELECT "sequence", sum(bytes) OVER w - bytes AS before, row_number() OVER w AS n, lag("sequence") OVER w AS prev
       FROM sized WINDOW w AS (ORDER BY "sequence")
     )
     SELECT COALESCE(
       (SELECT CASE WHEN before >= $4 THEN prev ELSE "sequence" END FROM running WHERE before >= $4 OR n = $3 ORDER BY "sequence" LIMIT 1),
       (SELECT max("sequence") FROM sized)
     )::int AS through`,
    scope.sessionId,
    after,
    options.limit,
    options.maxBytes,
    scope.ownerId,
    )
    .catch((error: unknown) => {
      throw withDriverMessage(error);
    });
  const through = row?.through ?? null;
  if (through === null) return { events: [], through: null };
  const events = await readAfter(prisma, where, after, options, through);
  return { events, through };
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
