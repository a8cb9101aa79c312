// Several instances on one PostgreSQL database (SPEC §8), for PUBSUB=redis and
// PUBSUB=postgres: events appended on one instance reach streams on the other
// exactly once and in order, a bus leaves no subscription behind, it recovers
// from a dropped connection, and one session's turns never overlap.
import net from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import type { Bus } from "../../src/bus/bus.js";
import { createBus } from "../../src/bus/index.js";
import { PostgresBus } from "../../src/bus/postgres.js";
import { RedisBus, redisChannel } from "../../src/bus/redis.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { newId } from "../../src/ids.js";
import { LOCAL_OWNER } from "../../src/service/index.js";
import type { StoredEvent } from "../../src/domain/events.js";
import type { SystemEvents } from "../../src/store/events.js";
import { PG_ADMIN_URL, postgresAvailable, postgresBackend } from "../support/backends.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const actor = { ownerId: LOCAL_OWNER };
const silent = pino({ level: "silent" });
const hello = (text = "hello") => ({ content: [{ type: "text", text }] });

/** A TCP probe with a 1 s timeout; announces the skip when Redis is not there. */
function probeRedis(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean, reason?: string) => {
      socket.destroy();
      if (!ok) console.warn(`[tests] Redis at ${REDIS_URL} is not reachable (${reason}): SKIPPING the PUBSUB=redis multi-instance tests.`);
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false, "no answer within 1 s"));
    socket.once("connect", () => done(true));
    socket.once("error", (error) => done(false, error.message));
  });
}

const pgUp = await postgresAvailable();
if (!pgUp) console.warn("[tests] PostgreSQL is not reachable: SKIPPING the two-instance tests (PUBSUB=redis and postgres) and the PostgresBus tests.");
const redisUp = await probeRedis();
const available = { redis: pgUp && redisUp, postgres: pgUp };

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Both cross-process buses expose settled(); the memory bus has nothing in flight. */
const settled = (bus: Bus) => (bus instanceof RedisBus || bus instanceof PostgresBus ? bus.settled() : Promise.resolve());

/** Reads a stream until `until` holds; fails (rather than hangs) after `ms`. */
async function collect(app: App, sessionId: string, until: (all: StoredEvent[]) => boolean, ms = 15_000): Promise<StoredEvent[]> {
  const stream = await app.services.events.open(actor, { sessionId, after: 0 });
  const seen: StoredEvent[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stream.return?.();
  }, ms);
  try {
    for await (const event of stream) {
      seen.push(event);
      if (until(seen)) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.return?.();
  }
  if (timedOut) throw new Error(`stream timed out after ${ms} ms; got sequences ${seen.map((e) => e.sequence).join(",")}`);
  return seen;
}

const event = (sessionId: string, sequence: number): StoredEvent => ({
  id: `e${sequence}`,
  sessionId,
  sequence,
  type: "t",
  ts: new Date(Date.UTC(2025, 0, 1, 0, 0, sequence)),
  context: { turnId: null, inputMessageId: null },
  data: {},
});
const idled = (n: number) => (all: StoredEvent[]) => all.filter((e) => e.type === "session.idled").length >= n;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it("PUBSUB=postgres without DATABASE_URL fails at start with one clear line", async () => {
  const failure = createBus({ PUBSUB: "postgres", REDIS_URL }, { log: {} as SystemEvents, logger: silent, databaseUrl: undefined });
  await expect(failure).rejects.toThrow(ConfigError);
  await expect(failure).rejects.toThrow(/^PUBSUB=postgres needs DATABASE_URL[^\n]*$/);
});

