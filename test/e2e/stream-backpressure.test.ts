// Clients that stop reading, on every transport (graphql-ws, REST SSE,
// GraphQL SSE), against a session whose log holds tens of MB: the server
// holds about one replay page and STREAM_MAX_BUFFERED_BYTES per stalled
// subscriber, not the log; a stalled one is cut off once live events pile up
// behind it (graphql-ws: close 1013 naming the `after` to resume from; SSE:
// the response ends), while a reading subscriber gets every event in order,
// and a cut-off one that resumes with `after` gets exactly the rest.
import { request } from "node:http";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, subscribeWs } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { collectSse } from "../support/sse.js";
import { startServer, type TestServer } from "../support/server.js";
import { STREAM_STALL_MS } from "../../src/service/stream-bounds.js";

const BLOB_BYTES = 512 * 1024;
const LOG_EVENTS = 40; // 20 MB of log
const LIVE_EVENTS = 16; // 8 MB more while the stalled ones do not read
const MAX_BUFFERED = 2 * 1024 * 1024;
const STALLED_PER_TRANSPORT = 3;

const SUBSCRIPTION = `subscription($s: ID!, $a: Int) { sessionEvents(sessionId: $s, after: $a) { sequence type data } }`;

const blob = (i: number) => ({ type: "test.blob", context: {}, data: { i, text: `${i}:`.padEnd(BLOB_BYTES, "abcdefghij") } });
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** A WebSocket whose reading can be paused, as a client that stops reading does. */
class PausableSocket extends WebSocket {
  get raw() {
    return (this as unknown as { _socket: import("node:net").Socket })._socket;
  }
}

interface StalledWs {
  sequences: number[];
  closed: Promise<{ code: number; reason: string }>;
  resume(): void;
}

/** A graphql-ws subscriber that reads its first event and then stops reading its socket. */
function stalledWs(url: string, sessionId: string): Promise<StalledWs> {
  const sequences: number[] = [];
  let socket: PausableSocket | undefined;
  let closedWith!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedWith = resolve));
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: PausableSocket,
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: (connected) => void (socket = connected as PausableSocket),
      closed: (event) => closedWith({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }),
    },
  });
  return new Promise((resolve) => {
    client.subscribe<{ sessionEvents: { sequence: number } }>(
      { query: SUBSCRIPTION, variables: { s: sessionId, a: 0 } },
      {
        next: (r) => {
          sequences.push(r.data!.sessionEvents.sequence);
          if (sequences.length === 1) {
            socket!.raw.pause();
            resolve({ sequences, closed, resume: () => socket!.raw.resume() });
          }
        },
        error: () => {}, // seen as `closed`
        complete: () => {},
      },
    );
  });
}

interface StalledHttp {
  text: () => string;
  ended: Promise<void>;
  resume(): void;
}

