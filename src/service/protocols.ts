// Use cases of the client protocols (SPEC §13): which session a protocol's
// thread names, posting its newest user message once, answering the calls a
// turn waits for (SPEC §11) once, and which turn a request streams. The streams themselves are the shared replay-then-live
// stream of the log; no second source of truth, no second turn runner.
import type { InputPart } from "../domain/content.js";
import { notFound, validation } from "../errors.js";
import type { ToolAnswer, ToolDecision } from "../protocols/log-event.js";
import type { WaitingCall } from "../protocols/turn-waits.js";
import { isId } from "../ids.js";
import type { PendingCallRecord } from "../store/pending-calls.js";
import type { ProtocolLinkStore, RunLink, TurnStart } from "../store/protocol-links.js";
import type { StoredEvent } from "../domain/events.js";
import type { Actor } from "./context.js";
import type { EventService } from "./events.js";
import type { MessageService } from "./messages.js";
import type { SessionService } from "./sessions.js";
import type { ToolResultService } from "./tool-results.js";

const MAX_THREAD_ID = 255;

export interface NewUserMessage {
  /** The protocol's message id: the idempotency key, so a resend is not stored twice. */
  id: string;
  content: InputPart[];
  /** Client tools for this turn (checked first with checkClientTools, which names the protocol's field). */
  clientTools?: unknown[];
}

/** What answering did: which waiting calls it answered, in which turn, and what still waits. */
export interface Answered {
  /** Ids of the calls that waited and are answered now; [] when the request answered nothing new. */
  answered: string[];
  /** The turn they belong to. */
  turn: TurnStart | null;
  /** The session's last sequence before and after the answers. */
  before: number;
  after: number;
  /** The calls the session still waits for afterwards (the turn goes on only when none is left). */
  waiting: WaitingCall[];
}

export class ProtocolService {
  constructor(
    private readonly links: ProtocolLinkStore,
    private readonly deps: { sessions: SessionService; messages: MessageService; events: EventService; toolResults: ToolResultService },
  ) {}

  /**
   * The session a thread names: a Parley session id must be the caller's
   * (else NOT_FOUND, never a new session); any other string names a session
   * of the caller's, created on first use when `create`.
   */
  async sessionFor(actor: Actor, thread: string, field: string, create: boolean): Promise<string> {
    if (thread.length === 0 || thread.length > MAX_THREAD_ID) throw validation(field, `${field} must be 1 to ${MAX_THREAD_ID} characters`);
    if (isId("session", thread)) return (await this.deps.sessions.get(actor, thread, field)).id;
    const known = await this.links.threadSession(actor.ownerId, thread);
    if (known) return known;
    if (!create) throw notFound("Chat", thread);
    const created = await this.deps.sessions.create(actor, {});
    const winner = await this.links.linkThread(actor.ownerId, thread, created.id);
    if (winner !== created.id) await this.deps.sessions.delete(actor, created.id); // a racing request named its own first
    return winner;
  }

  /** Checks a request's client tools before its thread gets a session: bad input stores nothing. */
  checkClientTools(tools: readonly unknown[], field: string): void {
    if (tools.length > 0) this.deps.messages.checkClientTools(tools, field);
  }

  /** The turn of a message already stored in the session (by protocol id or Parley id), or null. */
  storedTurn(sessionId: string, messageId: string): Promise<TurnStart | null> {
    return this.links.turnOfMessage(sessionId, messageId);
  }

  /** Posts a user message (idempotent by its protocol id) and returns its turn. */
  async post(actor: Actor, sessionId: string, message: NewUserMessage): Promise<TurnStart> {
    const controls = message.clientTools?.length ? { clientTools: message.clientTools } : undefined;
    const row = await this.deps.messages.create(actor, { sessionId, message: { role: "user", content: message.content }, controls, idempotencyKey: message.id });
    if (!row.turnId) throw new Error(`message ${row.id} has no turn`);
    return { turnId: row.turnId, startSequence: row.sequence };
  }

