// sessionEvents over graphql-ws and over yoga's SSE, on both backends:
// replay-then-live with no gap and no duplicate while writes race the replay,
// type filters, live-only streams, errors, and that closed subscriptions free
// their bus listeners. Events come from createMessage/updateSession; agent
// events, when an agent answers, are just more events.
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventTypeFilter } from "../../src/domain/events.js";
import WebSocket from "ws";
import { backends, pgliteBackend } from "../support/backends.js";
import { eventually, gqlData, subscribeSse, subscribeWs, wsClient, type Collected } from "../support/clients.js";
import { createSession, sendText, sessionState, settled, UNKNOWN } from "../support/fixtures.js";
import { readSse } from "../support/sse.js";
import { startServer, type TestServer } from "../support/server.js";
import { withTimeout } from "../support/wait.js";

interface Event {
  sequence: number;
  type: string;
}
type Events = { sessionEvents: Event };

const SUBSCRIPTION = `subscription($sessionId: ID!, $after: Int, $types: [String!], $exclude: [String!]) {
  sessionEvents(sessionId: $sessionId, after: $after, types: $types, exclude: $exclude) { sequence type } }`;

const sequencesOf = (c: Collected<Events>) => c.results.flatMap((r) => (r.data ? [r.data.sessionEvents.sequence] : []));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const backend of await backends()) {
  describe(`sessionEvents on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let ws: Client;

    beforeAll(async () => {
      server = await startServer(backend);
      url = server.url;
      ws = wsClient(url);
    });
    afterAll(async () => {
      await ws?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    const listeners = () => server.app.bus.listenerCount();
    const update = (id: string, title: string) =>
      gqlData(url, `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { lastSequence } }`, { input: { id, title } });

    for (const transport of ["graphql-ws", "sse"] as const) {
      const subscribe = (variables: Record<string, unknown>): Collected<Events> =>
        transport === "sse" ? subscribeSse<Events>(url, SUBSCRIPTION, variables) : subscribeWs<Events>(ws, SUBSCRIPTION, variables);

      describe(`over ${transport}`, () => {
        it("after: 0 replays the log, then goes live with no gap and no duplicate while writes race the replay", async () => {
          const sessionId = await createSession(url, { title: "race" });
          for (let i = 0; i < 3; i++) await update(sessionId, `before ${i}`);
          await sendText(url, sessionId, "before the subscription");

          const sub = subscribe({ sessionId, after: 0 });
          await Promise.all([
            ...range(1, 6).map((i) => update(sessionId, `during ${i}`)),
            ...range(1, 4).map((i) => sendText(url, sessionId, `during ${i}`)),
          ]);
          const last = await settled(url, sessionId);
          await sub.until((results) => results.some((r) => r.data?.sessionEvents.sequence === last));
          sub.stop();
          expect(sub.results.every((r) => !r.errors)).toBe(true);
          expect(sequencesOf(sub)).toEqual(range(1, last));
        });

        it("resumes after any sequence", async () => {
          const sessionId = await createSession(url);
          for (let i = 0; i < 4; i++) await update(sessionId, `t${i}`);
          const sub = subscribe({ sessionId, after: 3 });
          await sub.until((results) => results.length >= 2);
          await update(sessionId, "live");
          await sub.until((results) => results.length >= 3);
          sub.stop();
          expect(sequencesOf(sub)).toEqual([4, 5, 6]);
        });

        it("filters by exact types and 'prefix.*' patterns, in both types and exclude", async () => {
          const sessionId = await createSession(url);
          await update(sessionId, "one");
          await sendText(url, sessionId, "hello");
          await update(sessionId, "two");
          await settled(url, sessionId);
          const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { events(first: 500) { sequence type } } }`, { id: sessionId });
          const all: Event[] = session.events;

          for (const filter of [
            { types: ["session.*", "input.message"] },
            { exclude: ["output.message.*", "session.updated"] },
            { types: ["output.message.*", "turn.*", "session.updated"], exclude: ["output.message.delta"] },
          ]) {
            const wanted = all.filter((e) => eventTypeFilter(filter.types, filter.exclude)(e.type));
            const sub = subscribe({ sessionId, after: 0, ...filter });
            // A write the filters may or may not select marks the end of the replay.
            await sub.until((results) => results.length >= wanted.length);
            await update(sessionId, "marker");
            const marker = await sessionState(url, sessionId);
            const markerWanted = eventTypeFilter(filter.types, filter.exclude)("session.updated");
            if (markerWanted) await sub.until((results) => results.some((r) => r.data?.sessionEvents.sequence === marker.lastSequence));
            else await new Promise((r) => setTimeout(r, 150));
            sub.stop();
            const got = sub.results.map((r) => r.data!.sessionEvents);
            expect(got, JSON.stringify(filter)).toEqual(markerWanted ? [...wanted, { sequence: marker.lastSequence, type: "session.updated" }] : wanted);
            all.push({ sequence: marker.lastSequence, type: "session.updated" });
          }
        });

        it("without after it is live only", async () => {
          const sessionId = await createSession(url);
          await update(sessionId, "old");
          const before = listeners();
          const sub = subscribe({ sessionId });
          await eventually(() => listeners() > before, 10_000, "the subscription to listen");
          const { updateSession } = await update(sessionId, "new");
          await sub.until((results) => results.length >= 1);
          await new Promise((r) => setTimeout(r, 100));
          sub.stop();
          expect(sequencesOf(sub)).toEqual([updateSession.lastSequence]);
        });

        it("answers NOT_FOUND for an unknown session and INVALID_ID for a malformed id, then completes", async () => {
          for (const [sessionId, code] of [
            [UNKNOWN.session, "NOT_FOUND"],
            ["session_nope", "INVALID_ID"],
          ] as const) {
            const sub = subscribe({ sessionId, after: 0 });
            await sub.completed;
            expect(sub.results).toHaveLength(1);
            expect(sub.results[0]!.errors?.[0]?.extensions).toMatchObject({ code, status: code === "NOT_FOUND" ? 404 : 400 });
          }
        });

        it("frees every bus listener when 200 subscriptions close", async () => {
          const sessionId = await createSession(url);
          expect(listeners()).toBe(0);
          const subs = range(1, 200).map(() => subscribe({ sessionId }));
          // Subscribers of one operation share one channel (graphql-ws and SSE alike), so one bus listener.
          await eventually(() => server.app.services.events.activeStreams() === 200 && listeners() === 1, 20_000, "200 streams, 1 listener");
          await update(sessionId, "fan out");
          await Promise.all(subs.map((s) => s.until((results) => results.length === 1)));
          for (const sub of subs) sub.stop();
          await eventually(() => listeners() === 0 && server.app.services.events.channels.graphql.count() === 0, 20_000, "listeners and channels back to 0");
        });
      });
    }

    it("a graphql-ws client that goes away frees its listeners", async () => {
      const sessionId = await createSession(url);
      const client = wsClient(url);
      range(1, 10).forEach(() => subscribeWs(client, SUBSCRIPTION, { sessionId }));
      await eventually(() => server.app.services.events.activeStreams() === 10 && listeners() === 1, 10_000, "10 members of one channel");
      await client.dispose();
      await eventually(() => listeners() === 0 && server.app.services.events.activeStreams() === 0, 10_000, "listeners back to 0");
    });

    it("SSE works with GET too (query in the URL, CSRF header set)", async () => {
      const sessionId = await createSession(url);
      await update(sessionId, "x");
      const params = new URLSearchParams({ query: SUBSCRIPTION, variables: JSON.stringify({ sessionId, after: 0 }) });
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 10_000);
      const seen: number[] = [];
      for await (const frame of readSse(`${url}/graphql?${params}`, { signal: controller.signal, headers: { "x-graphql-yoga-csrf": "1" } })) {
        if (frame.event !== "next") continue;
        seen.push((JSON.parse(frame.data) as { data: Events }).data.sessionEvents.sequence);
        if (seen.length === 2) break;
      }
      clearTimeout(timer);
      controller.abort();
      expect(seen).toEqual([1, 2]);
      await eventually(() => listeners() === 0, 10_000, "listeners back to 0");
    });
  });
}

describe("shutdown (pglite)", () => {
  it("closes graphql-ws sockets with 1001 Going Away", async () => {
    const backend = pgliteBackend();
    const server = await startServer(backend);
    const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
      socket.once("message", (data) => (JSON.parse(String(data)).type === "connection_ack" ? resolve() : reject(new Error(String(data)))));
      socket.once("error", reject);
    });
    await server.close();
    expect(await withTimeout(closed, 5_000)).toBe(1001);
    await backend.cleanup();
  });
});
