// Error disclosure (SPEC §3, §4): how much of a failed turn's error the client
// sees. A message's controls may narrow the model's allowed level, never widen it.
import type { Disclosure } from "./content.js";
import type { TurnErrorCode } from "./events.js";

const ORDER: readonly Disclosure[] = ["generic", "standard", "detailed"];

export const GENERIC_ERROR_MESSAGE = "The agent could not complete this turn.";
export const MAX_DETAIL_LENGTH = 2000;

/** The level a turn uses: the requested one (default standard), capped at the model's maximum. */
export function effectiveDisclosure(requested: Disclosure | undefined | null, modelMax: Disclosure): Disclosure {
  const wanted = requested ?? "standard";
  return ORDER.indexOf(wanted) <= ORDER.indexOf(modelMax) ? wanted : modelMax;
}

/** The error text recorded in `turn.failed.data.error` at the given level. */
export function discloseError(
  level: Disclosure,
  e: { code: TurnErrorCode; safeMessage: string; detail?: string | null },
): string {
  if (level === "generic") return GENERIC_ERROR_MESSAGE;
  const standard = `${e.code}: ${e.safeMessage}`;
  if (level === "standard" || !e.detail) return standard;
  // Provider messages can be whole response bodies; keep the event small.
  const detail = e.detail.length > MAX_DETAIL_LENGTH ? `${e.detail.slice(0, MAX_DETAIL_LENGTH - 1)}…` : e.detail;
  return `${standard} (detail: ${detail})`;
}
