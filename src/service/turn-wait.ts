// Wait mode (SPEC §11): a createMessage that answers once its turn has ended
// (session.idled) or waits for tool results, or after a bound. It listens on
// the bus (events of any instance) and reads the Turn row when an event of
// the turn says something changed; never a loop of reads. Only one step has
// no event of its own: a turn starts to wait just after the step's last
// event, so after a tool.call_requested it re-reads with a short backoff
// until the turn has left RUNNING.
import type { Bus } from "../bus/bus.js";
import type { StoredEvent } from "../domain/events.js";
import { TURN_STATUS, type TurnStatus } from "../domain/enums.js";
import type { Message } from "../domain/messages.js";
import type { Store } from "../store/index.js";

/** Events after which a turn may have ended or begun to wait. */
const WATCHED = new Set(["session.idled", "tool.call_requested", "tool.completed", "turn.resumed"]);
const BACKOFF_MS = [10, 25, 50, 100, 200, 400, 800];
/** turn_messages holds at most this many messages. */
export const TURN_MESSAGES_CAP = 500;

/** Done: the turn has ended, or waits for tool results with nothing left to run before the wait. */
const settled = (s: { status: TurnStatus; callsWaiting: boolean } | null) =>
  !s || s.status === "COMPLETED" || s.status === "FAILED" || s.status === "CANCELLED" || s.status === "STEERED" || s.status === "WAITING";

export class TurnWaiter {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
  ) {}

  /** Resolves when turn `turnId` of the session has ended or waits, after `waitMs`, or when `signal` aborts. */
  wait(sessionId: string, turnId: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    if (waitMs === 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let done = false;
      let backoff = 0;
      let retry: NodeJS.Timeout | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(retry);
        unsubscribe();
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const check = async () => {
        if (done) return;
        clearTimeout(retry);
        const state = await this.store.system.turns.waitState(turnId).catch(() => null);
        if (done) return;
        if (settled(state)) return finish();
        // Calls were requested: the turn waits once the step's other tools ran, a moment from now.
        if (state!.status === "RUNNING" && state!.callsWaiting) {
          retry = setTimeout(() => void check(), BACKOFF_MS[Math.min(backoff++, BACKOFF_MS.length - 1)]);
        }
      };
      // Subscribed first, then read: an event between the two is not missed.
      const unsubscribe = this.bus.subscribe(sessionId, (events: StoredEvent[]) => {
        if (events.some((e) => e.context.turnId === turnId && WATCHED.has(e.type))) {
          backoff = 0;
          void check();
        }
      });
      const timer = setTimeout(finish, waitMs);
      signal?.addEventListener("abort", finish, { once: true });
      void check();
    });
  }

  /** The message's turn status (REST `turn_status`) and the messages that turn appended after it (`turn_messages`). */
  async progress(ownerId: string, message: Message): Promise<{ status: (typeof TURN_STATUS)[TurnStatus]; messages: Message[] }> {
    const turnId = message.turnId!;
    const [state, messages] = await Promise.all([
      this.store.system.turns.waitState(turnId),
      this.store.messages.ofTurn(ownerId, message.sessionId, turnId, message.sequence, TURN_MESSAGES_CAP),
    ]);
    // Queued to resume after its answers: under way, as far as the client is concerned.
    const status: TurnStatus = !state ? "QUEUED" : state.status === "QUEUED" && state.resuming ? "RUNNING" : state.status;
    return { status: TURN_STATUS[status], messages };
  }
}
