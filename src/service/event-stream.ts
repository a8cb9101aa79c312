// Replay-then-live, the one algorithm behind every stream (graphql-ws, GraphQL
// SSE, REST SSE): subscribe to the bus first, then read the backlog after the
// cursor from the store, then yield live events — dropping any sequence
// already sent and backfilling from the store when a gap shows up. The result
// is every event after the cursor exactly once, in order.
import { Repeater } from "@repeaterjs/repeater";
import type { Bus } from "../bus/bus.js";
import { eventTypeFilter, type StoredEvent } from "../domain/events.js";
import type { EventPage, PageOptions } from "../store/events.js";
import { AppError } from "../errors.js";
import { STREAM_PAGE_BYTES, STREAM_PAGE_EVENTS, STREAM_STALL_MS, eventBytes } from "./stream-bounds.js";

export interface StreamOptions {
  sessionId: string;
  /** null/undefined: live only; N: every event with sequence > N, then live. */
  after?: number | null;
  types?: readonly string[] | null;
  exclude?: readonly string[] | null;
  /** Sequence the session had when the stream was opened (live-only start point). */
  head: () => Promise<number>;
  /** Told when the stream starts and ends (the subscriptions_active gauge). */
  tracker?: { opened(): void; closed(): void };
  /** Re-checked every `everyMs`: when it answers false (a revoked key) the stream ends. */
  recheck?: { everyMs: number; allowed: () => Promise<boolean>; revoked?: (listener: () => void) => () => void };
  /** Live events a subscriber that stops reading may leave waiting, in bytes of data; past it the stream is cut off. */
  maxBufferedBytes: number;
  /**
   * Told when the subscriber is cut off for being too slow, so a transport
   * waiting for its socket to drain ends the connection at once instead of
   * after the next write that will never come.
   */
  onCutOff?: (error: AppError) => void;
  /** False for a shared channel's own stream: it is never cut off, it only catches up from the store (its members are watched instead). */
  cutOffStalled?: boolean;
}

export interface StreamDeps {
  bus: Bus;
  /** A replay page of the stream's session after a sequence, oldest first. */
  readPage(after: number, options: PageOptions): Promise<EventPage>;
}

export function streamEvents(deps: StreamDeps, options: StreamOptions): AsyncIterableIterator<StoredEvent> {
  const wanted = eventTypeFilter(options.types, options.exclude);
  const filter = { types: options.types, exclude: options.exclude };

  return new Repeater<StoredEvent>(async (push, stop) => {
    options.tracker?.opened();
    const pending: StoredEvent[] = [];
    let pendingBytes = 0;
    let wake: (() => void) | undefined;
    let stopped = false;
    let sent = 0;
    /** Live events were dropped for the store to supply: catch up from it before waiting again. */
    let behind = false;
    /** When the subscriber last took an event or was waiting for one (an idle subscriber is not a stalled one). */
    let lastTook = Date.now();
    const unsubscribe = deps.bus.subscribe(options.sessionId, (events) => {
      if (stopped) return;
      for (const event of events) pendingBytes += eventBytes(event);
      pending.push(...events);
      if (pendingBytes <= options.maxBufferedBytes) {
        wake?.();
        return;
      }
      // Over the bound: a subscriber still taking events (a long replay, a slow
      // link) gets them from the store instead, page by page; one that took
      // nothing for STREAM_STALL_MS has stopped reading and is cut off.
      if (options.cutOffStalled === false || Date.now() - lastTook < STREAM_STALL_MS) {
        pending.length = 0;
        pendingBytes = 0;
        behind = true;
      } else {
        const error = new AppError(
          "CONFLICT",
          `subscriber too slow: more than ${options.maxBufferedBytes} bytes of events waiting for it; resubscribe with after: ${sent}`,
        );
        stop(error);
        options.onCutOff?.(error);
      }
      wake?.();
    });
    const send = async (event: StoredEvent) => {
      await push(event);
      lastTook = Date.now();
    };
    const recheck =
      options.recheck &&
      setInterval(() => {
        options.recheck!.allowed().then(
          (ok) => ok || stop(),
          () => {}, // a failed check (database hiccup) is no verdict
        );
      }, options.recheck.everyMs);
    const unwatch = options.recheck?.revoked?.(() => stop());
    void stop.then(() => {
      stopped = true;
      unwatch?.();
      pending.length = 0; // a cut-off subscriber's backlog is freed now, not when its socket goes
      clearInterval(recheck);
      wake?.();
    });

    try {
      // The bus is live now: everything committed from here on is in `pending`.
      sent = options.after ?? (await options.head());
      const head = options.after == null ? sent : await options.head();

      /** Sends stored events in (sent, upTo] matching the filter, page by page (each bounded by count and bytes). */
      const backfill = async (upTo: number) => {
        while (!stopped && sent < upTo) {
          const page = await deps.readPage(sent, { ...filter, limit: STREAM_PAGE_EVENTS, maxBytes: STREAM_PAGE_BYTES });
          for (const event of page.events) {
            if (event.sequence > upTo || stopped) break;
            await send(event);
            sent = event.sequence;
          }
          sent = page.through === null ? upTo : Math.min(page.through, upTo);
        }
      };

      await backfill(head);
      while (!stopped) {
        if (behind) {
          behind = false;
          await backfill(await options.head());
          continue;
        }
        const event = pending.shift();
        if (event) pendingBytes -= eventBytes(event);
        if (!event) {
          lastTook = Date.now();
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          lastTook = Date.now();
          continue;
        }
        if (event.sequence <= sent) continue; // already sent (replay overlap or duplicate delivery)
        if (event.sequence > sent + 1) await backfill(event.sequence - 1); // a gap: fetch what we missed
        if (stopped) break;
        if (wanted(event.type)) await send(event);
        sent = event.sequence;
      }
    } finally {
      unsubscribe();
      options.tracker?.closed();
    }
  });
}
