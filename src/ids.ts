// Prefixed ids: `{prefix}_{32 lowercase hex}`, the hex being a UUIDv7 without
// dashes, so ids sort by creation time (SPEC §2).
import { randomFillSync } from "node:crypto";
import { AppError } from "./errors.js";

export const ID_PREFIXES = ["session", "message", "event", "turn", "img", "model", "key", "agent"] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

const HEX32 = /^[0-9a-f]{32}$/;

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidV7Hex()}`;
}

// UUIDv7 (RFC 9562) with a 32-bit counter in rand_a and the top of rand_b
// (its method 1), seeded at random each millisecond, so ids made in one
// millisecond still sort in creation order; a counter that wraps borrows the
// next millisecond. Random bytes come from a pool refilled 256 ids at a time:
// the `uuid` package asks the system for 16 bytes per id, about 10 µs here,
// and a message with its turn makes some twenty ids.
const pool = Buffer.allocUnsafe(16 * 256);
let poolAt = pool.length;
const bytes = Buffer.allocUnsafe(16);
let lastMs = -Infinity;
let counter = 0;

function uuidV7Hex(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 16;
  let ms = Date.now();
  if (ms > lastMs) {
    counter = ((pool[r]! & 0x7f) << 24) | (pool[r + 1]! << 16) | (pool[r + 2]! << 8) | pool[r + 3]!;
    lastMs = ms;
  } else {
    counter = (counter + 1) | 0;
    if (counter === 0) lastMs += 1;
    ms = lastMs;
  }
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | ((counter >>> 28) & 0x0f); // version 7, counter bits 31–28
  bytes[7] = (counter >>> 20) & 0xff;
  bytes[8] = 0x80 | ((counter >>> 14) & 0x3f); // variant 10, counter bits 19–14
  bytes[9] = (counter >>> 6) & 0xff;
  bytes[10] = ((counter << 2) & 0xfc) | (pool[r + 4]! & 0x03);
  pool.copy(bytes, 11, r + 11, r + 16);
  return bytes.toString("hex");
}

export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== "string" || !value.startsWith(`${prefix}_`)) return false;
  return HEX32.test(value.slice(prefix.length + 1));
}

/** Returns the id unchanged, or throws INVALID_ID naming the argument. */
export function parseId(prefix: IdPrefix, value: unknown, field?: string): string {
  if (isId(prefix, value)) return value;
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : String(value);
  throw new AppError("INVALID_ID", `Invalid ${prefix} id ${shown}: expected ${prefix}_ followed by 32 lowercase hex digits`, field);
}

/** The prefix of a well-formed id, or undefined. */
export function prefixOf(value: string): IdPrefix | undefined {
  const prefix = ID_PREFIXES.find((p) => value.startsWith(`${p}_`));
  return prefix && isId(prefix, value) ? prefix : undefined;
}
