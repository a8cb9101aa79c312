// Shared live channels: subscribers whose stream is the same (same session,
// same owner, same filter, and for GraphQL the same operation) share one
// channel, which hears the bus once, renders each live event once (a GraphQL
// execution, a REST SSE frame) and hands the same bytes to every member.
//
// A member replays the stored events after its own cursor itself (its
// transport reads pages and sends them with backpressure) and joins the
// channel when its cursor reaches the channel's: joining is synchronous with
// the check, and the channel skips events at or below a member's cursor, so
// every member gets every event after its `after` exactly once (SPEC §5).
// A member whose transport holds more than the bound unsent is cut off
// without the channel waiting for it; one replaying that has taken nothing
// for STREAM_STALL_MS while the channel moved on by more than the bound, too.
import type { StoredEvent } from "../domain/events.js";
import { AppError } from "../errors.js";
import { STREAM_STALL_MS, eventBytes } from "./stream-bounds.js";

/** One live event's rendering, made once per channel: the text, and bytes a transport derives from it once for all members. */
export interface SharedFrame {
  text: string;
  /** graphql-ws' bytes of the payload (src/http/graphql-ws-shared.ts). */
  bytes?: Buffer;
  /** GraphQL SSE's `event: next` frame (src/http/graphql-sse-shared.ts). */
  sse?: Buffer;
}

/** Why a member's stream ended: the channel's stream completed (e.g. a revoked key), failed, or the member was too slow. */
export type MemberEnd = { kind: "complete" } | { kind: "error"; error: unknown } | { kind: "cut-off"; error: AppError };

export interface Member<Frame> {
  /** The last sequence this member has: replayed, received, or skipped by its filter. */
  sent: number;
  /** Bytes its transport holds unsent (ws bufferedAmount, a response's writableLength). */
  buffered(): number;
  /** Hands it one live event's frame (shared by all members; the transport adds what is its own). */
  send(frame: Frame, event: StoredEvent): void;
  /** Its stream is over; it is no longer a member. */
  end(why: MemberEnd): void;
}

/** What a replaying member reports, so a stalled one can be told apart from a slow one. */
interface Replaying {
  lastTook: number;
  bytesSinceTook: number;
}

export interface ChannelSource<Frame> {
  /** Every event of the session after `after`, live (replay-then-live, src/service/event-stream.ts), unfiltered. */
  open(after: number): AsyncIterableIterator<StoredEvent>;
  /** The session's last sequence now (the channel starts there). */
  head(): Promise<number>;
  /** Whether a member wants this event (the types/exclude filter). */
  wanted(event: StoredEvent): boolean;
  /** The event's frame for every member; null sends nothing. Runs once per event per channel. */
  render(event: StoredEvent): Promise<Frame | null>;
}

export class Channel<Frame> {
  /** Every event up to here has been handed to the members (or skipped by the filter). */
  sent = 0;
  private readonly members = new Set<Member<Frame>>();
  private readonly replaying = new Map<Member<Frame>, Replaying>();
  private stream: AsyncIterableIterator<StoredEvent> | undefined;
  private ended = false;
  /** Resolves once the channel knows where it starts (members wait for it before their first check). */
  readonly ready: Promise<void>;

  constructor(
    private readonly source: ChannelSource<Frame>,
    private readonly maxBufferedBytes: number,
    private readonly onClosed: () => void,
  ) {
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    this.sent = await this.source.head();
    this.stream = this.source.open(this.sent);
    void this.run(this.stream);
  }

  private async run(stream: AsyncIterableIterator<StoredEvent>): Promise<void> {
    let why: MemberEnd = { kind: "complete" };
    try {
      for await (const event of stream) {
        // With no member joined yet the event is not rendered: a replaying member reads it from the store.
        if (this.members.size > 0 && this.source.wanted(event)) {
          const frame = await this.source.render(event);
          if (frame !== null) this.broadcast(frame, event);
        }
        this.watchReplaying(event);
        this.sent = event.sequence;
      }
    } catch (error) {
      why = { kind: "error", error };
    }
    this.close(why);
  }

