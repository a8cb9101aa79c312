// Replay-then-live, the one algorithm behind every stream (graphql-ws, GraphQL
// SSE, REST SSE): subscribe to the bus first, then read the backlog after the
// cursor from the store, then yield live events — dropping any sequence
// already sent and backfilling from the store when a gap shows up. The result
// is every event after the cursor exactly once, in order.
import { Repeater } from "@repeaterjs/repeater";
import type { Bus } from "../bus/bus.js";
import { eventTypeFilter, type StoredEvent } from "../domain/events.js";
import type { ReadOptions } from "../store/events.js";
import { AppError } from "../errors.js";

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
  recheck?: { everyMs: number; allowed: () => Promise<boolean> };
}

/** A subscriber further behind than this many live events is ended (it can resume with `after`). */
export const MAX_PENDING_EVENTS = 10_000;
const PAGE = 500;

export interface StreamDeps {
  bus: Bus;
  /** The stored events of the stream's session after a sequence, oldest first. */
  readAfter(after: number, options: ReadOptions): Promise<StoredEvent[]>;
}

export function streamEvents(deps: StreamDeps, options: StreamOptions): AsyncIterableIterator<StoredEvent> {
  const wanted = eventTypeFilter(options.types, options.exclude);
  const filter = { types: options.types, exclude: options.exclude };

  return new Repeater<StoredEvent>(async (push, stop) => {
    options.tracker?.opened();
    const pending: StoredEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = deps.bus.subscribe(options.sessionId, (events) => {
      pending.push(...events);
      if (pending.length > MAX_PENDING_EVENTS) {
        stop(new AppError("CONFLICT", `subscriber too slow: more than ${MAX_PENDING_EVENTS} events pending; resubscribe with after`));
      }
      wake?.();
    });
    let stopped = false;
    const recheck =
      options.recheck &&
      setInterval(() => {
        options.recheck!.allowed().then(
          (ok) => ok || stop(),
          () => {}, // a failed check (database hiccup) is no verdict
        );
      }, options.recheck.everyMs);
    void stop.then(() => {
      stopped = true;
      clearInterval(recheck);
      wake?.();
    });

    try {
      // The bus is live now: everything committed from here on is in `pending`.
      let sent = options.after ?? (await options.head());
      const head = options.after == null ? sent : await options.head();

      /** Sends stored events in (sent, upTo] matching the filter, page by page. */
      const backfill = async (upTo: number) => {
        while (!stopped && sent < upTo) {
          const page = await deps.readAfter(sent, { ...filter, limit: PAGE });
          const inRange = page.filter((e) => e.sequence <= upTo);
          for (const event of inRange) await push(event);
          sent = inRange.length === PAGE ? inRange[PAGE - 1]!.sequence : upTo;
        }
      };

      await backfill(head);
      while (!stopped) {
        const event = pending.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (event.sequence <= sent) continue; // already sent (replay overlap or duplicate delivery)
        if (event.sequence > sent + 1) await backfill(event.sequence - 1); // a gap: fetch what we missed
        if (stopped) break;
        if (wanted(event.type)) await push(event);
        sent = event.sequence;
      }
    } finally {
      unsubscribe();
      options.tracker?.closed();
    }
  });
}
