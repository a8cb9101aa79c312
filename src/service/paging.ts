// Page sizes and cursors. The caps live here and nowhere else: transports
// pass the size the client asked for, the service bounds it.
import { validation } from "../errors.js";

export interface PageCaps {
  default: number;
  max: number;
}

export const PAGE_CAPS = {
  sessions: { default: 20, max: 500 },
  messages: { default: 100, max: 500 },
  /** REST answers a session's messages in one list, not in pages; by default as many as GraphQL's largest page. */
  restMessages: { default: 500, max: 1000 },
  events: { default: 100, max: 500 },
  agents: { default: 20, max: 500 },
} as const satisfies Record<string, PageCaps>;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  /** REST's name for `first`. */
  limit?: number | null;
}

/** Relay's page arguments; cursors are opaque strings. */
export interface CursorPageArgs extends PageArgs {
  after?: string | null;
  before?: string | null;
}

/** The page size and direction; a size above the cap or a negative one is VALIDATION_FAILED naming the argument. */
export function pageSize(args: PageArgs, caps: PageCaps): { size: number; backward: boolean } {
  if (args.first != null && args.last != null) throw validation("first", "Pass either first or last, not both");
  const backward = args.last != null;
  const [field, asked] = args.limit != null ? ["limit", args.limit] : backward ? ["last", args.last] : ["first", args.first];
  const size = asked ?? caps.default;
  if (!Number.isInteger(size) || size < 0) throw validation(field, `${field} must be a non-negative integer`);
  if (size > caps.max) throw validation(field, `${field} must be at most ${caps.max}`);
  return { size, backward };
}

/** Opaque cursors over an integer position (message sequence). */
export const encodeCursor = (sequence: number) => Buffer.from(`seq:${sequence}`).toString("base64url");

export function decodeCursor(cursor: string, field: string): number {
  const text = Buffer.from(cursor, "base64url").toString();
  const match = /^seq:(\d{1,10})$/.exec(text);
  if (!match) throw validation(field, `Invalid cursor ${JSON.stringify(cursor.slice(0, 60))}`);
  return Number(match[1]);
}