  private broadcast(frame: Frame, event: StoredEvent): void {
    for (const member of this.members) {
      if (event.sequence <= member.sent) continue; // it replayed this one itself
      if (member.buffered() > this.maxBufferedBytes) {
        this.cutOff(member, `more than ${this.maxBufferedBytes} bytes unsent`);
        continue;
      }
      member.sent = event.sequence;
      member.send(frame, event);
    }
  }

  /** Replaying members that took nothing for STREAM_STALL_MS while more than the bound came are cut off. */
  private watchReplaying(event: StoredEvent): void {
    if (this.replaying.size === 0) return;
    const bytes = eventBytes(event);
    const now = Date.now();
    for (const [member, state] of this.replaying) {
      state.bytesSinceTook += bytes;
      if (state.bytesSinceTook > this.maxBufferedBytes && now - state.lastTook > STREAM_STALL_MS) {
        this.cutOff(member, `read nothing for ${STREAM_STALL_MS} ms while more than ${this.maxBufferedBytes} bytes of events came`);
      }
    }
  }

  private cutOff(member: Member<Frame>, what: string): void {
    this.leave(member);
    member.end({ kind: "cut-off", error: new AppError("CONFLICT", `subscriber too slow (${what}); resubscribe with after: ${member.sent}`) });
  }

  /** A member enters replaying: it is sent no live event yet, but a stalled one is noticed. */
  enter(member: Member<Frame>): void {
    this.replaying.set(member, { lastTook: Date.now(), bytesSinceTook: 0 });
  }

  /** A replaying member took an event. */
  took(member: Member<Frame>): void {
    const state = this.replaying.get(member);
    if (state) {
      state.lastTook = Date.now();
      state.bytesSinceTook = 0;
    }
  }

  /**
   * Joins the member when its cursor has reached the channel's and answers
   * true; otherwise it must replay more from the store first.
   */
  tryJoin(member: Member<Frame>): boolean {
    if (this.ended) {
      member.end({ kind: "complete" });
      return true;
    }
    if (member.sent < this.sent) return false;
    this.replaying.delete(member);
    this.members.add(member);
    return true;
  }

  /** The member goes (its client completed, its socket closed); the last one closes the channel. */
  leave(member: Member<Frame>): void {
    this.members.delete(member);
    this.replaying.delete(member);
    if (this.members.size === 0 && this.replaying.size === 0) this.close({ kind: "complete" });
  }

  get size(): number {
    return this.members.size + this.replaying.size;
  }

  private close(why: MemberEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.onClosed();
    void this.stream?.return?.();
    const all = [...this.members, ...this.replaying.keys()];
    this.members.clear();
    this.replaying.clear();
    for (const member of all) member.end(why);
  }
}

/** The channels of one kind (GraphQL over graphql-ws and SSE, REST SSE), by key; counted for tests and metrics. */
export class ChannelRegistry<Frame> {
  private readonly channels = new Map<string, Channel<Frame>>();

  constructor(private readonly maxBufferedBytes: number) {}

  /** Enters `member` in the channel for `key` (created from `source()` when there is none), as replaying. */
  enter(key: string, source: () => ChannelSource<Frame>, member: Member<Frame>): Channel<Frame> {
    let channel = this.channels.get(key);
    if (!channel) {
      const created: Channel<Frame> = new Channel(source(), this.maxBufferedBytes, () => {
        if (this.channels.get(key) === created) this.channels.delete(key);
      });
      this.channels.set(key, (channel = created));
    }
    channel.enter(member);
    return channel;
  }

  /** Open channels. */
  count(): number {
    return this.channels.size;
  }

  /** Members of every channel (replaying ones included). */
  members(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.size;
    return n;
  }
}
