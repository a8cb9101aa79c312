// Event log reads: a session's events as a list, and the live stream. Every
// read is the actor's: the store scopes it by owner.
import type { Bus } from "../bus/bus.js";
import { checkTypeFilters, type StoredEvent } from "../domain/events.js";
import { notFound, validation, type AppError } from "../errors.js";
import { parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { Actor } from "./context.js";
import { streamEvents } from "./event-stream.js";
import { PAGE_CAPS, pageSize } from "./paging.js";
import { DEFAULT_MAX_BUFFERED_BYTES } from "./stream-bounds.js";

export interface StreamArgs {
  sessionId: unknown;
  after?: number | null;
  types?: readonly string[] | null;
  exclude?: readonly string[] | null;
}

/** How a transport hears that its subscriber was cut off for being too slow (it ends the connection at once). */
export interface OpenOptions {
  onCutOff?: (error: AppError) => void;
}

export class EventService {
  private streams = 0;
  private readonly tracker = { opened: () => void this.streams++, closed: () => void this.streams-- };

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    /** With API keys: how often an open stream re-checks that its key is still live. */
    private readonly keyRecheckMs: number | null = null,
    private readonly maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES,
  ) {}

  /** Events of the actor's session after a sequence, oldest first (Session.events); none when it is not theirs. */
  list(actor: Actor, sessionId: string, args: { after?: number | null; first?: number | null; types?: readonly string[] | null }): Promise<StoredEvent[]> {
    const { size } = pageSize({ first: args.first }, PAGE_CAPS.events);
    checkTypeFilters(args);
    return this.store.events.readAfter(actor.ownerId, sessionId, checkAfter(args.after), { limit: size, types: args.types });
  }

  /**
   * Opens replay-then-live on a session the actor owns. Checks run before the
   * stream starts, so a bad id or unknown session fails the subscription itself.
   */
  async open(actor: Actor, args: StreamArgs, transport: OpenOptions = {}): Promise<AsyncIterableIterator<StoredEvent>> {
    const sessionId = parseId("session", args.sessionId, "sessionId");
    checkTypeFilters(args);
    if (!(await this.store.sessions.get(actor.ownerId, sessionId))) throw notFound("Session", sessionId);
    return streamEvents(
      { bus: this.bus, readPage: (after, options) => this.store.events.readPage(actor.ownerId, sessionId, after, options) },
      {
        sessionId,
        after: args.after == null ? null : checkAfter(args.after),
        types: args.types,
        exclude: args.exclude,
        tracker: this.tracker,
        recheck: this.keyRecheckMs ? { everyMs: this.keyRecheckMs, allowed: () => this.store.apiKeys.isLive(actor.ownerId) } : undefined,
        head: () => this.store.sessions.lastSequence(actor.ownerId, sessionId),
        maxBufferedBytes: this.maxBufferedBytes,
        onCutOff: transport.onCutOff,
      },
    );
  }

  /** Streams open right now, on every transport. */
  activeStreams(): number {
    return this.streams;
  }

  /** The sequence of an event of the actor's session (to resume after `Last-Event-ID`). */
  async sequenceOf(actor: Actor, sessionId: string, eventId: unknown, field: string): Promise<number> {
    const [event] = await this.store.events.getMany(actor.ownerId, [parseId("event", eventId, field)]);
    if (!event || event.sessionId !== sessionId) throw notFound("Event", String(eventId));
    return event.sequence;
  }
}

function checkAfter(after: number | null | undefined): number {
  const value = after ?? 0;
  if (!Number.isInteger(value) || value < 0) throw validation("after", "after must be a non-negative integer");
  return value;
}
