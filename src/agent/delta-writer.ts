// Persists streamed text deltas without slowing the stream: while one append
// is in flight, new deltas queue up and go out together in the next one. Idle,
// each delta is written at once; under load, writes batch themselves — per
// session here, and across sessions in the log's group commit.
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
