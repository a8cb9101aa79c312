// Publish/subscribe of appended events, per session. The memory bus serves one
// process; redis and postgres buses (several instances) implement the same
// interface. Delivery is best effort: subscribers fill gaps from the store.
import type { StoredEvent } from "../domain/events.js";

export type BusListener = (events: StoredEvent[]) => void;

export interface Bus {
  publish(sessionId: string, events: StoredEvent[]): void;
  subscribe(sessionId: string, listener: BusListener): () => void;
  /** Live listeners across all sessions (metrics, and the leak test). */
  listenerCount(): number;
  close(): Promise<void>;
}

export class MemoryBus implements Bus {
  private readonly listeners = new Map<string, Set<BusListener>>();

  publish(sessionId: string, events: StoredEvent[]): void {
    for (const listener of this.listeners.get(sessionId) ?? []) {
      // The events are committed: a failing listener must not fail the append.
      try {
        listener(events);
      } catch {
        /* a stream's listener only buffers; nothing to recover */
      }
    }
  }

  subscribe(sessionId: string, listener: BusListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
