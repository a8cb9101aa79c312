// PostgreSQL LISTEN/NOTIFY between instances, on one channel for all
// sessions. A NOTIFY payload is capped at 8000 bytes, so it carries only a
// pointer to the events — { s: session, a: first sequence, b: last sequence }
// — and an instance that has listeners for the session loads them from the
// event log. The publishing process hands events to its own listeners
// directly and skips its own pointers. Delivery is best effort; streams
// backfill gaps from the store.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "../log.js";
import type { StoredEvent } from "../domain/events.js";
import type { SystemEvents } from "../store/events.js";
import type { Bus, BusListener } from "./bus.js";
import { InFlight, LocalListeners, throttledWarn } from "./local.js";

export const PG_CHANNEL = "parley_events";

/** `o` is the publishing bus, so we can skip our own. */
interface Pointer {
  o: string;
  s: string;
  a: number;
  b: number;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;
const PAGE = 500;

export interface PostgresBusOptions {
  databaseUrl: string;
  logger: Logger;
  log: Pick<SystemEvents, "readAfter" | "last">;
}

export class PostgresBus implements Bus {
  /** Tells our own pointers apart from other instances' (also names the connections in pg_stat_activity). */
  readonly origin = randomBytes(8).toString("hex");
  private readonly local: LocalListeners;
  private readonly inFlight = new InFlight();
  private readonly warn: (message: string, err?: unknown) => void;
  /** One connection, so NOTIFYs go out in publish order; the pool replaces it if it dies. */
  private readonly notifier: pg.Pool;
  private listener: pg.Client | undefined;
  private connectedBefore = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  /** Pointers waiting for the notifier; `flushing` while one batch is on its way. */
  private outbox: Pointer[] = [];
  private flushing: Promise<void> | undefined;
  /** Per session, notified ranges still to load, oldest first; `loading` while a loader runs. */
  private readonly pending = new Map<string, { a: number; b: number }[]>();
  private readonly loading = new Set<string>();
  private closing = false;