  /**
   * Applies the results and decisions that answer calls the session waits
   * for; the others are history the protocol resends (a call answered
   * before, a server tool's result) and change nothing, so a retried
   * request stores nothing twice. `strictDecisions` (AG-UI's explicit
   * `resume`) sends every decision, so a different answer to an ended call
   * is CONFLICT and an unknown call VALIDATION_FAILED.
   */
  async answer(actor: Actor, sessionId: string, results: ToolAnswer[], decisions: ToolDecision[], strictDecisions = false): Promise<Answered> {
    if (results.length === 0 && decisions.length === 0) return { answered: [], turn: null, before: 0, after: 0, waiting: [] };
    const session = await this.deps.sessions.get(actor, sessionId);
    const open = await this.deps.toolResults.waitingCalls(actor, sessionId);
    const waits = (id: string, kind: string) => open.some((c) => c.toolCall.id === id && c.kind === kind);
    const newResults = results.filter((r) => waits(r.toolCallId, "client"));
    const sentDecisions = strictDecisions ? decisions : decisions.filter((d) => waits(d.toolCallId, "approval"));
    const answered = [...newResults.map((r) => r.toolCallId), ...sentDecisions.filter((d) => waits(d.toolCallId, "approval")).map((d) => d.toolCallId)];
    let after = session;
    if (newResults.length > 0) {
      after = await this.deps.toolResults.submit(actor, sessionId, newResults);
    }
    if (sentDecisions.length > 0) {
      after = await this.deps.toolResults.decide(actor, sessionId, sentDecisions);
    }
    const first = open.find((c) => answered.includes(c.toolCall.id));
    const turn = first ? await this.links.turnStart(sessionId, first.turnId) : null;
    const waiting = asWaiting(await this.deps.toolResults.waitingCalls(actor, sessionId));
    return { answered, turn, before: session.lastSequence, after: after.lastSequence, waiting };
  }

  /** The turn the session waits in now (for tool results or decisions), or null. */
  async waitingTurn(actor: Actor, sessionId: string): Promise<string | null> {
    return (await this.deps.toolResults.waitingCalls(actor, sessionId))[0]?.turnId ?? null;
  }

  /** The calls the session waits for now, in request order. */
  async waiting(actor: Actor, sessionId: string): Promise<WaitingCall[]> {
    return asWaiting(await this.deps.toolResults.waitingCalls(actor, sessionId));
  }

  /** Of these tool calls, the one that waited last, with its turn (what a resent answer continues); null when none waited. */
  lastWaitedCall(sessionId: string, toolCallIds: readonly string[]) {
    return this.links.lastWaitedCall(sessionId, toolCallIds);
  }

  /** Where a turn's stream starts (its input.message), or null. */
  turnStart(sessionId: string, turnId: string): Promise<TurnStart | null> {
    return this.links.turnStart(sessionId, turnId);
  }

  findRun(sessionId: string, runId: string): Promise<RunLink | null> {
    return this.links.findRun(sessionId, runId);
  }

  recordRun(run: RunLink): Promise<RunLink> {
    return this.links.recordRun(run);
  }

  /** The session's turn that has not ended (running first), or null when it is idle. */
  unfinishedTurn(sessionId: string): Promise<TurnStart | null> {
    return this.links.unfinishedTurn(sessionId);
  }

  /** The session's last sequence (where a run that posts nothing is numbered). */
  async head(actor: Actor, sessionId: string): Promise<number> {
    return (await this.deps.sessions.get(actor, sessionId)).lastSequence;
  }

  /** The session's events from `fromSequence` on, then live: the stream every transport uses. */
  events(actor: Actor, sessionId: string, fromSequence: number): Promise<AsyncIterableIterator<StoredEvent>> {
    return this.deps.events.open(actor, { sessionId, after: Math.max(0, fromSequence - 1) });
  }
}

const asWaiting = (calls: readonly PendingCallRecord[]): WaitingCall[] =>
  calls.map((c) => ({ id: c.toolCall.id, name: c.toolCall.name, kind: c.kind, expiresAt: c.expiresAt.toISOString() }));