/** An HTTP stream reader that takes the first bytes and then stops reading. */
function stalledHttp(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<StalledHttp> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const req = request(`${url}${path}`, { method: init.method ?? "GET", headers: { accept: "text/event-stream", ...init.headers } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${path} answered ${res.statusCode}`));
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunks.length === 1) {
          res.pause();
          resolve({ text: () => Buffer.concat(chunks).toString("utf8"), ended: done, resume: () => res.resume() });
        }
      });
      res.on("end", ended);
      res.on("close", ended);
      res.on("error", () => ended());
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/** The `data:` JSON of each complete SSE frame in `text`. */
const sseData = (text: string) =>
  text
    .split("\n\n")
    .slice(0, -1)
    .flatMap((block) => block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)))
    .filter((d) => d.startsWith("{"))
    .map((d) => JSON.parse(d) as Record<string, any>);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** True when `seq` is 1..n (a gapless prefix of the log). */
const gaplessPrefix = (seq: number[]) => seq.every((s, i) => s === i + 1);

for (const backend of await backends()) {
  describe(`subscribers that stop reading on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;

    beforeAll(async () => {
      server = await startServer(backend, { STREAM_MAX_BUFFERED_BYTES: String(MAX_BUFFERED), ...(process.env.DEBUG_TEST ? { LOG_LEVEL: "info" } : {}) });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("are cut off with bounded server memory while a reading subscriber gets everything, and resume with after", { timeout: 120_000 }, async () => {
      const sessionId = await createSession(url);
      // The big log, appended through the store's one write path (posting 30 MB of messages would test the body limit instead).
      for (let i = 0; i < LOG_EVENTS; i += 10) await server.app.store.log.append(sessionId, range(i, i + 9).map(blob));
      const step = (m: string) => process.env.DEBUG_TEST && console.log(`${new Date().toISOString()} ${m} active=${server.app.services.events.activeStreams()}`);
      step("log appended");
      const head = await server.app.store.sessions.lastSequence("local", sessionId);

      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);

      step("reader");
      // One at a time: PGlite reads a page on the event loop's thread, and graphql-ws gives a socket 3 s to initialise.
      const one = async <T>(open: () => Promise<T>) => {
        const all: T[] = [];
        for (let i = 0; i < STALLED_PER_TRANSPORT; i++) all.push(await open());
        return all;
      };
      const restSse = await one(() => stalledHttp(url, `/v1/sessions/${sessionId}/sse?after_sequence=0`));
      step("rest stalled");
      const gqlSse = await one(() =>
        stalledHttp(url, "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: SUBSCRIPTION, variables: { s: sessionId, a: 0 } }) }),
      );
      step("gql stalled");
      // graphql-ws' keep-alive ends a socket that does not answer pings within ~24 s: stall these last.
      const ws = await one(() => stalledWs(url, sessionId));
      step("ws stalled");

      const reader = subscribeWs<{ sessionEvents: { sequence: number } }>(
        createClient({ url: `${url.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
        SUBSCRIPTION,
        { s: sessionId, a: 0 },
      );

      const total = 1 + 3 * STALLED_PER_TRANSPORT;
      await eventually(() => server.app.services.events.activeStreams() === total, 15_000, "every stream open");

      // Live events pile up behind the stalled ones, past STREAM_MAX_BUFFERED_BYTES, for longer than STREAM_STALL_MS.
      for (let i = 0; i < LIVE_EVENTS; i += 4) {
        await server.app.store.log.append(sessionId, range(LOG_EVENTS + i, LOG_EVENTS + i + 3).map(blob));
        await new Promise((r) => setTimeout(r, STREAM_STALL_MS / 2 + 500));
      }
      const last = head + LIVE_EVENTS;
      step("live appended");

      // Everyone stalled is cut off; the reader keeps receiving, in order, to the last event.
      await eventually(() => server.app.services.events.activeStreams() === 1, 30_000, "the stalled streams cut off");
      step("cut off");
      const got = await reader.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 60_000);
      expect(got.map((r) => r.data!.sessionEvents.sequence)).toEqual(range(1, last));
      clearInterval(sampler);
      const after = process.memoryUsage().rss;
      console.log(`[${backend.name}] RSS before ${mb(before)}, peak ${mb(peak)}, after ${mb(after)}: ${total - 1} stalled subscribers of a ${mb(LOG_EVENTS * BLOB_BYTES)} log (bound ${mb(MAX_BUFFERED)} each)`);
      // Unbounded (500-event pages: the whole log for each stalled subscriber) RSS grew by over 300 MB here; bounded, by ~150 MB (the reader and PGlite heap included).
      expect(peak - before).toBeLessThan(220 * 1024 * 1024);

      // graphql-ws: once they read again, each sees a gapless prefix, then close 1013 naming where to resume.
      for (const s of ws) s.resume();
      for (const s of ws) {
        const { code, reason } = await s.closed;
        expect(code).toBe(1013);
        expect(reason).toMatch(/too slow.*resubscribe with after/);
        expect(gaplessPrefix(s.sequences), JSON.stringify(s.sequences)).toBe(true);
      }
      // SSE: the response ends; what arrived is a gapless prefix.
      for (const s of [...restSse, ...gqlSse]) s.resume();
      await Promise.all([...restSse, ...gqlSse].map((s) => s.ended));
      const restSeen = restSse.map((s) => sseData(s.text()).filter((d) => typeof d.sequence === "number").map((d) => d.sequence as number));
      const gqlSeen = gqlSse.map((s) => sseData(s.text()).filter((d) => d.data).map((d) => d.data.sessionEvents.sequence as number));
      for (const seen of [...restSeen, ...gqlSeen]) expect(gaplessPrefix(seen), JSON.stringify(seen)).toBe(true);

      // Resuming with `after` from what each got gives exactly the rest.
      const k = ws[0]!.sequences.at(-1)!;
      const resumed = subscribeWs<{ sessionEvents: { sequence: number } }>(
        createClient({ url: `${url.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
        SUBSCRIPTION,
        { s: sessionId, a: k },
      );
      const rest = await resumed.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 60_000);
      expect(rest.map((r) => r.data!.sessionEvents.sequence)).toEqual(range(k + 1, last));
      resumed.stop();
      const r = restSeen[0]!.at(-1) ?? 0;
      const restRest = await collectSse<{ sequence: number }>(`${url}/v1/sessions/${sessionId}/sse?after_sequence=${r}`, (e) => e.sequence === last, { timeoutMs: 60_000 });
      expect(restRest.map((e) => e.sequence)).toEqual(range(r + 1, last));
      reader.stop();
      await eventually(() => server.app.services.events.activeStreams() === 0 && server.app.bus.listenerCount() === 0, 10_000, "every stream gone");
    });
  });
}
