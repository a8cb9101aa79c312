// Two lanes to the embedded database, which runs one statement at a time (in
// its worker thread, src/db/pglite-worker.ts): a caller's request (interactive, the default) goes
// ahead of the turn runner's streaming writes (background), so an
// acknowledgement waits for at most the statement in progress, not for every
// other session's queued deltas. The lane is the async context's, so a whole
// request (or a whole turn) keeps its lane through every await.
import { AsyncLocalStorage } from "node:async_hooks";

export type Lane = "interactive" | "background";

const lane = new AsyncLocalStorage<Lane>();
// Off until an embedded database asks for lanes: an active AsyncLocalStorage
// costs every promise of the process a hook, which PostgreSQL (a pool, no
// single connection to share) would pay for nothing.
let enabled = false;

/** Called by the embedded database when it opens (src/db/client.ts). */
export function enableLanes(): void {
  enabled = true;
}

/** Runs `fn` (and everything it starts) in the background lane: work nobody is waiting on right now. */
export function inBackground<T>(fn: () => T): T {
  return enabled ? lane.run("background", fn) : fn();
}

export const currentLane = (): Lane => lane.getStore() ?? "interactive";

/**
 * Admits one operation at a time, interactive ones first. After
 * `BACKGROUND_EVERY` interactive operations in a row a waiting background one
 * goes, so a steady stream of requests cannot stall the turns. With PGlite in
 * its worker the one connection is what everything waits for, so this ratio
 * is the trade: under a flood of messages (the write bench), 1 in 3 keeps acks
 * at 2.7× the SQL floor with the turns at 251 events/s; 1 in 9 gave 2.5× but
 * 125 events/s, 1 in 2 gave 5.7× and 316 events/s.
 */
export class LaneGate {
  private static readonly BACKGROUND_EVERY = 2;
  private busy = false;
  private streak = 0;
  private readonly waiting: Record<Lane, (() => void)[]> = { interactive: [], background: [] };

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting[currentLane()].push(resolve));
    else this.busy = true;
    try {
      return await fn();
    } finally {
      this.next();
    }
  }

  private next(): void {
    const { interactive, background } = this.waiting;
    const takeBackground = background.length > 0 && (interactive.length === 0 || this.streak >= LaneGate.BACKGROUND_EVERY);
    const resume = takeBackground ? background.shift() : interactive.shift();
    this.streak = takeBackground ? 0 : resume ? this.streak + 1 : 0;
    if (resume) resume(); // the slot passes on, still busy
    else this.busy = false;
  }
}