describe.skipIf(!redisUp)("RedisBus on its own", () => {
  const noLog = { last: async () => null };

  it("200 subscribe/unsubscribe rounds leave no listener and no channel subscribed", async () => {
    const bus = new RedisBus({ url: REDIS_URL, logger: silent, log: noLog });
    const admin = new Redis(REDIS_URL);
    try {
      const sessions = Array.from({ length: 10 }, () => newId("session"));
      for (let i = 0; i < 200; i++) bus.subscribe(sessions[i % 10]!, () => {})();
      const offs = Array.from({ length: 200 }, (_, i) => bus.subscribe(sessions[i % 10]!, () => {}));
      expect(bus.listenerCount()).toBe(200);
      await bus.settled();
      expect(await subscriberChannels(admin, bus)).toBe(10);
      for (const off of offs) off();
      offs[0]!(); // a second call changes nothing
      expect(bus.listenerCount()).toBe(0);
      await bus.settled();
      expect(await subscriberChannels(admin, bus)).toBe(0);
      const counts = (await admin.call("PUBSUB", "NUMSUB", ...sessions.map(redisChannel))) as (string | number)[];
      expect(counts.filter((_, i) => i % 2 === 1).map(Number)).toEqual(sessions.map(() => 0));
    } finally {
      await bus.close();
      admin.disconnect();
    }
  });

  it("after subscribing and after a reconnect it re-sends the session's newest stored event", async () => {
    const sessionId = newId("session");
    const newest = { ...event(sessionId, 99), type: "newest" };
    let lastCalls = 0;
    const bus = new RedisBus({ url: REDIS_URL, logger: silent, log: { last: async () => (lastCalls++, newest) } });
    const sender = new RedisBus({ url: REDIS_URL, logger: silent, log: noLog });
    const got: StoredEvent[] = [];
    const off = bus.subscribe(sessionId, (events) => got.push(...events));
    try {
      await bus.settled();
      expect(got).toEqual([newest]); // a fresh subscription may have missed events: streams get the newest to compare
      await killSubscriberConnection(bus);
      sender.publish(sessionId, [event(sessionId, 1)]); // likely lost: A has no subscription right now
      await waitFor(() => lastCalls === 2 && got.length >= 2, "the resync after reconnecting");
      await bus.settled();
      expect(got.at(-1)!.sequence === 99 || got.at(-2)!.sequence === 99).toBe(true);
      got.length = 0;
      sender.publish(sessionId, [event(sessionId, 2)]);
      await waitFor(() => got.length === 1, "live delivery after reconnecting");
      expect(got[0]).toEqual(event(sessionId, 2)); // ts revived as a Date
    } finally {
      off();
      await Promise.all([bus.close(), sender.close()]);
    }
  });

  it("an unreachable server is logged, not fatal, and close() still returns", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const bus = new RedisBus({ url: "redis://127.0.0.1:1", logger, log: noLog });
    const got: StoredEvent[] = [];
    const off = bus.subscribe("session_x", (events) => got.push(...events));
    bus.publish("session_x", [event("session_x", 1)]);
    expect(got).toEqual([event("session_x", 1)]); // local listeners do not depend on Redis
    await waitFor(() => lines.some((l) => l.includes("redis") && l.includes("connection error")), "a logged connection error");
    off();
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

/** How many channels the bus's subscriber connection has, from CLIENT LIST. */
async function subscriberChannels(admin: Redis, bus: RedisBus): Promise<number> {
  const list = (await admin.call("CLIENT", "LIST")) as string;
  const line = list.split("\n").find((l) => l.includes(`name=parley-sub-${bus.origin} `));
  if (!line) throw new Error("subscriber connection not found in CLIENT LIST");
  return Number(/ sub=(\d+)/.exec(line)![1]);
}

describe.skipIf(!pgUp)("PostgresBus on its own", () => {
  const backend = postgresBackend();
  let databaseUrl: string;
  beforeAll(async () => {
    await (await backend.open()).close();
    databaseUrl = backend.databaseUrl!;
  });
  afterAll(() => backend.cleanup());

  it("200 subscribe/unsubscribe rounds leave no listener; pointers load events only where someone listens", async () => {
    const reads: [string, number, number | undefined][] = [];
    const log = {
      last: async () => null,
      readAfter: async (sessionId: string, after: number, options: { limit?: number } = {}) => {
        reads.push([sessionId, after, options.limit]);
        return range(after + 1, after + (options.limit ?? 1)).map((n) => event(sessionId, n));
      },
    } as unknown as SystemEvents;
    const sender = new PostgresBus({ databaseUrl, logger: silent, log });
    const receiver = new PostgresBus({ databaseUrl, logger: silent, log });
    await Promise.all([sender.start(), receiver.start()]);
    try {
      const sessions = Array.from({ length: 10 }, () => newId("session"));
      for (let i = 0; i < 200; i++) receiver.subscribe(sessions[i % 10]!, () => {})();
      const offs = Array.from({ length: 200 }, (_, i) => receiver.subscribe(sessions[i % 10]!, () => {}));
      expect(receiver.listenerCount()).toBe(200);
      for (const off of offs) off();
      offs[0]!();
      expect(receiver.listenerCount()).toBe(0);

      // Nobody listens: the pointer is not followed by a read.
      sender.publish(sessions[0]!, [event(sessions[0]!, 1)]);
      const got: number[] = [];
      const off = receiver.subscribe(sessions[1]!, (events) => got.push(...events.map((e) => e.sequence)));
      sender.publish(sessions[1]!, [event(sessions[1]!, 1), event(sessions[1]!, 2), event(sessions[1]!, 3)]);
      sender.publish(sessions[1]!, [event(sessions[1]!, 4)]);
      await waitFor(() => got.length >= 4, "the notified events");
      await receiver.settled();
      expect(got).toEqual([1, 2, 3, 4]);
      expect(reads.every(([s]) => s === sessions[1])).toBe(true);
      expect(reads[0]).toEqual([sessions[1], 0, reads.length === 1 ? 4 : 3]); // one or two pointers, never more rows than notified
      off();
      expect(receiver.listenerCount()).toBe(0);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  it("reconnects a dropped LISTEN connection and re-sends the session's newest stored event", async () => {
    const sessionId = newId("session");
    const log = {
      last: async () => ({ ...event(sessionId, 99), type: "newest" }),
      readAfter: async (s: string, after: number, options: { limit?: number } = {}) =>
        range(after + 1, after + (options.limit ?? 1)).map((n) => (n === 99 ? { ...event(s, n), type: "newest" } : event(s, n))),
    } as unknown as SystemEvents;
    const sender = new PostgresBus({ databaseUrl, logger: silent, log });
    const receiver = new PostgresBus({ databaseUrl, logger: silent, log });
    await Promise.all([sender.start(), receiver.start()]);
    const got: StoredEvent[] = [];
    const off = receiver.subscribe(sessionId, (events) => got.push(...events));
    try {
      await killSubscriberConnection(receiver);
      sender.publish(sessionId, [event(sessionId, 1)]); // sent while the receiver is away: lost
      await sender.settled();
      await waitFor(() => got.some((e) => e.type === "newest"), "the resync after reconnecting");
      got.length = 0;
      sender.publish(sessionId, [event(sessionId, 2)]);
      await waitFor(() => got.length === 1, "live delivery after reconnecting");
      expect(got[0]!.sequence).toBe(2);
    } finally {
      off();
      await Promise.all([sender.close(), receiver.close()]);
    }
  });
});

/** Two apps (runners started) on one fresh PostgreSQL database with `settings`, for the enclosing describe. */
function twoInstances(settings: Record<string, string>): { a: App; b: App } {
  const backend = postgresBackend();
  const apps = {} as { a: App; b: App };
  beforeAll(async () => {
    await (await backend.open()).close(); // create and migrate the database once
    const config = loadConfig({ DATABASE_URL: backend.databaseUrl, LOG_LEVEL: "silent", ...settings });
    apps.a = await createApp(config);
    apps.b = await createApp(config);
    await apps.a.runner.start();
    await apps.b.runner.start();
  });
  afterAll(async () => {
    await apps.a?.close();
    await apps.b?.close();
    await backend.cleanup();
  });
  return apps;
}

for (const kind of ["redis", "postgres"] as const) {
  describe.skipIf(!available[kind])(`two instances on one database, PUBSUB=${kind}`, () => {
    const apps = twoInstances({ PUBSUB: kind, REDIS_URL, DEMO_DELAY_MS: "0", TURN_LEASE_MS: "2000" });
    let a: App;
    let b: App;
    beforeAll(() => void ({ a, b } = apps));

    it("a stream on A gets every event appended through B exactly once, in order", async () => {
      const session = await b.services.sessions.create(actor, {});
      // Raw bus listeners too: the stream would hide a lost or doubled delivery.
      const onA: StoredEvent[] = [];
      const onB: StoredEvent[] = [];
      const offA = a.bus.subscribe(session.id, (events) => onA.push(...events));
      const offB = b.bus.subscribe(session.id, (events) => onB.push(...events));
      const streamed = collect(a, session.id, idled(1));
      await waitFor(() => a.bus.listenerCount() === 2, "the stream's subscription on A");
      await Promise.all([settled(a.bus), settled(b.bus)]);

      await b.services.messages.create(actor, { sessionId: session.id, message: hello() });
      const events = await streamed;

      const stored = await a.store.system.events.readAfter(session.id, 0);
      const last = stored.at(-1)!;
      expect(last.type).toBe("session.idled");
      expect(events.map((e) => e.sequence)).toEqual(range(1, last.sequence));
      expect(events.map((e) => e.id)).toEqual(stored.map((e) => e.id));
      expect(events.every((e) => e.ts instanceof Date)).toBe(true);

      await waitFor(() => onA.some((e) => e.sequence === last.sequence), "A's bus listener to get the last event");
      await Promise.all([settled(a.bus), settled(b.bus)]);
      // Sequence 1 (session.started) predates the listeners: it may come late or as a resync, any number of times.
      const afterStart = (events: StoredEvent[]) => events.filter((e) => e.sequence > 1);
      expect(afterStart(onA).map((e) => e.sequence)).toEqual(range(2, last.sequence));
      expect(afterStart(onB).map((e) => e.sequence)).toEqual(range(2, last.sequence)); // the publisher's own listener: once
      expect(afterStart(onA).map((e) => e.ts.toISOString())).toEqual(stored.slice(1).map((e) => e.ts.toISOString()));
      offA();
      offB();
      await waitFor(() => a.bus.listenerCount() === 0 && b.bus.listenerCount() === 0, "no listeners left");
    });

    it("after its connection is killed, A's bus reconnects and catches up", async () => {
      const session = await b.services.sessions.create(actor, {});
      const got: StoredEvent[] = [];
      const off = a.bus.subscribe(session.id, (events) => got.push(...events));
      try {
        await settled(a.bus);
        await killSubscriberConnection(a.bus);
        // Whether these events come while A is away or after, A must end up with the last one.
        await b.services.messages.create(actor, { sessionId: session.id, message: hello("again") });
        await waitFor(async () => (await a.db.prisma.turn.count({ where: { sessionId: session.id, status: { in: ["QUEUED", "RUNNING"] } } })) === 0, "the turn to end");
        const last = (await a.store.system.events.readAfter(session.id, 0)).at(-1)!;
        await waitFor(() => got.some((e) => e.sequence === last.sequence), "A's bus to deliver the last event after reconnecting");
        // And live delivery works again.
        await b.services.messages.create(actor, { sessionId: session.id, message: hello("once more") });
        const events = await collect(a, session.id, idled(2));
        expect(events.map((e) => e.sequence)).toEqual(range(1, events.length));
      } finally {
        off();
      }
    });

    it("two instances never run two turns of one session at once", async () => {
      const session = await a.services.sessions.create(actor, {});
      const send = (app: App, i: number) => app.services.messages.create(actor, { sessionId: session.id, message: hello(`message ${i}`) });
      // Three one after the other, alternating instances; then three at once, so both runners claim together.
      for (const [i, app] of [a, b, a].entries()) await send(app, i);
      await Promise.all([b, a, b].map((app, i) => send(app, 3 + i)));
      await collect(b, session.id, idled(6));

      const log = await a.store.system.events.readAfter(session.id, 0);
      expect(log.map((e) => e.sequence)).toEqual(range(1, log.length)); // gapless, no duplicates
      const lifecycle = log.filter((e) => e.type === "turn.started" || e.type === "session.idled");
      expect(lifecycle.map((e) => e.type)).toEqual(Array.from({ length: 6 }, () => ["turn.started", "session.idled"]).flat());
      // Arrival order (the order the inputs were logged), and each turn's events between its start and its idle.
      const inputIds = log.filter((e) => e.type === "input.message").map((e) => (e.data.message as { id: string }).id);
      expect(lifecycle.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id)).toEqual(inputIds);
      let open: string | null = null;
      for (const e of log) {
        if (e.type === "turn.started") open = e.context.turnId;
        else if (e.type !== "input.message" && e.context.turnId) expect(e.context.turnId).toBe(open);
        if (e.type === "session.idled") open = null;
      }
      expect(log.filter((e) => e.type === "turn.completed")).toHaveLength(6);
      const turns = await a.db.prisma.turn.findMany({ where: { sessionId: session.id } });
      expect(turns.map((t) => t.status)).toEqual(Array(6).fill("COMPLETED"));
    });
  });
}

// A turn that ends with nothing queued asks for no next turn; a message posted
// on another instance while it ran must still run next, at once — not after
// that instance's lease sweep (a minute here), whose runner found the turn
// running and left the message to it.
describe.skipIf(!available.postgres)("a message posted on B while A runs the session's turn", () => {
  const apps = twoInstances({ PUBSUB: "postgres", DEMO_DELAY_MS: "20", TURN_LEASE_MS: "60000" });
  let a: App;
  let b: App;
  beforeAll(() => void ({ a, b } = apps));

  it("runs right after A's turn, on A", async () => {
    const session = await a.services.sessions.create(actor, {});
    const events = collect(a, session.id, idled(2));
    await a.services.messages.create(actor, { sessionId: session.id, message: hello("one two three four five six seven eight nine ten eleven twelve") });
    await waitFor(async () => (await a.store.system.events.readAfter(session.id, 0)).some((e) => e.type === "output.message.delta"), "A's turn to stream");
    const queued = await b.services.messages.create(actor, { sessionId: session.id, message: hello("and then") });
    expect(queued.delivery).toBe("QUEUED"); // behind A's running turn
    const log = await events; // fails after 15 s: well before B's sweep
    expect(log.filter((e) => e.type === "turn.completed")).toHaveLength(2);
    expect(log.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id)).toEqual([expect.any(String), queued.id]);
  });
});

/** Drops the bus's subscriber (Redis) or LISTEN (PostgreSQL) connection from the server side. */
async function killSubscriberConnection(bus: Bus): Promise<void> {
  if (bus instanceof RedisBus) {
    const admin = new Redis(REDIS_URL);
    try {
      const list = (await admin.call("CLIENT", "LIST")) as string;
      const id = /(?:^| )id=(\d+) /.exec(list.split("\n").find((l) => l.includes(`name=parley-sub-${bus.origin} `)) ?? "")?.[1];
      if (!id) throw new Error("subscriber connection not found");
      expect(await admin.call("CLIENT", "KILL", "ID", id)).toBe(1);
    } finally {
      admin.disconnect();
    }
  } else if (bus instanceof PostgresBus) {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
        `parley-listen-${bus.origin}`,
      ]);
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
  } else {
    throw new Error("not a cross-process bus");
  }
}
