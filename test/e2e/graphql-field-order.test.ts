// Response fields come back in the order the query asked (GraphQL spec
// §7.2.2), even when a later field resolves first: a synchronous field after
// one that needs the database, at the root and inside objects, over HTTP (the
// raw JSON text), graphql-ws and SSE (JSON.parse keeps the wire's key order).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { subscribeSse, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

/** Keys of every object in `value`, depth first, in their order on the wire. */
function keyOrder(value: unknown): string[][] {
  if (Array.isArray(value)) return value.flatMap(keyOrder);
  if (value === null || typeof value !== "object") return [];
  return [Object.keys(value), ...Object.values(value).flatMap(keyOrder)];
}

describe("response field order", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let url: string;
  let sessionId: string;

  beforeAll(async () => {
    server = await startServer(backend);
    url = server.url;
    sessionId = await createSession(url, { title: "order" });
  });
  afterAll(async () => {
    await server?.close();
  });

  // session and messages.totalCount wait on SQL; __typename, status and id do not.
  const query = () => `{
    session(id: "${sessionId}") { messages { totalCount nodes { id } } status id }
    __typename
    models { maxErrorDisclosure id }
  }`;
  const asked = [
    ["session", "__typename", "models"],
    ["messages", "status", "id"],
    ["totalCount", "nodes"],
    ["maxErrorDisclosure", "id"],
  ];

  it("over HTTP, in the raw JSON text", async () => {
    const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: query() }) });
    const text = await res.text();
    const at = (key: string) => text.indexOf(`"${key}"`);
    expect(at("session")).toBeLessThan(at("__typename"));
    expect(at("__typename")).toBeLessThan(at("models"));
    expect(at("messages")).toBeLessThan(at("status"));
    expect(at("totalCount")).toBeLessThan(at("nodes"));
    expect(keyOrder(JSON.parse(text).data)).toEqual(asked);
  });

  it("over graphql-ws", async () => {
    const client = wsClient(url);
    try {
      const sub = subscribeWs(client, query());
      await sub.completed;
      expect(keyOrder(sub.results[0]!.data)).toEqual(asked);
    } finally {
      await client.dispose();
    }
  });

  it("in subscription events over SSE and graphql-ws", async () => {
    await sendText(url, sessionId, "hello");
    // input.message's `message` is loaded from the database; the other fields are at hand.
    const events = `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0, types: ["input.message"]) { message { id } session: sessionId sequence type } }`;
    const expected = [["sessionEvents"], ["message", "session", "sequence", "type"], ["id"]];
    const sse = subscribeSse(url, events, { s: sessionId });
    const client = wsClient(url);
    try {
      const ws = subscribeWs(client, events, { s: sessionId });
      for (const sub of [sse, ws]) {
        await sub.until((r) => r.length === 1);
        expect(keyOrder(sub.results[0]!.data)).toEqual(expected);
      }
      ws.stop();
    } finally {
      sse.stop();
      await client.dispose();
    }
  });
});
