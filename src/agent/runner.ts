// The turn runner: one turn at a time per session, in arrival order, many
// sessions in parallel up to a bound. A turn runs under a lease in the Turn
// row, so on PostgreSQL several instances share the work without running one
// session's turns twice; a process that dies leaves an expiring lease, and
// recovery closes its turn as `interrupted` and runs what was queued.
import { randomBytes } from "node:crypto";
import { events, zeroUsage, type StoredEvent } from "../domain/events.js";
import { discloseError } from "../domain/disclosure.js";
import { errorOutcome } from "../domain/pending-calls.js";
import { inBackground } from "../db/lanes.js";
import type { Logger } from "../log.js";
import type { TurnScheduler } from "../service/context.js";
import type { Store } from "../store/index.js";
import { CANCELLED_BY_CLIENT, type ClaimedTurn, type Turn } from "../store/turns.js";
import { runTurn, TurnAbort, type TurnDeps, type TurnOutcome, type TurnResult } from "./turn.js";

export interface RunnerOptions {
  concurrency: number;
  leaseMs: number;
  /** Embedded database: this process is the only one, so every RUNNING turn at start is abandoned. */
  soleInstance: boolean;
  /**
   * The session's appended events, from any instance (the bus). A running
   * turn listens to its session: a user message posted on another instance
   * makes it check its cancel flag at once instead of at the next renewal.
   */
  sessionEvents?: (sessionId: string, listener: (events: StoredEvent[]) => void) => () => void;
}

/** Hooks for metrics; all optional. */
export interface RunnerObserver {
  turnEnded?(outcome: TurnOutcome, seconds: number): void;
}

/** A user message delivered STARTED while a turn runs: an INTERRUPT (the statement that logged it flagged the turn). */
const interruptsTurn = (e: StoredEvent) =>
  e.type === "input.message" && (e.data as { message?: { delivery?: unknown } }).message?.delivery === "started";

interface ActiveTurn {
  turnId: string;
  controller: AbortController;
  done: Promise<TurnResult>;
}

