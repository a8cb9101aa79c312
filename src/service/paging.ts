// Relay-style page arguments: first/after or last/before, bounded.
import { validation } from "../errors.js";

export const MAX_PAGE_SIZE = 500;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
}

/** The page size and direction; more than MAX_PAGE_SIZE or a negative size is VALIDATION_FAILED. */
export function pageSize(args: PageArgs, defaultSize: number, maxSize = MAX_PAGE_SIZE): { size: number; backward: boolean } {
  if (args.first != null && args.last != null) throw validation("first", "Pass either first or last, not both");
  const backward = args.last != null;
  const size = args.first ?? args.last ?? defaultSize;
  const field = backward ? "last" : "first";
  if (!Number.isInteger(size) || size < 0) throw validation(field, `${field} must be a non-negative integer`);
  if (size > maxSize) throw validation(field, `${field} must be at most ${maxSize}`);
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
