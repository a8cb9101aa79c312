// Event log reads: a session's events as a list, and the live stream. Every
// read is the actor's: the store scopes it by owner.
import type { Bus } from "../bus/bus.js";
import { KeyRevocations } from "../bus/key-revocations.js";
import { checkTypeFilters, eventTypeFilter, type StoredEvent } from "../domain/events.js";
import type { EventPage } from "../store/events.js";
import { ChannelRegistry, type ChannelSource, type SharedFrame } from "./live-channels.js";
import { notFound, validation, type AppError } from "../errors.js";
import { parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { Actor } from "./context.js";
import { streamEvents, type StreamOptions } from "./event-stream.js";
import { PAGE_CAPS, pageSize } from "./paging.js";
import { DEFAULT_MAX_BUFFERED_BYTES, STREAM_PAGE_BYTES, STREAM_PAGE_EVENTS } from "./stream-bounds.js";

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
  /** Shared live channels: GraphQL operations (frames: the serialized `next` payload) and REST SSE (frames: the SSE text). */
  readonly channels: { graphql: ChannelRegistry<SharedFrame>; rest: ChannelRegistry<SharedFrame> };
  private readonly tracker = { opened: () => void this.streams++, closed: () => void this.streams-- };

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    /** With API keys: how often an open stream re-checks that its key is still live. */
    private readonly keyRecheckMs: number | null = null,
    private readonly maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES,
    /** Revocations heard from the database (PostgreSQL); without it streams rely on the re-check alone. */
    private readonly revocations = new KeyRevocations(),
  ) {
    this.channels = { graphql: new ChannelRegistry(maxBufferedBytes), rest: new ChannelRegistry(maxBufferedBytes) };
  }

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
    const { sessionId, after } = await this.check(actor, args);
    return streamEvents(
      { bus: this.bus, readPage: (from, options) => this.store.events.readPage(actor.ownerId, sessionId, from, options) },
      {
        sessionId,
        after,
        types: args.types,
        exclude: args.exclude,
        tracker: this.tracker,
        recheck: this.keyCheck(actor),
        head: () => this.store.sessions.lastSequence(actor.ownerId, sessionId),
        maxBufferedBytes: this.maxBufferedBytes,
        onCutOff: transport.onCutOff,
      },
    );
  }

  /** Calls `listener` when the actor's key is revoked (graphql-ws closes the key's sockets). */
  onRevoked(actor: Actor, listener: () => void): () => void {
    return this.revocations.watch(actor.ownerId, listener);
  }

  /** With API keys: the stream re-checks its key every keyRecheckMs, and ends at once when it hears of a revocation. */
  private keyCheck(actor: Actor): StreamOptions["recheck"] {
    if (!this.keyRecheckMs) return undefined;
    return {
      everyMs: this.keyRecheckMs,
      allowed: () => this.store.apiKeys.isLive(actor.ownerId),
      revoked: (listener) => this.revocations.watch(actor.ownerId, listener),
    };
  }

  /** Streams open right now, on every transport (members of shared channels included). */
  activeStreams(): number {
    return this.streams + this.channels.graphql.members() + this.channels.rest.members();
  }

  /**
   * The checks `open` runs before a stream starts (the id, the filters, the
   * session is the actor's), for a subscriber about to join a shared channel.
   */
  async check(actor: Actor, args: StreamArgs): Promise<{ sessionId: string; after: number | null }> {
    const sessionId = parseId("session", args.sessionId, "sessionId");
    checkTypeFilters(args);
    const after = args.after == null ? null : checkAfter(args.after);
    if (!(await this.store.sessions.get(actor.ownerId, sessionId))) throw notFound("Session", sessionId);
    return { sessionId, after };
  }

  /** Where a shared channel of the actor's session gets its events: unfiltered replay-then-live, with the key re-check. */
  channelSource<Frame>(actor: Actor, args: { sessionId: string; types?: readonly string[] | null; exclude?: readonly string[] | null }, render: (event: StoredEvent) => Promise<Frame | null>): ChannelSource<Frame> {
    const { sessionId } = args;
    const wanted = eventTypeFilter(args.types, args.exclude);
    return {
      head: () => this.store.sessions.lastSequence(actor.ownerId, sessionId),
      open: (after) =>
        streamEvents(
          { bus: this.bus, readPage: (from, options) => this.store.events.readPage(actor.ownerId, sessionId, from, options) },
          {
            sessionId,
            after,
            recheck: this.keyCheck(actor),
            head: () => this.store.sessions.lastSequence(actor.ownerId, sessionId),
            maxBufferedBytes: this.maxBufferedBytes,
            cutOffStalled: false,
          },
        ),
      wanted: (event) => wanted(event.type),
      render,
    };
  }

  /** A replay page for one member of a shared channel (bounded by count and bytes). */
  replayPage(actor: Actor, args: { sessionId: string; types?: readonly string[] | null; exclude?: readonly string[] | null }, after: number): Promise<EventPage> {
    return this.store.events.readPage(actor.ownerId, args.sessionId, after, { types: args.types, exclude: args.exclude, limit: STREAM_PAGE_EVENTS, maxBytes: STREAM_PAGE_BYTES });
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
