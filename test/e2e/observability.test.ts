// Logs and metrics (SPEC §7), on both backends: request ids (echoed or made
// up), one pino line per request, the Prometheus metrics the spec names
// moving with real traffic, and a real unexpected error (a table gone from
// under the running app) masked for the client and logged with its cause.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, gql, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText, settled } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { captureLogs } from "../support/logs.js";
import { startServer, type TestServer } from "../support/server.js";

/** One sample of a metric, by name and (a subset of) labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

for (const backend of await backends()) {
  describe(`logs and metrics on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    const { lines: logLines, logger } = captureLogs();
    const metrics = async () => {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const linesFor = (requestId: string) => logLines.filter((line) => line.requestId === requestId);

    beforeAll(async () => {
      // Deltas 30 ms apart, so a long reply keeps a turn running long enough to be seen.
      server = await startServer(backend, { DEMO_DELAY_MS: "30" }, { logger });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    describe("request ids", () => {
      it("echoes the x-request-id a client sends, on GraphQL, REST and health", async () => {
        expect((await gql(url, `{ models { id } }`, undefined, { "x-request-id": "obs-gql-1" })).headers.get("x-request-id")).toBe("obs-gql-1");
        expect((await rest(url, "GET", "/v1/sessions", undefined, { "x-request-id": "obs-rest-1" })).headers.get("x-request-id")).toBe("obs-rest-1");
        expect((await fetch(`${url}/health`, { headers: { "x-request-id": "obs-health-1" } })).headers.get("x-request-id")).toBe("obs-health-1");
      });

      it("makes one up when the client sends none, different for each request", async () => {
        const a = (await gql(url, `{ models { id } }`)).headers.get("x-request-id");
        const b = (await rest(url, "GET", "/v1/sessions")).headers.get("x-request-id");
        expect(a).toMatch(/^[0-9a-f-]{36}$/);
        expect(b).toMatch(/^[0-9a-f-]{36}$/);
        expect(a).not.toBe(b);
      });
    });

    it("logs exactly one line per request with its id, method, path and status", async () => {
      const unknown = "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
      await rest(url, "GET", `/v1/sessions/${unknown}`, undefined, { "x-request-id": "obs-log-404" });
      await gql(url, `{ models { id } }`, undefined, { "x-request-id": "obs-log-gql" });
      await fetch(`${url}/health`, { headers: { "x-request-id": "obs-log-health" } });
      // The line is written when the response closes, which may be just after the client read it.
      await eventually(() => ["obs-log-404", "obs-log-gql", "obs-log-health"].every((id) => linesFor(id).some((l) => l.msg === "request")), 5_000, "request lines");
      const requestLines = (id: string) => linesFor(id).filter((l) => l.msg === "request");
      expect(requestLines("obs-log-404")).toEqual([expect.objectContaining({ requestId: "obs-log-404", method: "GET", path: `/v1/sessions/${unknown}`, status: 404 })]);
      expect(requestLines("obs-log-gql")).toEqual([expect.objectContaining({ method: "POST", path: "/graphql", status: 200 })]);
      expect(requestLines("obs-log-health")).toEqual([expect.objectContaining({ method: "GET", path: "/health", status: 200 })]);
    });

    describe("/metrics", () => {
      it("serves Prometheus text with the HTTP histogram and Node's default process metrics", async () => {
        await rest(url, "GET", "/v1/sessions");
        const res = await fetch(`${url}/metrics`);
        expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
        const text = await res.text();
        expect(text).toContain("# TYPE http_request_duration_seconds histogram");
        expect(sample(text, "http_request_duration_seconds_count", { method: "GET", route: "/v1/sessions", status: "200" })).toBeGreaterThan(0);
        expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
        for (const name of ["ws_connections", "subscriptions_active", "turns_running", "turns_queued"]) {
          expect(sample(text, name), name).toBeGreaterThanOrEqual(0);
        }
        for (const name of ["turn_duration_seconds", "event_append_duration_seconds"]) expect(text).toContain(`# TYPE ${name} histogram`);
      });

      it("labels routes by shape, not by id", async () => {
        await rest(url, "GET", "/v1/sessions/session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b");
        const text = await metrics();
        expect(sample(text, "http_request_duration_seconds_count", { route: "/v1/sessions/:id", status: "404" })).toBeGreaterThan(0);
        expect(text).not.toContain("session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b");
      });

      it("graphql_operations_total counts operations by type and outcome", async () => {
        const count = (text: string, type: string, outcome: string) => sample(text, "graphql_operations_total", { type, outcome }) ?? 0;
        const before = await metrics();
        await gql(url, `{ models { id } }`);
        await gql(url, `query { session(id: "not-an-id") { id } }`); // INVALID_ID: a failing query
        await gql(url, `mutation { createSession { id } }`);
        const after = await metrics();
        expect(count(after, "query", "success") - count(before, "query", "success")).toBe(1);
        expect(count(after, "query", "error") - count(before, "query", "error")).toBe(1);
        expect(count(after, "mutation", "success") - count(before, "mutation", "success")).toBe(1);
      });

      it("graphql_operations_total counts subscriptions over graphql-ws and GraphQL SSE (shared channels) once each", async () => {
        const subscriptions = async () => sample(await metrics(), "graphql_operations_total", { type: "subscription", outcome: "success" }) ?? 0;
        const active = async () => sample(await metrics(), "subscriptions_active");
        const activeBefore = await active();
        const before = await subscriptions();
        const sessionId = await createSession(url);
        const query = `subscription($s: ID!) { sessionEvents(sessionId: $s) { sequence } }`;
        const client = wsClient(url);
        const ws = subscribeWs(client, query, { s: sessionId });
        const sse = new AbortController();
        const res = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { accept: "text/event-stream", "content-type": "application/json" },
          body: JSON.stringify({ query, variables: { s: sessionId } }),
          signal: sse.signal,
        });
        expect(res.headers.get("content-type")).toContain("text/event-stream");
        try {
          await eventually(async () => (await subscriptions()) - before === 2, 10_000, "both subscriptions to be counted");
        } finally {
          sse.abort();
          ws.stop();
          await client.dispose();
        }
        await eventually(async () => (await active()) === activeBefore, 10_000, "both subscriptions to end");
      });

      it("ws_connections and subscriptions_active follow a live graphql-ws subscription", async () => {
        const gauges = async () => {
          const text = await metrics();
          return { ws: sample(text, "ws_connections"), subs: sample(text, "subscriptions_active") };
        };
        const before = await gauges();
        const sessionId = await createSession(url);
        const client = wsClient(url);
        const sub = subscribeWs(client, `subscription($s: ID!) { sessionEvents(sessionId: $s) { sequence } }`, { s: sessionId });
        await eventually(async () => {
          const now = await gauges();
          return now.ws === before.ws! + 1 && now.subs === before.subs! + 1;
        }, 10_000, "the gauges to go up");
        sub.stop();
        await client.dispose();
        await eventually(async () => {
          const now = await gauges();
          return now.ws === before.ws && now.subs === before.subs;
        }, 10_000, "the gauges to go back down");
      });

      it("turns_running, turns_queued, turn_duration_seconds and event_append_duration_seconds follow real turns", async () => {
        const before = await metrics();
        const completed = (text: string) => sample(text, "turn_duration_seconds_count", { outcome: "completed" }) ?? 0;
        const appends = (text: string) => sample(text, "event_append_duration_seconds_count") ?? 0;

        const sessionId = await createSession(url);
        await sendText(url, sessionId, Array.from({ length: 200 }, (_, i) => `w${i}`).join(" "));
        await sendText(url, sessionId, "queued behind the first");
        await eventually(async () => {
          const text = await metrics();
          return sample(text, "turns_running") === 1 && sample(text, "turns_queued") === 1;
        }, 15_000, "one turn running and one queued");

        await settled(url, sessionId);
        const after = await metrics();
        expect(sample(after, "turns_running")).toBe(0);
        expect(sample(after, "turns_queued")).toBe(0);
        expect(completed(after) - completed(before)).toBe(2);
        expect(appends(after)).toBeGreaterThan(appends(before));
      });
    });

    it("masks an unexpected error for the client and logs its cause with the request id (GraphQL and REST)", async () => {
      // A real failure, no mocks: the Model table disappears under the running app.
      const prisma = server.app.db.prisma;
      await prisma.$executeRawUnsafe(`ALTER TABLE "Model" RENAME TO "Model_gone"`);
      try {
        const res = await gql(url, `{ models { id } }`, undefined, { "x-request-id": "obs-masked-gql" });
        expect(res.status).toBe(200);
        expect(res.errors).toEqual([
          expect.objectContaining({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR", status: 500, requestId: "obs-masked-gql" } }),
        ]);
        expect(JSON.stringify(res.errors)).not.toMatch(/exist|prisma|stack|public\.|`/i);

        const restRes = await rest(url, "POST", "/v1/sessions", { model_id: "model_01933b5a000070008000000000000001" }, { "x-request-id": "obs-masked-rest" });
        expect(restRes.status).toBe(500);
        expect(restRes.body).toEqual({ error: "Internal server error", status: 500 });
        expect(restRes.headers.get("x-request-id")).toBe("obs-masked-rest");
      } finally {
        await prisma.$executeRawUnsafe(`ALTER TABLE "Model_gone" RENAME TO "Model"`);
      }
      for (const requestId of ["obs-masked-gql", "obs-masked-rest"]) {
        const logged = linesFor(requestId).find((line) => line.err);
        expect(logged, requestId).toBeDefined();
        expect(logged!.level).toBe(50);
        expect(logged!.err!.message, requestId).toMatch(/Model/);
        expect(logged!.err!.stack, requestId).toBeTruthy();
      }
      // Healthy again.
      expect((await gql(url, `{ models { id } }`)).errors).toBeUndefined();
    });
  });
}
