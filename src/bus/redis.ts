// Redis pub/sub between instances: one channel per session, subscribed only
// while this process has a listener for that session. Events travel as JSON
// (ts as an ISO string). The publishing process hands events to its own
// listeners directly and ignores its own messages coming back, so no listener
// gets a published event twice. Delivery is best effort; streams backfill
// gaps from the store.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "../log.js";
import type { StoredEvent } from "../domain/events.js";
import type { SystemEvents } from "../store/events.js";
import type { Bus, BusListener } from "./bus.js";
import { InFlight, LocalListeners, throttledWarn } from "./local.js";

const CHANNEL_PREFIX = "parley:session:";

export const redisChannel = (sessionId: string) => `${CHANNEL_PREFIX}${sessionId}`;

type WireEvent = Omit<StoredEvent, "ts"> & { ts: string };

/** What goes over the channel: `o` is the publishing bus, `e` the events. */
interface Envelope {
  o: string;
  e: WireEvent[];
}

export interface RedisBusOptions {
  url: string;
  logger: Logger;
  /** Reads a session's newest event after (re)subscribing; see `resync`. */
  log: Pick<SystemEvents, "last">;
}

export class RedisBus implements Bus {
  /** Tells our own messages apart from other instances' (also names the connections in CLIENT LIST). */
  readonly origin = randomBytes(8).toString("hex");
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly local: LocalListeners;
  private readonly inFlight = new InFlight();
  private readonly warn: (message: string, err?: unknown) => void;
  private closing = false;

  constructor(private readonly options: RedisBusOptions) {
    this.local = new LocalListeners(options.logger);
    this.warn = throttledWarn(options.logger);
    // A publish waits out a short outage in ioredis' offline queue, then
    // fails and is logged: best effort without unbounded buffering.
    this.publisher = new Redis(options.url, { connectionName: `parley-pub-${this.origin}`, maxRetriesPerRequest: 3 });
    // (UN)SUBSCRIBE waits for the connection however long that takes, so the
    // server ends up with exactly the channels we have listeners for. We
    // resubscribe ourselves after a reconnect to know when to resync.
    this.subscriber = new Redis(options.url, {
      connectionName: `parley-sub-${this.origin}`,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });
    this.publisher.on("error", (err) => this.warn("redis publisher connection error", err));
    this.subscriber.on("error", (err) => this.warn("redis subscriber connection error", err));
    let connectedBefore = false;
    this.subscriber.on("ready", () => {
      // The first time, SUBSCRIBEs queued while connecting go out by themselves.
      if (connectedBefore) {
        options.logger.info({ sessions: this.local.sessions().length }, "redis subscriber reconnected; resubscribing");
        for (const sessionId of this.local.sessions()) this.subscribeChannel(sessionId);
      }
      connectedBefore = true;
    });
    this.subscriber.on("message", (channel: string, message: string) => this.receive(channel, message));
  }

  publish(sessionId: string, events: StoredEvent[]): void {
    if (events.length === 0) return;
    this.local.deliver(sessionId, events);
    if (this.closing) return;
    const envelope = JSON.stringify({ o: this.origin, e: events });
    this.publisher
      .publish(redisChannel(sessionId), envelope)
      .catch((err) => this.warn("redis publish failed; other instances' streams backfill from the store", err));
  }

  subscribe(sessionId: string, listener: BusListener): () => void {
    return this.local.add(sessionId, listener, {
      first: () => this.subscribeChannel(sessionId),
      last: () => {
        if (this.closing) return;
        this.inFlight.add(
          this.subscriber.unsubscribe(redisChannel(sessionId)).catch((err) => {
            if (!this.closing) this.warn("redis unsubscribe failed", err);
          }),
        );
      },
    });
  }

  listenerCount(): number {
    return this.local.count();
  }

  /** Resolves when the (un)subscriptions asked for so far are done at the server and their resyncs delivered. */
  settled(): Promise<void> {
    return this.inFlight.settled();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.local.clear();
    // Not waiting for in-flight (un)subscribes: on a connection that never
    // came up, ioredis leaves them pending for good. They do nothing now.
    await Promise.all([quit(this.publisher), quit(this.subscriber)]);
  }

  private subscribeChannel(sessionId: string): void {
    if (this.closing) return;
    this.inFlight.add(
      this.subscriber
        .subscribe(redisChannel(sessionId))
        .then(() => this.resync(sessionId))
        .catch((err) => {
          if (!this.closing) this.warn("redis subscribe failed", err);
        }),
    );
  }

  /**
   * Events published before a subscription took effect (just subscribed, or
   * reconnected after an outage) never reach us. Handing listeners the
   * session's newest stored event lets a stream that is behind see the gap
   * and backfill it from the store; one that is not drops it as a duplicate.
   */
  private async resync(sessionId: string): Promise<void> {
    if (!this.local.has(sessionId)) return;
    const last = await this.options.log.last(sessionId);
    if (last) this.local.deliver(sessionId, [last]);
  }

  private receive(channel: string, message: string): void {
    if (!channel.startsWith(CHANNEL_PREFIX)) return;
    const sessionId = channel.slice(CHANNEL_PREFIX.length);
    if (!this.local.has(sessionId)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
      if (!Array.isArray(envelope.e)) throw new Error("no events array");
    } catch (err) {
      this.warn("redis bus: unreadable message dropped", err);
      return;
    }
    if (envelope.o === this.origin) return; // ours: local listeners got it at publish
    const events = envelope.e
      .filter((e) => e.sessionId === sessionId && Number.isInteger(e.sequence))
      .map((e): StoredEvent => ({ ...e, ts: new Date(e.ts) }));
    this.local.deliver(sessionId, events);
  }
}

/** QUIT when connected (flushes what was sent); a connection that is down is just dropped. */
async function quit(connection: Redis): Promise<void> {
  if (connection.status === "ready") {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.quit().catch(() => {}),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  }
  connection.disconnect();
}
