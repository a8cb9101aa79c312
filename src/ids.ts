// Prefixed ids: `{prefix}_{32 lowercase hex}`, the hex being a UUIDv7 without
// dashes, so ids sort by creation time (SPEC §2).
import { v7 as uuidv7 } from "uuid";
import { AppError } from "./errors.js";

export const ID_PREFIXES = ["session", "message", "event", "turn", "img", "model", "key", "agent"] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

const HEX32 = /^[0-9a-f]{32}$/;

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidv7().replaceAll("-", "")}`;
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
