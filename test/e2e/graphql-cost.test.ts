// The default document limits admit every page the API allows: README's
// queries at the largest page size (500) pass over HTTP and graphql-ws, while
// a list of full pages inside a full page is refused — and every refusal is
// VALIDATION_FAILED naming the setting that refused it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gql, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText, settled } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

const CONTENT = `content {
  __typename
  ... on TextPart { text }
  ... on ToolCallPart { id name arguments }
  ... on ToolResultPart { toolCallId isError content { ... on TextPart { text } } }
  ... on ImageFilePart { filename image { url } }
}`;

/** README's queries, at the largest page size the API allows. */
const LARGEST_PAGES = {
  readMessages: `query ReadMessages($sessionId: ID!) {
    session(id: $sessionId) { status messages(last: 500) { totalCount pageInfo { hasPreviousPage startCursor } nodes { role phase ${CONTENT} } } } }`,
  events: `query Events($sessionId: ID!) {
    session(id: $sessionId) { events(first: 500) { id sequence type ts data context { turnId inputMessageId }
      message { id role phase tags metadata createdAt controls { modelId errorDisclosure maxTokens } externalActor { actorId actorName } ${CONTENT} } } } }`,
  sessions: `query Sessions { sessions(first: 500) { totalCount edges { cursor node { id title status tags locale createdAt updatedAt lastSequence } } pageInfo { hasNextPage endCursor } } }`,
};

const LIST_OF_FULL_PAGES = `{ sessions(first: 500) { nodes { id messages(first: 500) { nodes { role ${CONTENT} } } } } }`;

describe("document limits at their defaults", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let url: string;
  let sessionId: string;

  beforeAll(async () => {
    server = await startServer(backend);
    url = server.url;
    sessionId = await createSession(url);
    await sendText(url, sessionId, "what is 6*7?");
    await settled(url, sessionId);
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const [name, query] of Object.entries(LARGEST_PAGES)) {
    it(`README's ${name} query at page size 500 passes over HTTP and graphql-ws`, async () => {
      const res = await gql(url, query, { sessionId });
      expect(res.errors).toBeUndefined();
      expect(res.data).toBeTruthy();
      const client = wsClient(url);
      try {
        const sub = subscribeWs(client, query, { sessionId });
        await sub.completed;
        expect(sub.results).toHaveLength(1);
        expect(sub.results[0]!.errors).toBeUndefined();
      } finally {
        await client.dispose();
      }
    });
  }

  it("a list of full pages inside a full page is refused: VALIDATION_FAILED naming GRAPHQL_MAX_COST, over HTTP and graphql-ws", async () => {
    const res = await gql(url, LIST_OF_FULL_PAGES);
    expect(res.data ?? null).toBeNull();
    expect(res.errors).toEqual([
      { message: expect.stringMatching(/^Refused by GRAPHQL_MAX_COST: Query Cost limit of 200000 exceeded, found \d+\. .*raise GRAPHQL_MAX_COST\.$/), extensions: { code: "VALIDATION_FAILED", status: 422, limit: "GRAPHQL_MAX_COST" } },
    ]);
    const client = wsClient(url);
    try {
      const sub = subscribeWs(client, LIST_OF_FULL_PAGES);
      const error = await sub.completed.then(
        () => null,
        (e: Error) => e,
      );
      expect(JSON.parse(error!.message)).toEqual(res.errors);
    } finally {
      await client.dispose();
    }
  });

  it("depth, aliases and tokens refusals say which setting too", async () => {
    const deep = await gql(url, `{ session(id: "${sessionId}") { messages { nodes { session { messages { nodes { session { messages { nodes { session { messages { nodes { id } } } } } } } } } } } } }`);
    expect(deep.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Refused by GRAPHQL_MAX_DEPTH: /), extensions: { code: "VALIDATION_FAILED", limit: "GRAPHQL_MAX_DEPTH" } });
    const aliases = await gql(url, `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: models { id }`).join(" ")} }`);
    expect(aliases.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Refused by GRAPHQL_MAX_ALIASES: /), extensions: { code: "VALIDATION_FAILED", limit: "GRAPHQL_MAX_ALIASES" } });
    const tokens = await gql(url, `{ ${Array.from({ length: 5100 }, () => "__typename").join(" ")} }`);
    expect(tokens.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Refused by GRAPHQL_MAX_TOKENS: /), extensions: { code: "VALIDATION_FAILED", limit: "GRAPHQL_MAX_TOKENS" } });
  });
});
