// What the log says (pino JSON lines captured from the app's logger): a
// GraphQL request's line names its operation, type and error codes; a turn's
// start and end and a WebSocket's connect, operations and close are one line
// each with their ids; a frame over MAX_BODY_BYTES is one warning line, not a
// stack trace on stderr; and graphql-ws errors never carry yoga's internal
// `extensions.http`.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { eventually, gql, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText, settled } from "../support/fixtures.js";
import { captureLogs } from "../support/logs.js";
import { startServer, type TestServer } from "../support/server.js";

describe("log lines", () => {
  const backend = pgliteBackend();
  const { lines, logger } = captureLogs();
  let server: TestServer;
  let url: string;
  const requestLine = (requestId: string) => eventually(() => lines.find((l) => l.msg === "request" && l.requestId === requestId), 5_000, `the request line of ${requestId}`);

  beforeAll(async () => {
    server = await startServer(backend, { MAX_BODY_BYTES: "4096" }, { logger });
    url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a GraphQL request's line carries the operation name and type and the response's error codes", async () => {
    await gql(url, `query ListModels { models { id } }`, undefined, { "x-request-id": "log-op-1" });
    expect(await requestLine("log-op-1")).toMatchObject({ path: "/graphql", status: 200, operationName: "ListModels", operationType: "query", errorCodes: [] });

    await gql(url, `mutation Start { createSession { id } }`, undefined, { "x-request-id": "log-op-2" });
    expect(await requestLine("log-op-2")).toMatchObject({ operationName: "Start", operationType: "mutation", errorCodes: [] });

    await gql(url, `query Broken { session(id: "nope") { id } }`, undefined, { "x-request-id": "log-op-3" });
    expect(await requestLine("log-op-3")).toMatchObject({ operationName: "Broken", operationType: "query", errorCodes: ["INVALID_ID"] });

    // Picked by operationName among several; an anonymous one has a null name.
    const two = `query A { models { id } } query B { session(id: "nope") { id } }`;
    await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "log-op-4" }, body: JSON.stringify({ query: two, operationName: "B" }) });
    expect(await requestLine("log-op-4")).toMatchObject({ operationName: "B", operationType: "query", errorCodes: ["INVALID_ID"] });
    await gql(url, `{ models { id } }`, undefined, { "x-request-id": "log-op-5" });
    expect(await requestLine("log-op-5")).toMatchObject({ operationName: null, operationType: "query" });

    // Errors before execution (validation) are counted too.
    await gql(url, `query Typo { modelz { id } }`, undefined, { "x-request-id": "log-op-6" });
    const typo = await requestLine("log-op-6");
    expect(typo).toMatchObject({ operationName: "Typo", operationType: "query" });
    expect(typo.errorCodes).toHaveLength(1);
  });

  it("a turn's start and end are one line each, with session and turn ids", async () => {
    const sessionId = await createSession(url);
    await sendText(url, sessionId, "hello there");
    await settled(url, sessionId);
    const started = lines.filter((l) => l.msg === "turn started" && l.sessionId === sessionId);
    const ended = lines.filter((l) => l.msg === "turn ended" && l.sessionId === sessionId);
    expect(started).toEqual([expect.objectContaining({ level: 30, turnId: expect.stringMatching(/^turn_/), inputMessageId: expect.stringMatching(/^message_/) })]);
    expect(ended).toEqual([expect.objectContaining({ level: 30, turnId: started[0]!.turnId, outcome: "completed", ms: expect.any(Number) })]);
  });

  it("a WebSocket's connect, each operation and its close are one line each, under one connection id", async () => {
    const sessionId = await createSession(url);
    const client = wsClient(url);
    const sub = subscribeWs(client, `subscription Watch($s: ID!) { sessionEvents(sessionId: $s, after: 0) { sequence } }`, { s: sessionId });
    await sub.until((r) => r.length === 1);
    const bad = subscribeWs(client, `query Oops { session(id: "nope") { id } }`);
    await bad.completed;
    sub.stop();
    await client.dispose();
    const closed = await eventually(() => lines.find((l) => l.msg === "graphql-ws closed" && lines.some((o) => o.msg === "graphql-ws operation" && o.operationName === "Watch" && o.connectionId === l.connectionId)), 5_000, "the close line");
    const mine = lines.filter((l) => l.connectionId === closed.connectionId);
    expect(mine.map((l) => l.msg)).toEqual(["graphql-ws connected", "graphql-ws operation", "graphql-ws operation", "graphql-ws closed"]);
    expect(mine).toEqual([
      expect.objectContaining({ msg: "graphql-ws connected" }),
      expect.objectContaining({ operationName: "Oops", operationType: "query", errorCodes: ["INVALID_ID"], requestId: expect.any(String) }),
      expect.objectContaining({ operationName: "Watch", operationType: "subscription", errorCodes: [], requestId: expect.any(String) }),
      expect.objectContaining({ msg: "graphql-ws closed", code: expect.any(Number), ms: expect.any(Number) }),
    ]);
  });

  it("a frame over MAX_BODY_BYTES is one JSON warning line, and nothing goes to stderr", async () => {
    const printed: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
      const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
      await new Promise((resolve, reject) => {
        socket.once("open", resolve);
        socket.once("error", reject);
      });
      socket.send(JSON.stringify({ type: "connection_init" }));
      await new Promise((resolve) => socket.once("message", resolve));
      socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ models { id } }", variables: { pad: "x".repeat(10_000) } } }));
      expect(await closed).toBe(1009);
      const warning = await eventually(() => lines.find((l) => l.msg === "graphql-ws socket error"), 5_000, "the warning");
      expect(warning).toMatchObject({ level: 40, code: "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", reason: "Max payload size exceeded", connectionId: expect.any(String) });
      expect(warning.err).toBeUndefined(); // no stack for a client's mistake
    } finally {
      console.error = original;
    }
    expect(printed).toEqual([]);
  });
});

describe("graphql-ws errors with AUTH=api_key", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key" });
    url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a key revoked after connection_init fails the next operation with UNAUTHENTICATED and no extensions.http", async () => {
    const key = await server.app.store.apiKeys.create("ws-http-ext");
    const client = wsClient(url, { authorization: `Bearer ${key.key}` });
    try {
      // A live subscription keeps the (lazy) connection open across the revocation.
      const sessionId = await createSession(url, {}, { authorization: `Bearer ${key.key}` });
      const live = subscribeWs(client, `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) { sequence } }`, { s: sessionId });
      await live.until((r) => r.length === 1);
      await server.app.store.apiKeys.revoke(key.id);
      const refused = subscribeWs(client, `{ models { id } }`);
      const error = await refused.completed.then(
        () => null,
        (e: Error) => e,
      );
      expect(JSON.parse(error!.message)).toEqual([{ message: "Invalid or revoked API key", extensions: { code: "UNAUTHENTICATED", status: 401 } }]);
    } finally {
      await client.dispose();
    }
  });
});