  constructor(private readonly options: PostgresBusOptions) {
    this.local = new LocalListeners(options.logger);
    this.warn = throttledWarn(options.logger);
    this.notifier = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 1,
      application_name: `parley-notify-${this.origin}`,
      connectionTimeoutMillis: 5000,
    });
    // An idle connection that dies emits here; unhandled, it would crash the process.
    this.notifier.on("error", (err) => this.warn("postgres NOTIFY connection error", err));
  }

  /** Opens the LISTEN connection; if that fails it keeps retrying in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  publish(sessionId: string, events: StoredEvent[]): void {
    const first = events[0];
    const last = events.at(-1);
    if (!first || !last) return;
    this.local.deliver(sessionId, events);
    if (this.closing) return;
    const previous = this.outbox.at(-1);
    // A burst of appends while a NOTIFY is on its way (deltas) becomes one pointer.
    if (previous && previous.s === sessionId && previous.b + 1 === first.sequence) previous.b = last.sequence;
    else this.outbox.push({ o: this.origin, s: sessionId, a: first.sequence, b: last.sequence });
    this.flushing ??= this.flush();
  }

  subscribe(sessionId: string, listener: BusListener): () => void {
    // LISTEN covers every session already: nothing to do at the server.
    return this.local.add(sessionId, listener, { first: () => {}, last: () => this.pending.delete(sessionId) });
  }

  listenerCount(): number {
    return this.local.count();
  }

  /** Resolves when queued NOTIFYs are sent and notified events loaded and delivered. */
  async settled(): Promise<void> {
    await this.flushing;
    await this.inFlight.settled();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.local.clear();
    this.pending.clear();
    await this.flushing; // the last events should still reach the other instances
    await this.inFlight.settled();
    const listener = this.listener;
    this.listener = undefined;
    await Promise.allSettled([listener?.end(), this.notifier.end()]);
  }

  /**
   * Sends the outbox, one statement per batch: pg_notify runs row by row, so
   * in order. `flushing` is cleared in the same tick the outbox is found
   * empty, so a publish never waits on a flush that already ended.
   */
  private async flush(): Promise<void> {
    try {
      while (this.outbox.length > 0) {
        const batch = this.outbox;
        this.outbox = [];
        try {
          await this.notifier.query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [
            PG_CHANNEL,
            batch.map((pointer) => JSON.stringify(pointer)),
          ]);
        } catch (err) {
          this.warn("postgres NOTIFY failed; other instances' streams backfill from the store", err);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: `parley-listen-${this.origin}`,
      connectionTimeoutMillis: 5000,
      // Notice a silently dead connection (no RST) well before the OS default of hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on("notification", (message) => this.receive(message.payload));
    client.on("error", (err) => this.dropped(client, err));
    client.on("end", () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_CHANNEL}`);
    } catch (err) {
      void client.end().catch(() => {});
      if (this.closing) return;
      this.warn("postgres LISTEN connection failed; retrying", err);
      this.scheduleReconnect();
      return;
    }
    if (this.closing) {
      await client.end().catch(() => {});
      return;
    }
    this.listener = client;
    this.retryMs = RETRY_MIN_MS;
    if (this.connectedBefore) this.options.logger.info({ sessions: this.local.sessions().length }, "postgres LISTEN reconnected");
    this.connectedBefore = true;
    // Listeners that came while we were not listening may have missed events.
    for (const sessionId of this.local.sessions()) this.inFlight.add(this.resync(sessionId));
  }

  private dropped(client: pg.Client, err?: Error): void {
    if (client !== this.listener || this.closing) return; // an old client, or we are closing
    this.listener = undefined;
    this.options.logger.warn({ err }, "postgres LISTEN connection lost; reconnecting");
    void client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /**
   * NOTIFYs sent while we were disconnected are lost. Re-sending the session's
   * newest event lets a stream that is behind see the gap and backfill it from
   * the store; one that is not drops it as a duplicate.
   */
  private async resync(sessionId: string): Promise<void> {
    try {
      const last = await this.options.log.last(sessionId);
      if (last) this.enqueue(sessionId, last.sequence, last.sequence);
    } catch (err) {
      this.warn("postgres bus: resync after reconnect failed", err);
    }
  }

  private receive(payload: string | undefined): void {
    let pointer: Pointer;
    try {
      pointer = JSON.parse(payload ?? "") as Pointer;
      if (typeof pointer.s !== "string" || !Number.isInteger(pointer.a) || !Number.isInteger(pointer.b) || pointer.a > pointer.b) {
        throw new Error("not a pointer");
      }
    } catch (err) {
      this.warn("postgres bus: unreadable notification dropped", err);
      return;
    }
    if (pointer.o === this.origin) return; // ours: local listeners got the events at publish
    this.enqueue(pointer.s, pointer.a, pointer.b);
  }

  /** Queues a range to load for a session that has listeners here, and starts its loader. */
  private enqueue(sessionId: string, a: number, b: number): void {
    if (!this.local.has(sessionId)) return;
    const ranges = this.pending.get(sessionId) ?? [];
    const previous = ranges.at(-1);
    // Only adjacent ranges merge: merging across a gap would re-send events published here.
    if (previous && previous.b + 1 === a) previous.b = b;
    else ranges.push({ a, b });
    this.pending.set(sessionId, ranges);
    if (this.loading.has(sessionId)) return;
    this.loading.add(sessionId);
    this.inFlight.add(this.load(sessionId));
  }

  /**
   * Loads a session's pending ranges one after another, so its listeners get
   * events in order. `loading` is cleared in the same tick the queue is found
   * empty, so no range is left behind without a loader.
   */
  private async load(sessionId: string): Promise<void> {
    try {
      for (let range = this.nextRange(sessionId); range; range = this.nextRange(sessionId)) {
        try {
          let after = range.a - 1;
          while (after < range.b && this.local.has(sessionId)) {
            const events = await this.options.log.readAfter(sessionId, after, { limit: Math.min(range.b - after, PAGE) });
            if (events.length === 0) break;
            this.local.deliver(sessionId, events);
            after = events.at(-1)!.sequence;
          }
        } catch (err) {
          this.warn("postgres bus: loading notified events failed; streams backfill from the store", err);
        }
      }
    } finally {
      this.loading.delete(sessionId);
    }
  }

  private nextRange(sessionId: string): { a: number; b: number } | undefined {
    const ranges = this.pending.get(sessionId);
    const range = ranges?.shift();
    if (ranges?.length === 0) this.pending.delete(sessionId);
    return range;
  }
}
