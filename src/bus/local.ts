// What the cross-process buses share: this process's listeners, counted per
// session so a bus knows when to subscribe and unsubscribe at the broker, and
// a warning logger that does not flood the log while the broker is down.
import type { Logger } from "../log.js";
import type { StoredEvent } from "../domain/events.js";
import type { BusListener } from "./bus.js";

export class LocalListeners {
  private readonly bySession = new Map<string, Set<BusListener>>();

  constructor(private readonly logger: Logger) {}

  /**
   * Adds a listener; `first` runs when the session had none. The returned
   * function removes it (calling it again does nothing) and runs `last` when
   * the session has none left.
   */
  add(sessionId: string, listener: BusListener, hooks: { first(): void; last(): void }): () => void {
    let set = this.bySession.get(sessionId);
    const isFirst = !set;
    if (!set) this.bySession.set(sessionId, (set = new Set()));
    // A wrapper per call, so subscribing one function twice makes two entries.
    const entry: BusListener = (events) => listener(events);
    set.add(entry);
    if (isFirst) hooks.first();
    return () => {
      if (!set.delete(entry)) return;
      // An emptied set is removed at once, so this runs once per set.
      if (set.size === 0) {
        this.bySession.delete(sessionId);
        hooks.last();
      }
    };
  }

  has(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  sessions(): string[] {
    return [...this.bySession.keys()];
  }

  /** Hands events to every listener of the session; one that throws does not stop the others. */
  deliver(sessionId: string, events: StoredEvent[]): void {
    const set = this.bySession.get(sessionId);
    if (!set || events.length === 0) return;
    for (const listener of [...set]) {
      try {
        listener(events);
      } catch (err) {
        this.logger.error({ err, sessionId }, "event bus listener failed");
      }
    }
  }

  count(): number {
    let n = 0;
    for (const set of this.bySession.values()) n += set.size;
    return n;
  }

  clear(): void {
    this.bySession.clear();
  }
}

/** A warn() that logs each message at most once per `everyMs`, counting the repeats it held back. */
export function throttledWarn(logger: Logger, everyMs = 10_000): (message: string, err?: unknown) => void {
  const state = new Map<string, { until: number; held: number }>();
  return (message, err) => {
    const now = Date.now();
    const seen = state.get(message);
    if (seen && now < seen.until) {
      seen.held += 1;
      return;
    }
    logger.warn(seen?.held ? { err, repeated: seen.held } : { err }, message);
    state.set(message, { until: now + everyMs, held: 0 });
  };
}

/** Tracks promises still running, so a bus can wait for them (tests, close). */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** `promise` handles its own errors (callers log them); a rejection here is ignored. */
  add(promise: Promise<unknown>): void {
    const tracked: Promise<unknown> = promise.catch(() => {}).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Resolves when everything added, including work added meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
