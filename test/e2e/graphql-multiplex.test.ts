// Shared live channels for sessionEvents over graphql-ws and GraphQL SSE: subscribers of the
// same operation (document, operation name, variables but `after`, owner)
// share one channel and one bus listener per session; each still gets exactly
// its own stream — every event after its `after`, once, in order, whether it
// joins before, during or after a streaming turn — and other documents,
// variables and tenants get channels of their own. A member that stops
// reading is cut off without holding the others back; a revoked key ends
// only its own members; channels and listeners go back to zero.
import { request } from "node:http";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, subscribeSse, subscribeWs, type Collected } from "../support/clients.js";
import { createSession, sendText, sessionState, settled } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

const DELTAS = `subscription($s: ID!, $a: Int, $t: [String!]) { sessionEvents(sessionId: $s, after: $a, types: $t) { sequence type } }`;
const WITH_DATA = `subscription($s: ID!) { sessionEvents(sessionId: $s) { sequence data } }`;
const WITH_ID = `subscription($s: ID!, $a: Int) { sessionEvents(sessionId: $s, after: $a) { id sequence } }`;
type Seq = { sessionEvents: { sequence: number; type?: string; id?: string } };

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");
const seqs = (c: Collected<Seq>) => c.results.map((r) => r.data!.sessionEvents.sequence);


/** A GraphQL SSE subscriber that takes the first bytes (the opening ping) and then stops reading. */
function stalledSse(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<{ text(): string; ended: Promise<void>; resume(): void }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const req = request(`${url}/graphql`, { method: "POST", headers: { accept: "text/event-stream", "content-type": "application/json", ...headers } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`answered ${res.statusCode}`));
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunks.length === 1) {
          res.pause();
          resolve({ text: () => Buffer.concat(chunks).toString("utf8"), ended: done, resume: () => res.resume() });
        }
      });
      res.on("close", ended);
      res.on("error", () => ended());
    });
    req.on("error", reject);
    req.end(JSON.stringify({ query, variables }));
  });
}

