// One rule for `__proto__` keys (issue #17): refused as VALIDATION_FAILED with
// the field, at any depth, in every client JSON value — session hints and
// metadata (create and update), message metadata, controls.hints and the
// external actor's metadata — whether it arrives as GraphQL variables, a
// GraphQL literal or REST JSON; nothing is stored. Other names JavaScript
// knows (`constructor`, `prototype`) are ordinary keys and read back equal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

/** JSON text with a real own `__proto__` key, the way a client sends it (JSON.stringify cannot write one from a literal). */
const HOSTILE = ['{"__proto__":{"polluted":true},"a":1}', '{"a":{"b":[{"__proto__":{"x":1}}]}}'];
const FIELDS: [string, (json: string) => string, string][] = [
  ["message metadata", (j) => `"metadata":${j}`, "metadata"],
  ["controls.hints", (j) => `"controls":{"hints":${j}}`, "controls.hints"],
  ["externalActor.metadata", (j) => `"externalActor":{"actorId":"u","metadata":${j}}`, "externalActor.metadata"],
];

describe("__proto__ keys in client JSON", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let sessionId: string;
  const state = async () => (await gqlData(server.url, `query($id: ID!) { session(id: $id) { lastSequence hints metadata messages { totalCount } } }`, { id: sessionId })).session;
  const raw = async (path: string, body: string) => {
    const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    server = await startServer(backend);
    sessionId = await createSession(server.url, { hints: { keep: 1 }, metadata: { keep: 2 } });
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("GraphQL variables: refused on every JSON input, at any depth, naming the field", async () => {
    const before = await state();
    const sessionsBefore = (await gqlData(server.url, `{ sessions { totalCount } }`)).sessions.totalCount;
    for (const json of HOSTILE) {
      for (const [, put, field] of FIELDS) {
        const body = `{"query":"mutation($i: CreateMessageInput!) { createMessage(input: $i) { id } }","variables":{"i":{"sessionId":"${sessionId}","message":{"content":[{"text":{"text":"x"}}]},${put(json)}}}}`;
        const res = await raw("/graphql", body);
        expect(res.body.errors?.[0]?.extensions, `${field} ${json}`).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field });
      }
      for (const field of ["hints", "metadata"]) {
        const create = await raw("/graphql", `{"query":"mutation($i: CreateSessionInput) { createSession(input: $i) { id } }","variables":{"i":{"${field}":${json}}}}`);
        expect(create.body.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field });
        const update = await raw("/graphql", `{"query":"mutation($i: UpdateSessionInput!) { updateSession(input: $i) { id } }","variables":{"i":{"id":"${sessionId}","${field}":${json}}}}`);
        expect(update.body.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field });
      }
    }
    expect(await state()).toEqual(before);
    expect((await gqlData(server.url, `{ sessions { totalCount } }`)).sessions.totalCount).toBe(sessionsBefore);
  });

  it("a GraphQL literal (where graphql-js assigns the key) and REST JSON are refused the same way", async () => {
    const before = await state();
    const literal = await gql(server.url, `mutation($s: ID!) { updateSession(input: { id: $s, metadata: { a: { __proto__: { x: 1 } } } }) { id } }`, { s: sessionId });
    expect(literal.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "metadata" });
    const literalMessage = await gql(server.url, `mutation($s: ID!) { createMessage(input: { sessionId: $s, message: { content: [{ text: { text: "x" } }] }, controls: { hints: { __proto__: { x: 1 } } } }) { id } }`, { s: sessionId });
    expect(literalMessage.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "controls.hints" });
    for (const json of HOSTILE) {
      expect((await raw("/v1/sessions", `{"hints":${json}}`)).status).toBe(422);
      expect((await raw(`/v1/sessions/${sessionId}/messages`, `{"message":{"content":[{"type":"text","text":"x"}]},"metadata":${json}}`)).status).toBe(422);
      expect((await raw(`/v1/sessions/${sessionId}/messages`, `{"message":{"content":[{"type":"text","text":"x"}]},"external_actor":{"actor_id":"u","metadata":${json}}}`)).status).toBe(422);
    }
    expect(await state()).toEqual(before);
  });

  it("`constructor` and `prototype` are ordinary keys: accepted and read back equal", async () => {
    const value = { constructor: { prototype: { x: 1 } }, prototype: [1], toString: "s" };
    const created = await rest(server.url, "POST", "/v1/sessions", { hints: value, metadata: value });
    expect(created.status).toBe(201);
    expect(created.body.hints).toEqual(value);
    const message = await gqlData(server.url, `mutation($s: ID!, $m: JSON) { createMessage(input: { sessionId: $s, message: { content: [{ text: { text: "x" } }] }, metadata: $m, controls: { hints: $m } }) { metadata controls { hints } } }`, { s: created.body.id, m: value });
    expect(message.createMessage).toEqual({ metadata: value, controls: { hints: value } });
  });
});
