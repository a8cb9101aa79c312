// What one subscriber of an event stream may make the server hold: replay
// pages are bounded by count and by bytes, and live events waiting for it by
// bytes (STREAM_MAX_BUFFERED_BYTES). Past that bound a subscriber still
// reading catches up from the store, page by page; one that has read nothing
// for STREAM_STALL_MS is cut off and resumes with `after` (SPEC §5).
import type { StoredEvent } from "../domain/events.js";

/** STREAM_MAX_BUFFERED_BYTES' default. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** A subscriber with more than the bound waiting that took nothing for this long has stopped reading: it is cut off. */
export const STREAM_STALL_MS = 5_000;

/** How long a cut-off stream's last frames get to leave before its connection is destroyed (ws' own close timeout). */
export const CUT_OFF_GRACE_MS = 30_000;

/** Events per replay page read from the store. */
export const STREAM_PAGE_EVENTS = 500;
/** Bytes of event data per replay page (a single larger event still makes a page of its own). */
export const STREAM_PAGE_BYTES = 1024 * 1024;

/** Room for an event's id, type, sequence, ts and context besides its data. */
const ENVELOPE_BYTES = 200;
const sizes = new WeakMap<StoredEvent, number>();

/** About how many bytes an event takes on the wire; computed once per event object (the bus hands every listener the same one). */
export function eventBytes(event: StoredEvent): number {
  let size = sizes.get(event);
  if (size === undefined) {
    size = JSON.stringify(event.data).length + ENVELOPE_BYTES;
    sizes.set(event, size);
  }
  return size;
}
