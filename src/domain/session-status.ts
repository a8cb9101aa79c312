// A session's status: STARTED until its first turn, ACTIVE while a turn runs,
// IDLE after it. These events move it; no other event does.
import type { SessionStatus } from "./enums.js";

const STATUS_AFTER_EVENT: Readonly<Record<string, SessionStatus>> = {
  "session.activated": "ACTIVE",
  "session.idled": "IDLE",
};

/** The status a session has once events of these types are appended, or null when they leave it as it was. */
export function statusAfter(types: readonly string[]): SessionStatus | null {
  let status: SessionStatus | null = null;
  for (const type of types) status = STATUS_AFTER_EVENT[type] ?? status;
  return status;
}
