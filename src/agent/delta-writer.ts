// Persists streamed text deltas without slowing the stream: deltas pushed in
// one tick (a burst, several in one chunk of a provider's stream) go out in one
// write, and while a write is in flight new deltas queue up for the next one.
// Idle, a delta is written in the next turn of the event loop; under load,
// writes batch themselves — per session here, and across sessions in the log's
// group commit. A step that ends before its last deltas went out hands them
// over (handOver) to the statement that logs its completion.
import { setImmediate as nextTurn } from "node:timers/promises";
import { events, type NewEvent } from "../domain/events.js";
import type { EventLog } from "../store/event-log.js";

export class DeltaWriter {
  /** Everything pushed so far (the step's text, even if the step is cut short). */
  text = "";
  private pending: string[] = [];
  private inflight: Promise<void> | null = null;
  private failure: unknown = null;
  private handedOver = false;

  constructor(
    private readonly log: EventLog,
    private readonly sessionId: string,
    private readonly ctx: { turnId: string; inputMessageId: string },
    private readonly messageId: string,
  ) {}

  push(delta: string): void {
    if (delta.length === 0) return;
    this.text += delta;
    this.pending.push(delta);
    this.inflight ??= this.drain();
  }

  /** Resolves when every pushed delta is stored; rethrows a failed write. */
  async flush(): Promise<void> {
    while (this.inflight) await this.inflight;
    if (this.failure) throw this.failure;
  }

  /**
   * Ends the writer: waits for the write in flight, then answers the deltas
   * not written yet, for the caller to log ahead of the step's completion in
   * its own statement (a step whose deltas all came in its last tick costs no
   * write of its own). Rethrows a failed write.
   */
  async handOver(): Promise<NewEvent[]> {
    this.handedOver = true;
    await this.flush();
    return this.pending.splice(0).map((delta) => events.outputMessageDelta(this.ctx, this.messageId, delta));
  }

  private async drain(): Promise<void> {
    try {
      // The rest of this tick's deltas join the first write, and a step that ends
      // in this tick hands them all over instead.
      await nextTurn();
      while (this.pending.length > 0 && !this.failure && !this.handedOver) {
        const batch = this.pending.splice(0);
        await this.log.appendDeltas(this.sessionId, batch.map((delta) => events.outputMessageDelta(this.ctx, this.messageId, delta)));
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.inflight = null;
    }
  }
}
