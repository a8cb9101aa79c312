// How a user message joins a session whose turn runs or waits (SPEC §11
// "Messages during a turn"), and wait mode's bounds. Pure: the message service
// stores what these rules decide.
import { validation } from "../errors.js";
import type { MessageDelivery } from "./enums.js";

export const DELIVERIES = ["queue", "steer", "interrupt", "reject"] as const;
export type Delivery = (typeof DELIVERIES)[number];

/** QUEUE when absent; any case ("STEER", "steer"). */
export function parseDelivery(value: unknown): Delivery {
  if (value === undefined || value === null) return "queue";
  const lower = typeof value === "string" ? value.toLowerCase() : value;
  if (!(DELIVERIES as readonly unknown[]).includes(lower)) throw validation("delivery", "delivery must be QUEUE, STEER, INTERRUPT or REJECT");
  return lower as Delivery;
}

/** The session's line when a message arrives: the turn running or waiting, and whether other turns are queued. */
export interface SessionLine {
  open: { id: string; state: "running" | "waiting" } | null;
  queued: boolean;
}

export interface DeliveryOutcome {
  /** What Message.delivery records. */
  delivery: MessageDelivery;
  /** The turn this message interrupts: it ends as `interrupted` and this message's turn runs before every queued one. */
  interrupts: string | null;
  /** The turn this message joins: a step of it takes the message in (or it runs on its own if none does). */
  steersInto: string | null;
}

/**
 * What a delivery does given the session's line (REJECT with an open turn is
 * refused before this). With no turn running or waiting every mode starts a
 * turn as before. STARTED: its turn is next (INTERRUPT always; a QUEUE message
 * that supersedes a waiting turn with nothing else queued); QUEUED: others are
 * ahead of it; STEERED: it joined the open turn.
 */
export function deliveryOutcome(delivery: Delivery, line: SessionLine): DeliveryOutcome {
  const { open, queued } = line;
  if (open && delivery === "steer") return { delivery: "STEERED", interrupts: null, steersInto: open.id };
  if (open && delivery === "interrupt") return { delivery: "STARTED", interrupts: open.id, steersInto: null };
  // A QUEUE message ends a waiting turn (superseded): then only queued turns are ahead of it.
  const ahead = queued || open?.state === "running";
  return { delivery: ahead ? "QUEUED" : "STARTED", interrupts: null, steersInto: null };
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
