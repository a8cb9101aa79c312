// Use cases of the client protocols (SPEC §13): which session a protocol's
// thread names, posting its newest user message once, and which turn a
// request streams. The streams themselves are the shared replay-then-live
// stream of the log; no second source of truth, no second turn runner.
import type { InputPart } from "../domain/content.js";
import { notFound, validation } from "../errors.js";
import { isId } from "../ids.js";
import type { ProtocolLinkStore, RunLink, TurnStart } from "../store/protocol-links.js";
import type { StoredEvent } from "../domain/events.js";
import type { Actor } from "./context.js";
import type { EventService } from "./events.js";
import type { MessageService } from "./messages.js";
import type { SessionService } from "./sessions.js";

const MAX_THREAD_ID = 255;

export interface NewUserMessage {
  /** The protocol's message id: the idempotency key, so a resend is not stored twice. */
  id: string;
  content: InputPart[];
}

export class ProtocolService {
  constructor(
    private readonly links: ProtocolLinkStore,
    private readonly deps: { sessions: SessionService; messages: MessageService; events: EventService },
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

  /** The turn of a message already stored in the session (by protocol id or Parley id), or null. */
  storedTurn(sessionId: string, messageId: string): Promise<TurnStart | null> {
    return this.links.turnOfMessage(sessionId, messageId);
  }

  /** Posts a user message (idempotent by its protocol id) and returns its turn. */
  async post(actor: Actor, sessionId: string, message: NewUserMessage): Promise<TurnStart> {
    const row = await this.deps.messages.create(actor, { sessionId, message: { role: "user", content: message.content }, idempotencyKey: message.id });
    if (!row.turnId) throw new Error(`message ${row.id} has no turn`);
    return { turnId: row.turnId, startSequence: row.sequence };
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