export class TurnRunner implements TurnScheduler {
  readonly instanceId = `inst_${randomBytes(8).toString("hex")}`;
  private readonly loops = new Map<string, Promise<void>>();
  private readonly rewake = new Set<string>();
  private readonly active = new Map<string, ActiveTurn>();
  private readonly waiting: (() => void)[] = [];
  private slotsFree: number;
  private stopping = false;
  private sweeper: NodeJS.Timeout | undefined;
  private timeoutSweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Omit<TurnDeps, "leaseOwner">,
    private readonly options: RunnerOptions,
    private readonly observer: RunnerObserver = {},
  ) {
    this.slotsFree = options.concurrency;
  }

  private get store(): Store {
    return this.deps.store;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /** Closes abandoned turns, resumes queued sessions, and keeps sweeping expired leases. */
  async start(): Promise<void> {
    await this.recover(this.options.soleInstance);
    if (!this.options.soleInstance) {
      this.sweeper = setInterval(() => void this.recover(false).catch((err) => this.logger.error({ err }, "lease sweep failed")), this.options.leaseMs);
      this.sweeper.unref();
    }
    // Waiting calls time out on whichever instance is alive, the sole PGlite one included.
    const every = Math.min(1000, Math.max(50, Math.floor(this.deps.toolWaitMs / 4)));
    this.timeoutSweeper = setInterval(() => void this.sweepTimeouts().catch((err) => this.logger.error({ err }, "timeout sweep failed")), every);
    this.timeoutSweeper.unref();
  }

  /** Ends waiting calls past their expires_at as `timeout` (exactly once: the move is conditional), resuming turns left with none. */
  async sweepTimeouts(): Promise<void> {
    for (const call of await this.store.pendingCalls.expired()) {
      if (this.stopping) return;
      const moved = await this.store.pendingCalls.settle(call.sessionId, [
        { call, from: ["WAITING"], to: "ENDED", answer: null, outcome: "timeout", completed: errorOutcome("timeout") },
      ]);
      if (moved !== "raced") for (const sessionId of moved.resumed) this.wake(sessionId);
    }
  }

  wake(sessionId: string): void {
    if (this.stopping) return;
    if (this.loops.has(sessionId)) {
      this.rewake.add(sessionId);
      return;
    }
    // A session's turns run in the background lane: on PGlite a caller's statements go first (src/db/lanes.ts).
    const loop = inBackground(() => this.drain(sessionId))
      .catch((err) => this.logger.error({ err, sessionId }, "turn loop failed"))
      .finally(() => {
        this.loops.delete(sessionId);
        if (this.rewake.delete(sessionId)) this.wake(sessionId);
      });
    this.loops.set(sessionId, loop);
  }

  async cancel(sessionId: string): Promise<"cancelled" | "no_op"> {
    return this.stopTurn(sessionId, CANCELLED_BY_CLIENT);
  }

  /**
   * An INTERRUPT message was queued ahead of the others: the turn `turnId`
   * (running or waiting) ends as `interrupted`, then the queue runs. Its
   * append already flagged that turn if it was running (for another instance).
   */
  async interrupt(sessionId: string, turnId: string): Promise<void> {
    await this.stopTurn(sessionId, "interrupted", turnId);
    this.wake(sessionId);
  }

  /** Cancels the session's running or waiting turn (only `turnId`, when given) as `reason`. */
  private async stopTurn(sessionId: string, reason: string, turnId?: string): Promise<"cancelled" | "no_op"> {
    const abortLocal = async () => {
      const local = this.active.get(sessionId);
      if (!local || (turnId && local.turnId !== turnId)) return false;
      local.controller.abort(new TurnAbort("cancel", reason));
      await local.done.catch(() => {});
      return true;
    };
    if (await abortLocal()) return "cancelled";
    // A waiting turn holds no lease: it is cancelled here, on whichever instance is asked.
    if (await this.store.pendingCalls.cancelWaitingTurn(sessionId, reason, turnId)) {
      this.wake(sessionId);
      return "cancelled";
    }
    // Running on another instance (or claimed here since): it sees the flag when it renews its lease.
    const flagged = await this.store.system.turns.requestCancel(sessionId, reason, turnId);
    if (flagged) await abortLocal();
    return flagged ? "cancelled" : "no_op";
  }

  /** Turns running in this process right now. */
  runningCount(): number {
    return this.active.size;
  }

  /**
   * Stops taking turns and gives running ones `timeoutMs` to finish. Turns
   * still running then are left as they are (their lease expires) and are
   * closed as `interrupted` by the next start or another instance.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    clearInterval(this.timeoutSweeper);
    const all = () => Promise.allSettled([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const a of this.active.values()) a.controller.abort(new TurnAbort("shutdown", "server shutting down"));
      await all();
    }
    await Promise.allSettled(this.loops.values());
  }

  private async drain(sessionId: string): Promise<void> {
    while (!this.stopping) {
      await this.acquireSlot();
      try {
        if (this.stopping) return;
        const { historyLimit, defaultModelId } = this.deps;
        const turn = await this.store.system.turns.claimNext(sessionId, this.instanceId, this.options.leaseMs, { historyLimit, defaultModelId });
        if (!turn) return;
        if (await this.execute(turn)) return; // it ended with nothing queued behind it
      } finally {
        this.releaseSlot();
      }
    }
  }

  /** Runs the claimed turn; true when its end found nothing queued behind it. */
  private async execute(turn: ClaimedTurn): Promise<boolean> {
    const controller = new AbortController();
    const started = performance.now();
    const check = async () => {
      try {
        const lease = await this.store.system.turns.renewLease(turn.id, this.instanceId, this.options.leaseMs);
        if (lease === "lost") controller.abort(new TurnAbort("lease_lost", "lease lost"));
        else if (lease !== "held") controller.abort(new TurnAbort("cancel", lease.cancel));
      } catch (err) {
        this.logger.warn({ err, turnId: turn.id }, "lease renewal failed");
      }
    };
    const renew = setInterval(check, Math.max(50, Math.floor(this.options.leaseMs / 3)));
    // An INTERRUPT message flags this turn in the statement that logs it: look at once. Only
    // an interrupt is delivered STARTED while this turn runs; queued and steered messages
    // (a busy session gets many) need no look. One look at a time, and one more after it
    // when another interrupt came meanwhile (the look in flight may have read before its flag).
    let looking = false;
    let again = false;
    const look = async () => {
      looking = true;
      do {
        again = false;
        await check();
      } while (again && !controller.signal.aborted);
      looking = false;
    };
    const unlisten = this.options.sessionEvents?.(turn.sessionId, (appended) => {
      if (controller.signal.aborted || !appended.some(interruptsTurn)) return;
      if (looking) again = true;
      else void look();
    });
    const done = runTurn({ ...this.deps, leaseOwner: this.instanceId }, turn, controller.signal);
    this.active.set(turn.sessionId, { turnId: turn.id, controller, done });
    this.logger.info({ sessionId: turn.sessionId, turnId: turn.id, inputMessageId: turn.inputMessageId }, "turn started");
    try {
      const { outcome, nothingQueued } = await done;
      this.logger.info({ sessionId: turn.sessionId, turnId: turn.id, outcome, ms: Math.round(performance.now() - started) }, "turn ended");
      this.observer.turnEnded?.(outcome, (performance.now() - started) / 1000);
      return nothingQueued;
    } catch (err) {
      // A store failure mid-turn: the lease expires and recovery closes the turn.
      this.logger.error({ err, turnId: turn.id }, "turn crashed; it will be closed as interrupted");
      this.observer.turnEnded?.("abandoned", (performance.now() - started) / 1000);
      return false;
    } finally {
      clearInterval(renew);
      unlisten?.();
      this.active.delete(turn.sessionId);
    }
  }

  /** Closes turns whose process died (all RUNNING ones when we are the sole instance), then resumes queues. */
  private async recover(all: boolean): Promise<void> {
    for (const turn of await this.store.system.turns.abandoned(all)) {
      if (this.active.has(turn.sessionId)) continue;
      if (await this.store.system.turns.requeueUnstarted(turn.id, all)) {
        this.logger.warn({ turnId: turn.id, sessionId: turn.sessionId }, "re-queued a turn claimed by a process that died before starting it");
        continue; // woken below with the other queued sessions
      }
      await this.closeInterrupted(turn, all);
    }
    for (const sessionId of await this.store.system.turns.sessionsWithQueued()) this.wake(sessionId);
  }

  private async closeInterrupted(turn: Turn, all: boolean): Promise<void> {
    const ctx = { turnId: turn.id, inputMessageId: turn.inputMessageId };
    const error = discloseError("standard", { code: "interrupted", safeMessage: "The turn was interrupted by a server restart." });
    const closing = [events.turnFailed(ctx, { errorCode: "interrupted", error, disclosure: "standard" }), events.sessionIdled(ctx, 0, zeroUsage())];
    // An approved tool that was running (or calls not yet ended) ends as `interrupted`: it never runs twice.
    const appended = (await this.store.pendingCalls.hasOpen(turn.id))
      ? await this.store.pendingCalls.endRunningTurn(turn.sessionId, ctx, "interrupted", closing, { status: "FAILED", expiredOnly: !all })
      : await this.store.log.append(turn.sessionId, closing, { endTurn: { id: turn.id, status: "FAILED", expiredOnly: !all } });
    if (appended.length > 0) {
      this.logger.warn({ turnId: turn.id, sessionId: turn.sessionId }, "closed an interrupted turn");
    }
  }

  private async acquireSlot(): Promise<void> {
    if (this.slotsFree > 0) {
      this.slotsFree -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.slotsFree += 1;
  }
}
