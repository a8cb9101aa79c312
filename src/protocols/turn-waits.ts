// Where a turn waits (SPEC §11), read from its events alone, so both client
// protocols end a stream at the same point on every replay. A step waits
// when each of its calls is either requested (tool.call_requested) or a
// server tool that has completed, and a requested call is still open: that
// is the moment the runner lets go of the turn. The log has no event for the
// wait itself, nor for an approval given (only for the run that follows).
import { messageOf, str, toolCallsOf, TURN_END, type LogEvent } from "./log-event.js";

export type WaitKind = "client" | "approval";

export interface WaitingCall {
  id: string;
  name: string;
  kind: WaitKind;
  /** ISO time the call times out (`data.expires_at`). */
  expiresAt: string;
}

interface Step {
  index: number;
  calls: string[];
  requested: Map<string, WaitingCall>;
  completed: Set<string>;
  waited: boolean;
}

/** Events after which a step's wait is over even when no call of it says so. */
const AFTER_WAIT = new Set(["turn.resumed", "output.message.started", ...TURN_END]);

/** Folds one turn's events, in order; tells where the turn starts waiting and where it goes on after a wait. */
export class TurnWaits {
  private step: Step | null = null;
  private steps = 0;
  private readonly stepOfCall = new Map<string, number>();
  private readonly kinds = new Map<string, WaitKind>();
  /** True from the event where the turn starts waiting until it goes on (answers that leave calls open keep it). */
  atWait = false;

  /** The calls the turn waits for when `event` is where it starts waiting, else null. */
  observe(event: LogEvent): WaitingCall[] | null {
    if (AFTER_WAIT.has(event.type) || (event.type === "tool.started" && this.atWait)) this.atWait = false;
    if (event.type === "output.message.completed") {
      const calls = toolCallsOf(messageOf(event.data)).map((c) => c.id);
      if (calls.length === 0) return null;
      this.step = { index: ++this.steps, calls, requested: new Map(), completed: new Set(), waited: false };
      for (const id of calls) this.stepOfCall.set(id, this.step.index);
      return null;
    }
    const step = this.step;
    if (!step || step.waited) return null;
    if (event.type === "tool.call_requested") {
      const call = event.data.tool_call as { id: string; name: string };
      const kind = event.data.kind === "approval" ? "approval" : "client";
      this.kinds.set(call.id, kind);
      step.requested.set(call.id, { id: call.id, name: call.name, kind, expiresAt: str(event.data, "expires_at") });
      return this.waitOf(step);
    }
    if (event.type === "tool.completed") {
      const id = str(event.data, "tool_call_id");
      step.completed.add(id);
      return step.requested.has(id) ? null : this.waitOf(step); // a server tool finishing can start the wait
    }
    return null;
  }

  /** How a call waited (client or approval), or null for a server tool that ran at once. */
  kindOf(toolCallId: string): WaitKind | null {
    return this.kinds.get(toolCallId) ?? null;
  }

  /**
   * Whether `event` is the first thing that happens after the wait of the
   * step holding one of `calls` (an answer's tool.completed, an approved
   * tool's tool.started, turn.resumed, or anything later): where a stream
   * that continues a message after its tool answers starts.
   */
  continues(event: LogEvent, calls: ReadonlySet<string>): boolean {
    const steps = [...calls].flatMap((id) => (this.stepOfCall.has(id) ? [this.stepOfCall.get(id)!] : []));
    if (steps.length === 0) return false;
    const answered = Math.min(...steps);
    if (this.steps > answered || AFTER_WAIT.has(event.type)) return true;
    if (event.type !== "tool.completed" && event.type !== "tool.started") return false;
    const id = str(event.data, "tool_call_id") || (event.data.tool_call as { id?: string } | undefined)?.id || "";
    return this.step?.index === answered && this.step.requested.has(id);
  }

  private waitOf(step: Step): WaitingCall[] | null {
    const open = [...step.requested.values()].filter((c) => !step.completed.has(c.id));
    const settled = step.calls.every((id) => step.requested.has(id) || step.completed.has(id));
    if (open.length === 0 || !settled) return null;
    step.waited = true;
    this.atWait = true;
    return open;
  }
}
