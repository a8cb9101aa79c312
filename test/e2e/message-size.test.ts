// Input size bounds (issue #17, SPEC §3 validation): a text part is at most
// MAX_TEXT_PART_BYTES of UTF-8 and a whole message at most MAX_MESSAGE_BYTES
// of stored JSON, so the largest legal page stays a sane response; REST's
// message list answers GraphQL's largest page by default. Over GraphQL and
// REST, the field is named and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES, MAX_TEXT_PART_BYTES } from "../../src/domain/validation.js";
import { pgliteBackend } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession, settled } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

const CREATE = `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`;

describe("message size bounds", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let sessionId: string;
  const state = async () => (await gqlData(server.url, `query($id: ID!) { session(id: $id) { lastSequence messages { totalCount } } }`, { id: sessionId })).session;
  const viaGraphql = (content: unknown[], extra: Record<string, unknown> = {}) => gql(server.url, CREATE, { input: { sessionId, message: { content }, ...extra } });

  beforeAll(async () => {
    server = await startServer(backend);
    sessionId = await createSession(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("a text part over the bound (counted in UTF-8 bytes) is VALIDATION_FAILED on its field, on GraphQL and REST", async () => {
    const before = await state();
    for (const text of ["x".repeat(MAX_TEXT_PART_BYTES + 1), "é".repeat(MAX_TEXT_PART_BYTES / 2 + 1), "🙂".repeat(MAX_TEXT_PART_BYTES / 4 + 1)]) {
      const graphql = await viaGraphql([{ text: { text: "ok" } }, { text: { text } }]);
      expect(graphql.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field: "message.content[1].text" });
      const restRes = await rest(server.url, "POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "text", text }] } });
      expect(restRes.status).toBe(422);
      expect(restRes.body.error).toMatch(/at most 65536 bytes/);
    }
    expect(await state()).toEqual(before);
  });

  it("a message over the bound as a whole (parts, metadata, hints) is refused on `message.content` or `message`", async () => {
    const before = await state();
    const fullPart = { text: { text: "x".repeat(MAX_TEXT_PART_BYTES) } };
    const three = await viaGraphql([fullPart, fullPart, fullPart]);
    expect(three.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "message.content" });
    const withMetadata = await viaGraphql([fullPart], { metadata: { note: "m".repeat(MAX_MESSAGE_BYTES - MAX_TEXT_PART_BYTES) } });
    expect(withMetadata.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "message" });
    const withHints = await rest(server.url, "POST", `/v1/sessions/${sessionId}/messages`, {
      message: { content: [{ type: "text", text: "x".repeat(MAX_TEXT_PART_BYTES) }] },
      controls: { hints: { h: "h".repeat(MAX_MESSAGE_BYTES - MAX_TEXT_PART_BYTES) } },
    });
    expect(withHints.status).toBe(422);
    expect(await state()).toEqual(before);
  });

  it("accepts a text part of exactly the bound and reads it back whole", async () => {
    const text = "y".repeat(MAX_TEXT_PART_BYTES);
    const res = await viaGraphql([{ text: { text } }]);
    expect(res.errors).toBeUndefined();
    const read = await gqlData(server.url, `query($id: ID!) { node(id: $id) { ... on Message { content { ... on TextPart { text } } } } }`, { id: res.data.createMessage.id });
    expect(read.node.content[0].text).toBe(text);
    await settled(server.url, sessionId);
  });

  it("REST's message list answers at most 500 messages unless `limit` asks for more", async () => {
    const other = await createSession(server.url);
    // Each user message gets an answer: 251 of them make a log of over 500 messages.
    for (let batch = 0; batch < 251; batch += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, 251 - batch) }, (_, i) =>
          rest(server.url, "POST", `/v1/sessions/${other}/messages`, { message: { content: [{ type: "text", text: `m${batch + i}` }] } }),
        ),
      );
    }
    await settled(server.url, other, 500);
    const all = await rest(server.url, "GET", `/v1/sessions/${other}/messages`);
    expect(all.body.total).toBeGreaterThan(500);
    expect(all.body.data).toHaveLength(500);
    expect((await rest(server.url, "GET", `/v1/sessions/${other}/messages?limit=1000`)).body.data).toHaveLength(all.body.total);
  }, 120_000);
});
