// Limits of SPEC §7, each with small values set through the config so the
// documents stay small: depth, aliases and tokens (rejected before any
// resolver runs), body size (413 before parsing, chunked bodies included),
// CSRF prevention, requests per minute (per address, per key, shared through
// Redis), and graphql-ws' per-connection caps.
import { Redis } from "ioredis";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, pgliteBackend, postgresAvailable, postgresBackend } from "../support/backends.js";
import { eventually, gql, gqlData, subscribeWs, wsClient } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { chunkedRequest, PNG, rest, uploadForm, uploadGraphQL, uploadRest } from "../support/http.js";
import { captureLogs } from "../support/logs.js";
import { startServer, type TestServer } from "../support/server.js";
import { withTimeout } from "../support/wait.js";

const MAX_BODY = 2048;
/** A real PNG, padded past MAX_BODY (trailing bytes after IEND are ignored by readers). */
const BIG_PNG = Buffer.concat([PNG, Buffer.alloc(MAX_BODY * 2, 0x20)]);

const EVENTS = `subscription($s: ID!) { sessionEvents(sessionId: $s) { sequence } }`;

/** Counts of what a rejected request must not have stored. */
const stored = async (server: TestServer) => {
  const prisma = server.app.db.prisma;
  return { sessions: await prisma.session.count(), events: await prisma.event.count(), images: await prisma.image.count() };
};

/** A rejected document: no data, and an error from the limit (VALIDATION_FAILED or yoga's validation error). */
function expectRejected(res: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }, pattern: RegExp) {
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.length, JSON.stringify(res)).toBeGreaterThan(0);
  const [error] = res.errors!;
  expect(error!.message).toMatch(pattern);
  if (error!.extensions?.code !== undefined) expect(["VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"]).toContain(error!.extensions.code);
}

