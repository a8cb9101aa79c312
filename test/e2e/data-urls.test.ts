// An image part's `data:` URL follows SPEC §3's image rules (issue #17): one
// of the four media types, base64 data, never SVG/HTML/text or an empty
// payload — over GraphQL and REST, with the field named and nothing stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { PNG, rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

const PNG_URL = `data:image/png;base64,${PNG.toString("base64")}`;
const REFUSED = [
  "data:text/html,<script>alert(1)</script>",
  "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
  `data:image/svg+xml;base64,${Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>").toString("base64")}`,
  "data:image/png;base64,!!!",
  "data:image/png;base64,",
  "data:image/png,rawbytes",
  "data:,",
  "data:;base64,iVBORw0KGgo=",
  "data:IMAGE/PNG;base64,iVBORw0KGgo=",
];

describe("data: image URLs", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let sessionId: string;
  const state = async () => (await gqlData(server.url, `query($id: ID!) { session(id: $id) { lastSequence messages { totalCount } } }`, { id: sessionId })).session;

  beforeAll(async () => {
    server = await startServer(backend);
    sessionId = await createSession(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("refuses a non-image, SVG, empty or non-base64 data URL on GraphQL and REST, naming the field and storing nothing", async () => {
    const before = await state();
    for (const url of REFUSED) {
      const graphql = await gql(server.url, `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, {
        input: { sessionId, message: { content: [{ text: { text: "look" } }, { image: { url } }] } },
      });
      expect(graphql.errors?.[0]?.extensions, url).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field: "message.content[1].url" });
      const restRes = await rest(server.url, "POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "image", url }] } });
      expect(restRes.status, url).toBe(422);
    }
    const mismatch = await gql(server.url, `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, {
      input: { sessionId, message: { content: [{ image: { url: PNG_URL, mediaType: "image/jpeg" } }] } },
    });
    expect(mismatch.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "message.content[0].url" });
    expect(await state()).toEqual(before);
  });

  it("accepts a base64 PNG data URL and reads it back unchanged", async () => {
    const created = await rest(server.url, "POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "image", url: PNG_URL }] } });
    expect(created.status).toBe(201);
    expect(created.body.content).toEqual([{ type: "image", url: PNG_URL }]);
    const read = await gqlData(server.url, `query($id: ID!) { session(id: $id) { messages(last: 1, roles: [USER]) { nodes { content { ... on ImagePart { url } } } } } }`, { id: sessionId });
    expect(read.session.messages.nodes[0].content).toEqual([{ url: PNG_URL }]);
  });
});
