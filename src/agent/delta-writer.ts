// Persists streamed text deltas without slowing the stream: deltas pushed in
// one tick (a burst, several in one chunk of a provider's stream) go out in one
// write, and while a write is in flight new deltas queue up for the next one.
// Idle, a delta is written within the tick it came in; under load, writes batch
// themselves — per session here, and across sessions in the log's group commit.
import { events } from "../domain/events.js";
import type { EventLog } from "../store/event-log.js";

export class DeltaWriter {
  /** Everything pushed so far (the step's text, even if the step is cut short). */
  text = "";
  private pending: string[] = [];
  private inflight: Promise<void> | null = null;
  private failure: unknown = null;

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

  private async drain(): Promise<void> {
    try {
      await undefined; // the rest of this tick's deltas join the first write
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending.splice(0);
        await this.log.appendDeltas(
          this.sessionId,
          batch.map((delta) => events.outputMessageDelta(this.ctx, this.messageId, delta)),
        );
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.inflight = null;
    }
  }
}
