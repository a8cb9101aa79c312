// The deliveries of a user message (SPEC §11 "Messages during a turn"; what
// each does given the session's line is decided in the statement that stores
// it, src/store/input-messages.ts), and wait mode's bounds.
import { validation } from "../errors.js";

export const DELIVERIES = ["queue", "steer", "interrupt", "reject"] as const;
export type Delivery = (typeof DELIVERIES)[number];

/** QUEUE when absent; any case ("STEER", "steer"). */
export function parseDelivery(value: unknown): Delivery {
  if (value === undefined || value === null) return "queue";
  const lower = typeof value === "string" ? value.toLowerCase() : value;
  if (!(DELIVERIES as readonly unknown[]).includes(lower)) throw validation("delivery", "delivery must be QUEUE, STEER, INTERRUPT or REJECT");
  return lower as Delivery;
}

/** Wait mode's longest wait (SPEC §11): ten minutes. */
export const MAX_WAIT_MS = 600_000;

/** null when absent; else an integer 0…MAX_WAIT_MS, or VALIDATION_FAILED naming `field`. */
export function parseWaitMs(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_WAIT_MS) {
    throw validation(field, `${field} must be an integer from 0 to ${MAX_WAIT_MS} (milliseconds)`);
  }
  return value;
}
