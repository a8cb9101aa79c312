// The one way e2e tests watch a session's events: the `sessionEvents`
// subscription a client opens over graphql-ws, gathered as they come
// (test/support/collect.ts), with the few readings of them the tests share.
import type { Client } from "graphql-ws";
import { subscribeWs } from "./clients.js";
import { sendText, sessionState } from "./fixtures.js";

export interface SessionEvent {
  type: string;
  sequence: number;
  ts: string;
  context: { turnId: string | null; inputMessageId: string | null };
  data: Record<string, any>;
}

export const SESSION_EVENTS = `subscription($id: ID!, $after: Int) {
  sessionEvents(sessionId: $id, after: $after) { type sequence ts context { turnId inputMessageId } data }
}`;

export interface EventWatch {
  /** Every event received so far, deltas included. */
  all(): SessionEvent[];
  /** Resolves with all() once `done(all())` holds; rejects on timeout, on a GraphQL error, or when the stream ends first. */
  until(done: (events: SessionEvent[]) => boolean, timeoutMs?: number): Promise<SessionEvent[]>;
  stop(): void;
}

/** Watches the session's events after `after`, live, until stopped. */
export function watchEvents(client: Client, sessionId: string, after = 0): EventWatch {
  const sub = subscribeWs<{ sessionEvents: SessionEvent }>(client, SESSION_EVENTS, { id: sessionId, after });
  const all = () =>
    sub.results.map((r) => {
      if (!r.data) throw new Error(`sessionEvents answered an error: ${JSON.stringify(r.errors)}`);
      return r.data.sessionEvents;
    });
  return {
    all,
    // An error result ends the wait at once, and all() then throws it.
    until: (done, timeoutMs = 20_000) => sub.until((rs) => rs.some((r) => !r.data) || done(all()), timeoutMs).then(all),
    stop: sub.stop,
  };
}

/** The session's events after `after` until `done` holds (deltas included); stops watching then. */
export async function eventsUntil(client: Client, sessionId: string, after: number, done: (events: SessionEvent[]) => boolean): Promise<SessionEvent[]> {
  const watch = watchEvents(client, sessionId, after);
  try {
    return await watch.until(done);
  } finally {
    watch.stop();
  }
}

export interface SendOptions {
  /** Fields of CreateMessageInput besides sessionId and message (controls, delivery…). */
  extra?: Record<string, unknown>;
  /** The event that ends the wait; session.idled unless given. */
  endsAt?: (event: SessionEvent) => boolean;
  /** Sees each event as it arrives (e.g. to change an agent while its turn runs). */
  onEvent?: (event: SessionEvent) => unknown;
}

/**
 * Sends `text` as a user message (GraphQL createMessage) and returns the
 * session's events from then on until `endsAt` (deltas included). It
 * subscribes first, so nothing of the turn is missed.
 */
export async function sendAndWatch(url: string, client: Client, sessionId: string, text: string, options: SendOptions = {}): Promise<SessionEvent[]> {
  const { extra = {}, endsAt = isIdled, onEvent } = options;
  const { lastSequence } = await sessionState(url, sessionId);
  const watch = watchEvents(client, sessionId, lastSequence);
  try {
    await sendText(url, sessionId, text, extra);
    let seen = 0;
    return await watch.until((events) => {
      for (; onEvent && seen < events.length; seen++) void onEvent(events[seen]!);
      return events.some(endsAt);
    });
  } finally {
    watch.stop();
  }
}

export const isIdled = (event: SessionEvent) => event.type === "session.idled";
export const withoutDeltas = (events: SessionEvent[]) => events.filter((e) => e.type !== "output.message.delta");
/** The text of each agent message the events completed, in order. */
export const answers = (events: SessionEvent[]) =>
  events.filter((e) => e.type === "output.message.completed").map((e) => e.data.message.content.map((p: { text?: string }) => p.text ?? "").join(""));