for (const backend of await backends()) {
  describe(`document and body limits on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;

    beforeAll(async () => {
      server = await startServer(backend, {
        GRAPHQL_MAX_DEPTH: "4",
        GRAPHQL_MAX_ALIASES: "3",
        GRAPHQL_MAX_TOKENS: "120",
        MAX_BODY_BYTES: String(MAX_BODY),
        WS_MAX_SUBSCRIPTIONS: "2",
      });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    describe("GraphQL documents", () => {
      it("a mutation deeper than GRAPHQL_MAX_DEPTH is rejected and creates nothing", async () => {
        const before = await stored(server);
        const deep = await gql(url, `mutation { createSession { messages { nodes { session { messages { nodes { id } } } } } } }`);
        expectRejected(deep, /depth/i);
        expect(await stored(server)).toEqual(before);
        // At the limit it runs.
        const atLimit = await gql(url, `mutation { createSession { messages { nodes { id } } } }`);
        expect(atLimit.errors).toBeUndefined();
        expect((await stored(server)).sessions).toBe(before.sessions + 1);
      });

      it("more aliases than GRAPHQL_MAX_ALIASES are rejected: not one of the aliased createSession runs", async () => {
        const before = await stored(server);
        const aliased = (n: number) => `mutation { ${Array.from({ length: n }, (_, i) => `s${i}: createSession { id }`).join(" ")} }`;
        expectRejected(await gql(url, aliased(4)), /alias/i);
        expect(await stored(server)).toEqual(before);
        const atLimit = await gql(url, aliased(3));
        expect(atLimit.errors).toBeUndefined();
        expect((await stored(server)).sessions).toBe(before.sessions + 3);
      });

      it("a document over GRAPHQL_MAX_TOKENS is rejected and creates nothing", async () => {
        const mutation = (tags: number) =>
          `mutation { createSession(input: { tags: [${Array.from({ length: tags }, (_, i) => `"t${i}"`).join(" ")}] }) { id } }`;
        const before = await stored(server);
        expectRejected(await gql(url, mutation(150)), /token/i);
        expect(await stored(server)).toEqual(before);
        // Well under the limit the same mutation runs.
        expect((await gql(url, mutation(60))).errors).toBeUndefined();
        expect((await stored(server)).sessions).toBe(before.sessions + 1);
      });

      it("the same limits hold over graphql-ws, before the subscription starts", async () => {
        const sessionId = await createSession(url);
        const client = wsClient(url);
        try {
          const deep = subscribeWs(client, `subscription($s: ID!) { sessionEvents(sessionId: $s) { message { session { messages { nodes { id } } } } } }`, { s: sessionId });
          await expect(deep.completed).rejects.toThrow(/depth/i);
          const aliased = subscribeWs(client, `subscription($s: ID!) { a: sessionEvents(sessionId: $s) { b: sequence c: sequence d: sequence e: sequence } }`, { s: sessionId });
          await expect(aliased.completed).rejects.toThrow(/alias/i);
          expect(deep.results).toEqual([]);
          expect(server.app.services.events.activeStreams()).toBe(0);
          // The errors answered the operations; the connection itself stays up.
          const fine = subscribeWs(client, `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) { sequence } }`, { s: sessionId });
          await fine.until((r) => r.length === 1);
          fine.stop();
        } finally {
          await client.dispose();
        }
      });
    });

    describe(`bodies over MAX_BODY_BYTES (${MAX_BODY})`, () => {
      const bigJson = { title: "x".repeat(MAX_BODY * 2) };

      it("REST JSON: 413 {error, status} and nothing stored", async () => {
        const before = await stored(server);
        const res = await rest(url, "POST", "/v1/sessions", bigJson);
        expect(res.status).toBe(413);
        expect(res.body).toEqual({ error: expect.any(String), status: 413 });
        expect(await stored(server)).toEqual(before);
        // Under the limit the same route works.
        expect((await rest(url, "POST", "/v1/sessions", { metadata: { pad: "x".repeat(MAX_BODY / 2) } })).status).toBe(201);
      });

      it("GraphQL JSON: 413 with a GraphQL error and nothing stored", async () => {
        const before = await stored(server);
        const res = await gql(url, `mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`, { input: bigJson });
        expect(res.status).toBe(413);
        expect(res.errors?.[0]?.extensions?.status).toBe(413);
        expect(await stored(server)).toEqual(before);
      });

      it("multipart uploads (REST and GraphQL): 413 and no image stored", async () => {
        const before = await stored(server);
        const viaRest = await uploadRest(url, BIG_PNG);
        expect(viaRest.status).toBe(413);
        expect(viaRest.body).toEqual({ error: expect.any(String), status: 413 });
        const viaGraphQL = await uploadGraphQL(url, BIG_PNG);
        expect(viaGraphQL.status).toBe(413);
        expect(await stored(server)).toEqual(before);
        // A small image still goes through both.
        expect((await uploadRest(url, PNG)).status).toBe(201);
        expect((await uploadGraphQL(url, PNG)).errors).toBeUndefined();
      });

      it("chunked bodies with no Content-Length: 413 on REST JSON, GraphQL JSON and both uploads, nothing stored", async () => {
        const before = await stored(server);
        const json = Buffer.from(JSON.stringify(bigJson));
        const restJson = await chunkedRequest(url, "/v1/sessions", json, { "content-type": "application/json" });
        expect(restJson.status).toBe(413);
        expect(JSON.parse(restJson.text)).toEqual({ error: expect.any(String), status: 413 });

        const gqlBody = Buffer.from(JSON.stringify({ query: `mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`, variables: { input: bigJson } }));
        const gqlJson = await chunkedRequest(url, "/graphql", gqlBody, { "content-type": "application/json", accept: "application/json" });
        expect(gqlJson.status).toBe(413);

        for (const [path, form] of [
          ["/v1/images", restForm(BIG_PNG)],
          ["/graphql", uploadForm(BIG_PNG)],
        ] as const) {
          const encoded = new Response(form);
          const body = Buffer.from(await encoded.arrayBuffer());
          const res = await chunkedRequest(url, path, body, { "content-type": encoded.headers.get("content-type")!, "x-graphql-yoga-csrf": "1" });
          expect({ path, status: res.status }).toEqual({ path, status: 413 });
        }
        expect(await stored(server)).toEqual(before);

        // A small chunked body is fine.
        const small = await chunkedRequest(url, "/v1/sessions", Buffer.from(JSON.stringify({ title: "chunked" })), { "content-type": "application/json" }, 8);
        expect(small.status).toBe(201);
      });
    });

    describe("CSRF prevention", () => {
      const query = encodeURIComponent("{ models { id } }");

      it("a GET query needs the x-graphql-yoga-csrf header: 403 without, 200 with", async () => {
        expect((await fetch(`${url}/graphql?query=${query}`, { headers: { accept: "application/json" } })).status).toBe(403);
        const ok = await fetch(`${url}/graphql?query=${query}`, { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } });
        expect(ok.status).toBe(200);
      });

      it("a multipart upload without the header is refused and stores nothing", async () => {
        const before = await stored(server);
        const res = await fetch(`${url}/graphql`, { method: "POST", body: uploadForm(PNG) });
        expect(res.status).toBe(403);
        expect(await stored(server)).toEqual(before);
      });

      it("a REST write from another site's page (a simple text/plain POST) is refused and stores nothing", async () => {
        const before = await stored(server);
        const body = JSON.stringify({ title: "forged" });
        const forged: Record<string, string>[] = [
          { origin: "https://evil.example", "content-type": "text/plain" },
          { origin: "null", "content-type": "text/plain" },
          { "sec-fetch-site": "cross-site", "content-type": "text/plain" },
        ];
        for (const headers of forged) {
          const res = await fetch(`${url}/v1/sessions`, { method: "POST", headers, body });
          expect(res.status, JSON.stringify(headers)).toBe(403);
          expect(await res.json()).toEqual({ error: expect.any(String), status: 403 });
        }
        const form = new FormData();
        form.append("file", new Blob([new Uint8Array(PNG)], { type: "image/png" }), "x.png");
        expect((await fetch(`${url}/v1/images`, { method: "POST", body: form, headers: { origin: "https://evil.example" } })).status).toBe(403);
        expect(await stored(server)).toEqual(before);
        // The server's own origin, and clients that send no Origin (curl, SDKs), are fine.
        const own = await fetch(`${url}/v1/sessions`, { method: "POST", headers: { origin: url, "sec-fetch-site": "same-origin" }, body });
        expect(own.status).toBe(201);
        expect((await fetch(`${url}/v1/sessions`, { method: "POST", headers: { "content-type": "text/plain" }, body })).status).toBe(201);
      });

      it("another site's page gets no CORS grant on /graphql (so a browser never sends or reads its request)", async () => {
        const preflight = await fetch(`${url}/graphql`, {
          method: "OPTIONS",
          headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-graphql-yoga-csrf" },
        });
        expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
        const post = await fetch(`${url}/graphql`, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json" }, body: JSON.stringify({ query: "{ models { id } }" }) });
        expect(post.headers.get("access-control-allow-origin")).toBeNull();
      });

      it("a frontend served from localhost on another port may call (the default ALLOWED_ORIGINS=loopback)", async () => {
        const dev = "http://localhost:5173";
        const preflight = await fetch(`${url}/graphql`, {
          method: "OPTIONS",
          headers: { origin: dev, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
        });
        expect(preflight.headers.get("access-control-allow-origin")).toBe(dev);
        const rest = await fetch(`${url}/v1/sessions`, { method: "POST", headers: { origin: dev, "content-type": "application/json" }, body: "{}" });
        expect(rest.status).toBe(201);
        const opened = await withTimeout(
          new Promise<string>((resolve) => {
            const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { origin: dev });
            socket.once("open", () => {
              socket.close();
              resolve("open");
            });
            socket.once("unexpected-response", (_req, res) => resolve(String(res.statusCode)));
            socket.once("error", () => {});
          }),
          10_000,
          "the handshake",
        );
        expect(opened).toBe("open");
      });

      it("graphql-ws refuses a socket opened by another site's page, and serves the server's own pages and non-browser clients", async () => {
        const open = (origin?: string) =>
          new Promise<number | "open">((resolve) => {
            const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", origin ? { origin } : {});
            socket.once("open", () => {
              socket.close();
              resolve("open");
            });
            socket.once("unexpected-response", (_req, res) => {
              resolve(res.statusCode ?? 0);
              socket.terminate();
            });
            socket.once("error", () => {});
          });
        expect(await withTimeout(open("https://evil.example"), 10_000, "the handshake")).toBe(403);
        expect(await withTimeout(open("null"), 10_000, "the handshake")).toBe(403);
        expect(await withTimeout(open(url), 10_000, "the handshake")).toBe("open");
        expect(await withTimeout(open(), 10_000, "the handshake")).toBe("open");
      });

      it("the GraphiQL page loads from a plain browser GET", async () => {
        const page = await fetch(`${url}/graphql`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
        expect(page.status).toBe(200);
        expect(page.headers.get("content-type")).toContain("text/html");
      });
    });

    describe("graphql-ws", () => {
      it("a connection runs at most WS_MAX_SUBSCRIPTIONS operations; the extra one errors and a freed slot is reused", async () => {
        const sessionId = await createSession(url);
        const client = wsClient(url);
        try {
          const first = subscribeWs(client, EVENTS, { s: sessionId });
          const second = subscribeWs(client, EVENTS, { s: sessionId });
          await waitFor(() => server.app.services.events.activeStreams() === 2, "two live streams");
          const third = subscribeWs(client, EVENTS, { s: sessionId });
          await expect(third.completed).rejects.toThrow(/RATE_LIMITED/);
          // The first two still work.
          await gqlData(url, `mutation($id: ID!) { updateSession(input: { id: $id, title: "t" }) { id } }`, { id: sessionId });
          await first.until((r) => r.length === 1);
          await second.until((r) => r.length === 1);
          // Completing one frees its slot.
          first.stop();
          await waitFor(() => server.app.services.events.activeStreams() === 1, "one stream left");
          const again = subscribeWs(client, EVENTS, { s: sessionId });
          await waitFor(() => server.app.services.events.activeStreams() === 2, "the slot reused");
          again.stop();
          second.stop();
        } finally {
          await client.dispose();
        }
      });

      it("2,000 subscribe frames sent at once start at most WS_MAX_SUBSCRIPTIONS; every other one is refused", async () => {
        const sessionId = await createSession(url);
        const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
        const messages: { id?: string; type: string; payload?: any }[] = [];
        socket.on("message", (data) => messages.push(JSON.parse(String(data))));
        await new Promise((resolve, reject) => {
          socket.once("open", resolve);
          socket.once("error", reject);
        });
        try {
          socket.send(JSON.stringify({ type: "connection_init" }));
          await waitFor(() => messages.some((m) => m.type === "connection_ack"), "connection_ack");
          const burst = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: `s${i}`, type: "subscribe", payload: { query: EVENTS, variables: { s: sessionId } } }));
          for (const frame of burst) socket.send(frame); // all queued before the server reads one
          const refused = () => messages.filter((m) => m.type === "error" && m.payload?.[0]?.extensions?.code === "RATE_LIMITED").length;
          await waitFor(() => refused() === 1998, "1,998 refusals");
          // Refusals are sent before any await; the two accepted ones start streaming after their session is read.
          await waitFor(() => server.app.services.events.activeStreams() >= 2, "2 streams started");
          expect(server.app.services.events.activeStreams()).toBe(2);
          expect(messages.filter((m) => m.type === "error")).toHaveLength(1998);
        } finally {
          socket.close();
        }
      });

      it("a frame over MAX_BODY_BYTES closes the socket (1009)", async () => {
        const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
        const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
        await new Promise((resolve, reject) => {
          socket.once("open", resolve);
          socket.once("error", reject);
        });
        socket.send(JSON.stringify({ type: "connection_init" }));
        await new Promise((resolve) => socket.once("message", resolve)); // connection_ack
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: `{ models { id } }`, variables: { pad: "x".repeat(MAX_BODY * 2) } } }));
        expect(await withTimeout(closed, 10_000, "socket close")).toBe(1009);
      });
    });
  });
}

const sharedLimitSkip = await redisAndPostgresMissing();
if (sharedLimitSkip) console.warn(`[tests] SKIPPING the shared (Redis) rate-limit test: ${sharedLimitSkip}`);

describe("requests per minute (RATE_LIMIT_PER_MIN=5)", () => {
  const LIMIT = 5;

  describe("per client address with AUTH=none", () => {
    const backend = pgliteBackend();
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(backend, { RATE_LIMIT_PER_MIN: String(LIMIT) });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("the sixth request in a minute is 429 with Retry-After, on GraphQL and REST; /health, /ready, /metrics still answer", async () => {
      await awayFromMinuteEdge();
      for (let i = 0; i < LIMIT; i++) expect((await gql(server.url, `{ models { id } }`)).status).toBe(200);
      await expectLimited(server.url, {});
      for (const path of ["/health", "/ready", "/metrics"]) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    });

    it("an Authorization header (ignored with AUTH=none) does not buy a fresh budget", async () => {
      await awayFromMinuteEdge();
      for (let i = 0; i <= LIMIT; i++) await gql(server.url, `{ models { id } }`);
      for (let i = 0; i < 3; i++) {
        const headers = { authorization: `Bearer prl_made_up_${i}` };
        expect((await gql(server.url, `{ models { id } }`, undefined, headers)).status).toBe(429);
      }
    });
  });

  describe("per key with AUTH=api_key", () => {
    const backend = pgliteBackend();
    let server: TestServer;
    const newKey = async () => ({ authorization: `Bearer ${(await server.app.store.apiKeys.create("rate")).key}` });
    beforeAll(async () => {
      server = await startServer(backend, { AUTH: "api_key", RATE_LIMIT_PER_MIN: String(LIMIT) });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("key A over its budget gets 429 on GraphQL and REST, while key B is not limited", async () => {
      const [a, b] = [await newKey(), await newKey()];
      await awayFromMinuteEdge();
      for (let i = 0; i < LIMIT; i++) expect((await rest(server.url, "GET", "/v1/sessions", undefined, a)).status).toBe(200);
      await expectLimited(server.url, a);
      expect((await gql(server.url, `{ models { id } }`, undefined, b)).status).toBe(200);
      expect((await rest(server.url, "GET", "/v1/sessions", undefined, b)).status).toBe(200);
    });

    it("spelling the same key's header differently does not buy a fresh budget", async () => {
      const a = await newKey();
      const secret = a.authorization.slice("Bearer ".length);
      await awayFromMinuteEdge();
      const spellings = [`Bearer ${secret}`, `bearer ${secret}`, `BEARER ${secret}`, `Bearer  ${secret}`, `Bearer\t${secret}`, ` Bearer ${secret} `];
      // Every spelling authenticates the same key...
      for (const authorization of spellings.slice(0, LIMIT)) {
        expect((await rest(server.url, "GET", "/v1/sessions", undefined, { authorization })).status, JSON.stringify(authorization)).toBe(200);
      }
      // ...and draws on its one budget.
      for (const authorization of spellings) {
        expect((await rest(server.url, "GET", "/v1/sessions", undefined, { authorization })).status, JSON.stringify(authorization)).toBe(429);
      }
    });

    it("requests with no key or a made-up key draw on their client address's budget (a new key per request buys nothing); a real key keeps its own", async () => {
      const real = await newKey();
      await awayFromMinuteEdge();
      const bogus = (i: number) => ({ authorization: `Bearer prl_made_up_${i}_${Math.random()}` });
      for (let i = 0; i < LIMIT; i++) expect((await rest(server.url, "GET", "/v1/sessions", undefined, i % 2 ? bogus(i) : {})).status).toBe(401);
      for (let i = 0; i < 3; i++) {
        expect((await rest(server.url, "GET", "/v1/sessions", undefined, bogus(100 + i))).status).toBe(429);
        expect((await gql(server.url, `{ models { id } }`, undefined, bogus(200 + i))).status).toBe(429);
        expect((await rest(server.url, "GET", "/v1/sessions")).status).toBe(429);
      }
      expect((await rest(server.url, "GET", "/v1/sessions", undefined, real)).status).toBe(200);
    });

    it("/health is not limited", async () => {
      const a = await newKey();
      await awayFromMinuteEdge();
      for (let i = 0; i <= LIMIT; i++) await rest(server.url, "GET", "/v1/sessions", undefined, a);
      for (let i = 0; i < LIMIT * 2; i++) expect((await fetch(`${server.url}/health`, { headers: a })).status).toBe(200);
    });
  });

  describe("with PUBSUB=redis and Redis unreachable", () => {
    const backend = pgliteBackend();
    let server: TestServer;
    const { lines: logLines, logger } = captureLogs();
    beforeAll(async () => {
      // Port 1: nothing listens there, connections are refused at once.
      server = await startServer(backend, { PUBSUB: "redis", REDIS_URL: "redis://127.0.0.1:1", RATE_LIMIT_PER_MIN: "2" }, { logger });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("requests still go through (the limiter cannot count, so it does not refuse) and the outage is logged", async () => {
      for (let i = 0; i < 4; i++) expect((await rest(server.url, "GET", "/v1/sessions")).status).toBe(200);
      await eventually(() => logLines.some((l) => l.level === 40 && /rate limiter/.test(l.msg)), 10_000, "the limiter's warning");
    });
  });

  describe("shared by two instances with PUBSUB=redis", () => {
    describe.skipIf(sharedLimitSkip !== null)("two servers on one PostgreSQL database", () => {
      const backend = postgresBackend();
      let one: TestServer;
      let two: TestServer;
      beforeAll(async () => {
        const config = { AUTH: "api_key", PUBSUB: "redis", RATE_LIMIT_PER_MIN: String(LIMIT) };
        one = await startServer(backend, config);
        two = await startServer(backend, config);
      });
      afterAll(async () => {
        await one?.close();
        await two?.close();
        await backend.cleanup();
      });

      it("requests to either instance draw on one budget", async () => {
        const key = { authorization: `Bearer ${(await one.app.store.apiKeys.create("shared")).key}` };
        await awayFromMinuteEdge();
        for (let i = 0; i < LIMIT; i++) {
          const target = i % 2 === 0 ? one : two;
          expect((await gql(target.url, `{ models { id } }`, undefined, key)).status).toBe(200);
        }
        await expectLimited(two.url, key);
        await expectLimited(one.url, key);
      });
    });
  });
});

/** The next GraphQL and REST requests are both refused with 429 and Retry-After. */
async function expectLimited(url: string, headers: Record<string, string>) {
  const graphql = await gql(url, `{ models { id } }`, undefined, headers);
  expect(graphql.status).toBe(429);
  expect(Number(graphql.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(Number(graphql.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  expect(graphql.errors).toEqual([{ message: expect.any(String), extensions: { code: "RATE_LIMITED", status: 429 } }]);
  const restRes = await rest(url, "GET", "/v1/sessions", undefined, headers);
  expect(restRes.status).toBe(429);
  expect(Number(restRes.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(restRes.body).toEqual({ error: expect.any(String), status: 429 });
}

/**
 * The limiter counts in fixed one-minute windows; a burst that straddles two
 * windows would be counted twice as leniently. Start bursts well inside one.
 */
async function awayFromMinuteEdge(marginMs = 8_000) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

async function redisAndPostgresMissing(): Promise<string | null> {
  if (!(await postgresAvailable())) return "PostgreSQL is not reachable (two instances need one shared database for their keys)";
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${process.env.REDIS_URL ?? "redis://127.0.0.1:6379"} does not answer (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

function restForm(bytes: Buffer): FormData {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)], { type: "image/png" }), "big.png");
  return form;
}

const waitFor = (check: () => boolean, what: string) => eventually(check, 10_000, what);
