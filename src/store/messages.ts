// Reads of the message projection. Pages are keyset reads on
// (sessionId, sequence): O(page), whatever the history.
import type { Prisma } from "../db/client.js";
import type { MessageRole } from "../generated/prisma/client.js";
import type { MessageRow } from "./rows.js";

export interface MessagePage {
  nodes: MessageRow[];
  /** More rows exist beyond the page in the direction read. */
  hasMore: boolean;
}

// Hot reads use fixed SQL: Prisma compiles every findMany anew (about 1 ms of
// CPU each), which the benchmarks showed as the biggest cost of a page read.
const MESSAGE_COLUMNS = `"id", "sessionId", "eventId", "sequence", "role", "content", "controls", "externalActor", "metadata",
  "tags", "phase", "thinking", "thinkingSignature", "turnId", "createdAt"`;

export class MessageStore {
  constructor(private readonly prisma: Prisma) {}

  /**
   * `backward` reads the newest `size` before `cursor` (last/before);
   * otherwise the oldest `size` after it. Nodes come back oldest first.
   */
  async page(
    sessionId: string,
    opts: { size: number; backward: boolean; cursor?: number | null; roles?: readonly MessageRole[] | null },
  ): Promise<MessagePage> {
    const { size, backward, cursor } = opts;
    const rows = await this.prisma.$queryRawUnsafe<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS} FROM "Message"
        WHERE "sessionId" = $1
          AND ($2::text[] IS NULL OR "role" = ANY($2::text[]::"MessageRole"[]))
          AND ($3::int IS NULL OR "sequence" ${backward ? "<" : ">"} $3::int)
        ORDER BY "sequence" ${backward ? "DESC" : "ASC"}
        LIMIT $4`,
      sessionId,
      opts.roles?.length ? [...opts.roles] : null,
      cursor ?? null,
      size + 1,
    );
    const hasMore = rows.length > size;
    const nodes = rows.slice(0, size);
    if (backward) nodes.reverse();
    return { nodes, hasMore };
  }

  /** Count of a session's messages; O(1) without a role filter (a counter on Session). */
  async count(sessionId: string, roles?: readonly MessageRole[] | null): Promise<number> {
    if (!roles?.length) {
      const session = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { messageCount: true } });
      return session?.messageCount ?? 0;
    }
    return this.prisma.message.count({ where: { sessionId, role: { in: [...roles] } } });
  }

  /** Messages by id, limited to sessions of the owner (for DataLoader). */
  getMany(ownerId: string, ids: readonly string[]): Promise<MessageRow[]> {
    return this.prisma.message.findMany({ where: { id: { in: [...ids] }, session: { ownerId } } });
  }

  /** The message each event produced, keyed by event id (for DataLoader). */
  getByEventIds(eventIds: readonly string[]): Promise<MessageRow[]> {
    return this.prisma.message.findMany({ where: { eventId: { in: [...eventIds] } } });
  }
}
