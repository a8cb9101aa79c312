// Reads of the message projection, scoped by the session's owner in SQL: a
// session of another owner reads as empty (a page: as null). Pages are keyset reads on
// (sessionId, sequence): O(page), whatever the history.
import type { Prisma } from "../db/client.js";
import type { DirectSql } from "../db/direct.js";
import type { Message } from "../domain/messages.js";
import type { MessageRole } from "../domain/enums.js";
import { MESSAGE_COLUMNS, toMessage } from "./rows.js";

export interface MessagePage {
  nodes: Message[];
  /** More rows exist beyond the page in the direction read. */
  hasMore: boolean;
}

// Hot reads use fixed SQL straight on the driver: Prisma compiles every
// findMany anew (about 1 ms of CPU each), and even its raw path costs a
// request through its engine; both showed as the biggest costs of a page read.
// The owner check is the page's own FROM: no row at all means the session is
// not the owner's; a row of nulls means it is, with no message in range. One
// statement answers both `session(id)` and its page (src/graphql/message-page.ts).
const PAGE_SQL = (columns: string, backward: boolean) => `
  SELECT m.* FROM (SELECT "id" FROM "Session" WHERE "id" = $1 AND "ownerId" = $2) s
  LEFT JOIN LATERAL (
    SELECT ${columns} FROM "Message"
     WHERE "sessionId" = s."id"
       AND ($3::text[] IS NULL OR "role" = ANY($3::text[]::"MessageRole"[]))
       AND ($4::int IS NULL OR "sequence" ${backward ? "<" : ">"} $4::int)
     ORDER BY "sequence" ${backward ? "DESC" : "ASC"}
     LIMIT $5) m ON true`;

/** Message columns a read may narrow to (fixed names, never client text). */
export type MessageColumn = keyof Message;
/** What every narrowed page still reads: the id, the session (Message.session) and the sequence (cursors). */
const PAGE_KEY_COLUMNS: readonly MessageColumn[] = ["id", "sessionId", "sequence"];

const quoted = (columns: readonly MessageColumn[]) => [...new Set([...PAGE_KEY_COLUMNS, ...columns])].map((c) => `"${c}"`).join(", ");

export class MessageStore {
  constructor(
    private readonly prisma: Prisma,
    private readonly sql: DirectSql,
  ) {}

  /**
   * `backward` reads the newest `size` before `cursor` (last/before);
   * otherwise the oldest `size` after it. Nodes come back oldest first. Null
   * when the session is not the owner's. `columns` narrows the rows (the
   * other fields are then absent) to what the caller will read.
   */
  async page(
    ownerId: string,
    sessionId: string,
    opts: { size: number; backward: boolean; cursor?: number | null; roles?: readonly MessageRole[] | null; columns?: readonly MessageColumn[] },
  ): Promise<MessagePage | null> {
    const { size, backward, cursor } = opts;
    const rows = await this.sql.$queryRawUnsafe<(Message | { id: null })[]>(
      PAGE_SQL(opts.columns ? quoted(opts.columns) : MESSAGE_COLUMNS, backward),
      sessionId,
      ownerId,
      opts.roles?.length ? [...opts.roles] : null,
      cursor ?? null,
      size + 1,
    );
    if (rows.length === 0) return null;
    const found = rows.filter((row): row is Message => row.id !== null);
    const hasMore = found.length > size;
    const nodes = found.slice(0, size);
    if (backward) nodes.reverse();
    return { nodes, hasMore };
  }

  /** What a turn appended after `afterSequence` (its agent and tool-result messages), oldest first, at most `limit`. */
  ofTurn(ownerId: string, sessionId: string, turnId: string, afterSequence: number, limit: number): Promise<Message[]> {
    return this.prisma.$queryRawUnsafe<Message[]>(
      `SELECT ${MESSAGE_COLUMNS} FROM "Message"
        WHERE "sessionId" = $1 AND EXISTS (SELECT 1 FROM "Session" WHERE "id" = $1 AND "ownerId" = $2)
          AND "turnId" = $3 AND "role" <> 'USER' AND "sequence" > $4
        ORDER BY "sequence" LIMIT $5`,
      sessionId,
      ownerId,
      turnId,
      afterSequence,
      limit,
    );
  }

  /** Count of the owner's session's messages; O(1) without a role filter (a counter on Session). */
  async count(ownerId: string, sessionId: string, roles?: readonly MessageRole[] | null): Promise<number> {
    if (!roles?.length) {
      const [session] = await this.sql.$queryRawUnsafe<{ messageCount: number }[]>(
        `SELECT "messageCount" FROM "Session" WHERE "id" = $1 AND "ownerId" = $2`,
        sessionId,
        ownerId,
      );
      return session?.messageCount ?? 0;
    }
    return this.prisma.message.count({ where: { sessionId, role: { in: [...roles] }, session: { ownerId } } });
  }

  /** Messages by id, limited to sessions of the owner (for DataLoader). */
  async getMany(ownerId: string, ids: readonly string[]): Promise<Message[]> {
    return (await this.prisma.message.findMany({ where: { id: { in: [...ids] }, session: { ownerId } } })).map(toMessage);
  }

  /** The message each event produced, limited to sessions of the owner (for DataLoader). */
  async getByEventIds(ownerId: string, eventIds: readonly string[]): Promise<Message[]> {
    return (await this.prisma.message.findMany({ where: { eventId: { in: [...eventIds] }, session: { ownerId } } })).map(toMessage);
  }

  /** The input message queued under an idempotency key in the owner's session, with the hash of the request that sent it. */
  async byIdempotencyKey(ownerId: string, sessionId: string, key: string): Promise<{ message: Message; requestHash: string | null } | null> {
    const [row] = await this.sql.$queryRawUnsafe<(Message & { requestHash: string | null })[]>(
      `SELECT ${MESSAGE_COLUMNS}, t."requestHash" FROM "Message"
         JOIN (SELECT "inputMessageId", "requestHash" FROM "Turn" WHERE "sessionId" = $1 AND "idempotencyKey" = $3) t
           ON t."inputMessageId" = "Message"."id"
        WHERE "sessionId" = $1 AND EXISTS (SELECT 1 FROM "Session" WHERE "id" = $1 AND "ownerId" = $2)`,
      sessionId,
      ownerId,
      key,
    );
    if (!row) return null;
    const { requestHash, ...message } = row;
    return { message, requestHash };
  }
}
