// Event log reads: a session's events as a list, and the live stream.
import type { Bus } from "../bus/bus.js";
import { notFound, validation } from "../errors.js";
import { parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { StoredEvent } from "../store/event-log.js";
import type { Actor } from "./context.js";
import { streamEvents } from "./event-stream.js";
import { MAX_PAGE_SIZE } from "./paging.js";

export interface StreamArgs {
  sessionId: unknown;
  after?: number | null;
  types?: readonly string[] | null;
  exclude?: readonly string[] | null;
}

export class EventService {
  private streams = 0;
  private readonly tracker = { opened: () => void this.streams++, closed: () => void this.streams-- };

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    /** With API keys: how often an open stream re-checks that its key is still live. */
    private readonly keyRecheckMs: number | null = null,
  ) {}

  /** Events after a sequence, oldest first (Session.events). */
  list(sessionId: string, args: { after?: number | null; first?: number | null; types?: readonly string[] | null }): Promise<StoredEvent[]> {
    const first = args.first ?? 100;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw validation("first", `first must be between 0 and ${MAX_PAGE_SIZE}`);
    return this.store.log.readAfter(sessionId, checkAfter(args.after), { limit: first, types: args.types });
  }

  /**
   * Opens replay-then-live on a session the actor owns. Checks run before the
   * stream starts, so a bad id or unknown session fails the subscription itself.
   */
  async open(actor: Actor, args: StreamArgs): Promise<AsyncIterableIterator<StoredEvent>> {
    const sessionId = parseId("session", args.sessionId, "sessionId");
    if (!(await this.store.sessions.get(actor.ownerId, sessionId))) throw notFound("Session", sessionId);
    return streamEvents(
      { bus: this.bus, log: this.store.log },
      {
        sessionId,
        after: args.after == null ? null : checkAfter(args.after),
        types: args.types,
        exclude: args.exclude,
        tracker: this.tracker,
        recheck: this.keyRecheckMs ? { everyMs: this.keyRecheckMs, allowed: () => this.store.apiKeys.isLive(actor.ownerId) } : undefined,
        head: async () => (await this.store.prisma.session.findUnique({ where: { id: sessionId }, select: { lastSequence: true } }))?.lastSequence ?? 0,
      },
    );
  }

  /** Streams open right now, on every transport. */
  activeStreams(): number {
    return this.streams;
  }

  /** The sequence of an event of this session (to resume after `Last-Event-ID`). */
  async sequenceOf(sessionId: string, eventId: unknown, field: string): Promise<number> {
    const event = await this.store.log.findById(parseId("event", eventId, field));
    if (!event || event.sessionId !== sessionId) throw notFound("Event", String(eventId));
    return event.sequence;
  }
}

function checkAfter(after: number | null | undefined): number {
  const value = after ?? 0;
  if (!Number.isInteger(value) || value < 0) throw validation("after", "after must be a non-negative integer");
  return value;
}