for (const backend of await backends()) {
  describe(`shared sessionEvents channels on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let A: Record<string, string>;
    let B: Record<string, string>;
    const clients: Client[] = [];
    const client = (headers: Record<string, string>) => {
      const c = createClient({ url: `${url.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: headers });
      clients.push(c);
      return c;
    };
    const channels = () => server.app.services.events.channels.graphql.count();

    beforeAll(async () => {
      server = await startServer(backend, { AUTH: "api_key", AUTH_RECHECK_MS: "200", DEMO_DELAY_MS: "3", STREAM_MAX_BUFFERED_BYTES: String(2 * 1024 * 1024), ...(process.env.DEBUG_TEST ? { LOG_LEVEL: "info" } : {}) });
      url = server.url;
      const a = await server.app.store.apiKeys.create("tenant A");
      A = { authorization: `Bearer ${a.key}` };
      B = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant B")).key}` };
    });
    afterAll(async () => {
      for (const c of clients) await c.dispose();
      await server?.close();
      await backend.cleanup();
    });

    it("joiners before, during and after a streaming turn each get every event after their `after` exactly once, on one channel", { timeout: 60_000 }, async () => {
      const sessionId = await createSession(url, {}, A);
      const ws = client(A);
      const early = [subscribeWs<Seq>(ws, DELTAS, { s: sessionId, a: 0 }), subscribeWs<Seq>(ws, DELTAS, { s: sessionId })];
      await eventually(() => server.app.services.events.activeStreams() === 2 && server.app.bus.listenerCount() === 1, 10_000, "two members, one listener");
      expect(channels()).toBe(1);
      await sendText(url, sessionId, words(600), {}, A); // ~200 deltas at 3 ms
      // Mid-turn joiners: replaying from 0, from where the log is now, and live only.
      // A live-only joiner starts where the channel is when it joins: after the
      // log's sequence before it subscribed, at most one past the log's sequence
      // once it is a member (past the turn's end if the turn beat it there).
      const mid: { sub: Collected<Seq>; after: number | null; before: number; joined: number }[] = [];
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 25));
        const before = (await sessionState(url, sessionId, A)).lastSequence;
        const after = i % 3 === 0 ? 0 : i % 3 === 1 ? Math.max(0, before - 5) : null;
        const sub = subscribeWs<Seq>(client(A), DELTAS, after === null ? { s: sessionId } : { s: sessionId, a: after });
        await eventually(() => server.app.services.events.activeStreams() === 3 + i, 10_000, `joiner ${i} a member`);
        mid.push({ sub, after, before, joined: (await sessionState(url, sessionId, A)).lastSequence });
      }
      const last = await settled(url, sessionId, 300, A);
      expect(channels()).toBe(1); // every one of them on the same channel
      for (const { sub, after } of [{ sub: early[0]!, after: 0 }, ...mid.filter((m) => m.after !== null)]) {
        await sub.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 15_000);
        expect(seqs(sub)).toEqual(range(after! + 1, last));
      }
      for (const { sub, before, joined } of mid.filter((m) => m.after === null)) {
        if (joined < last) await sub.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 15_000);
        const got = seqs(sub);
        const from = got[0] ?? last + 1;
        expect(from).toBeGreaterThan(before);
        expect(from).toBeLessThanOrEqual(joined + 1);
        expect(got).toEqual(range(from, last));
      }
      await early[1]!.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 15_000);
      expect(seqs(early[1]!)).toEqual(range(seqs(early[1]!)[0]!, last));
      for (const s of [...early, ...mid.map((m) => m.sub)]) s.stop();
      await eventually(() => channels() === 0 && server.app.bus.listenerCount() === 0 && server.app.services.events.activeStreams() === 0, 10_000, "channels back to 0");
    });

    it("GraphQL SSE subscribers share the channel with graphql-ws ones: identical payloads, and a joiner with after: N mid-turn gets exactly the rest", { timeout: 60_000 }, async () => {
      const sessionId = await createSession(url, {}, A);
      const sse = [0, 1, 2].map(() => subscribeSse<Seq>(url, WITH_ID, { s: sessionId, a: 0 }, A));
      const ws = subscribeWs<Seq>(client(A), WITH_ID, { s: sessionId, a: 0 });
      await eventually(() => server.app.services.events.activeStreams() === 4 && server.app.bus.listenerCount() === 1, 10_000, "four members, one listener");
      expect(channels()).toBe(1);
      await sendText(url, sessionId, words(200), {}, A);
      await new Promise((r) => setTimeout(r, 50));
      const after = Math.max(0, (await sessionState(url, sessionId, A)).lastSequence - 5);
      const late = subscribeSse<Seq>(url, WITH_ID, { s: sessionId, a: after }, A);
      const last = await settled(url, sessionId, 300, A);
      expect(channels()).toBe(1); // one execution per live event for all five
      for (const sub of [...sse, ws, late]) await sub.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 15_000);
      for (const sub of [...sse, ws]) expect(seqs(sub)).toEqual(range(1, last));
      expect(seqs(late)).toEqual(range(after + 1, last));
      // The same payload, event for event, on both transports.
      const payloads = (c: Collected<Seq>) => c.results.map((r) => JSON.stringify(r));
      for (const sub of [...sse.slice(1), ws]) expect(payloads(sub)).toEqual(payloads(sse[0]!));
      expect(payloads(late)).toEqual(payloads(sse[0]!).slice(after));
      for (const sub of [...sse, ws, late]) sub.stop();
      await eventually(() => channels() === 0 && server.app.bus.listenerCount() === 0 && server.app.services.events.activeStreams() === 0, 10_000, "channels back to 0");
    });

    it("other documents, other variables and other tenants get channels of their own, each with its own stream", { timeout: 60_000 }, async () => {
      const sA = await createSession(url, {}, A);
      const sB = await createSession(url, {}, B);
      const a = client(A);
      const b = client(B);
      const all = subscribeWs<Seq>(a, DELTAS, { s: sA, a: 0 });
      const lifecycle = subscribeWs<Seq>(a, DELTAS, { s: sA, a: 0, t: ["turn.*", "session.*"] });
      const ids = subscribeWs<Seq>(a, WITH_ID, { s: sA, a: 0 });
      const tenantB = subscribeWs<Seq>(b, DELTAS, { s: sB, a: 0 });
      // B subscribing to A's session is NOT_FOUND, exactly as for an unknown id — never A's channel.
      const intruder = subscribeWs<Seq>(b, DELTAS, { s: sA, a: 0 });
      await intruder.completed;
      expect(intruder.results[0]?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      await eventually(() => channels() === 4, 10_000, "four channels");
      await sendText(url, sA, words(30), {}, A);
      await sendText(url, sB, words(60), {}, B);
      const lastA = await settled(url, sA, 300, A);
      const lastB = await settled(url, sB, 300, B);
      await all.until((r) => r.at(-1)?.data?.sessionEvents.sequence === lastA);
      await tenantB.until((r) => r.at(-1)?.data?.sessionEvents.sequence === lastB);
      await ids.until((r) => r.at(-1)?.data?.sessionEvents.sequence === lastA);
      expect(seqs(all)).toEqual(range(1, lastA));
      expect(seqs(tenantB)).toEqual(range(1, lastB));
      expect(ids.results.every((r) => r.data!.sessionEvents.id?.startsWith("event_") && r.data!.sessionEvents.type === undefined)).toBe(true);
      await lifecycle.until((r) => r.some((x) => x.data?.sessionEvents.type === "session.idled"));
      expect(lifecycle.results.every((r) => /^(turn|session)\./.test(r.data!.sessionEvents.type!))).toBe(true);
      for (const s of [all, lifecycle, ids, tenantB]) s.stop();
      await eventually(() => channels() === 0 && server.app.bus.listenerCount() === 0, 10_000, "channels back to 0");
    });

    it("a member that stops reading is cut off while the others get everything at once", { timeout: 60_000 }, async () => {
      const sessionId = await createSession(url, {}, A);
      let paused: WebSocket | undefined;
      let closed: { code: number; reason: string } | undefined;
      const stalled = createClient({
        url: `${url.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: A,
        on: { connected: (s) => void (paused = s as WebSocket), closed: (e) => void (closed = { code: (e as CloseEvent).code, reason: String((e as CloseEvent).reason) }) },
      });
      clients.push(stalled);
      const slow = subscribeWs<Seq>(stalled, WITH_DATA, { s: sessionId });
      const reader = subscribeWs<Seq>(client(A), WITH_DATA, { s: sessionId });
      const slowSse = await stalledSse(url, WITH_DATA, { s: sessionId }, A);
      await eventually(() => server.app.services.events.activeStreams() === 3, 10_000, "three members");
      expect(channels()).toBe(1);
      (paused as unknown as { _socket: import("node:net").Socket })._socket.pause();
      // 20 MB of live events: far past the loopback socket buffers and the 2 MiB bound.
      // Paced, so a client reading in this same process (and thread) keeps up.
      for (let i = 0; i < 40; i++) {
        await server.app.store.log.append(sessionId, [{ type: "test.blob", context: {}, data: { i, text: "x".repeat(512 * 1024) } } as never]);
        await new Promise((r) => setTimeout(r, 60));
      }
      const last = await settled(url, sessionId, 100, A);
      await reader.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last, 20_000);
      expect(seqs(reader)).toEqual(range(seqs(reader)[0]!, last));
      await eventually(() => server.app.services.events.activeStreams() === 1, 10_000, "the stalled member cut off");
      (paused as unknown as { _socket: import("node:net").Socket })._socket.resume();
      await eventually(() => closed, 20_000, "the stalled socket closed");
      expect(closed!.code).toBe(1013);
      expect(closed!.reason).toMatch(/too slow.*resubscribe with after: \d+/);
      expect(seqs(slow)).toEqual(seqs(slow).length ? range(seqs(slow)[0]!, seqs(slow).at(-1)!) : []);
      // The stalled SSE member: what it got is gapless, then the error result naming where to resume, then `complete`.
      slowSse.resume();
      await slowSse.ended;
      const frames = slowSse.text().split("\n\n").filter((f) => f.startsWith("event: "));
      expect(frames.at(-1)).toBe("event: complete\ndata:");
      const results = frames.slice(0, -1).map((f) => JSON.parse(f.slice("event: next\ndata: ".length)) as { data?: Seq; errors?: { message: string; extensions: { code: string } }[] });
      expect(results.at(-1)!.errors![0]!.extensions.code).toBe("CONFLICT");
      expect(results.at(-1)!.errors![0]!.message).toMatch(/too slow.*resubscribe with after: \d+/);
      const sseSeqs = results.slice(0, -1).map((r) => r.data!.sessionEvents.sequence);
      expect(sseSeqs).toEqual(sseSeqs.length ? range(sseSeqs[0]!, sseSeqs.at(-1)!) : []);
      reader.stop();
      await eventually(() => channels() === 0 && server.app.bus.listenerCount() === 0, 10_000, "channels back to 0");
    });

    it("a revoked key ends its own members only", { timeout: 60_000 }, async () => {
      const c = await server.app.store.apiKeys.create("tenant C");
      const C = { authorization: `Bearer ${c.key}` };
      const sC = await createSession(url, {}, C);
      const sB = await createSession(url, {}, B);
      const ofC = [subscribeWs<Seq>(client(C), DELTAS, { s: sC }), subscribeWs<Seq>(client(C), DELTAS, { s: sC })];
      const ofB = subscribeWs<Seq>(client(B), DELTAS, { s: sB });
      await eventually(() => server.app.services.events.activeStreams() === 3, 10_000, "three members");
      await server.app.store.apiKeys.revoke(c.id);
      for (const s of ofC) await s.completed.catch(() => {}); // ended: completed, or the socket closed with 4403
      await eventually(() => server.app.services.events.activeStreams() === 1, 10_000, "C's members gone");
      await sendText(url, sB, "still here", {}, B);
      const last = await settled(url, sB, 300, B);
      await ofB.until((r) => r.at(-1)?.data?.sessionEvents.sequence === last);
      expect(server.app.services.events.activeStreams()).toBe(1);
      ofB.stop();
      await eventually(() => channels() === 0 && server.app.bus.listenerCount() === 0, 10_000, "channels back to 0");
    });
  });
}
