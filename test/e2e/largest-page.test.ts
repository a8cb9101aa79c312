// The largest page the API allows, with every field (issue #17, resource
// bounds): a session whose messages are each as big as a message may be
// (MAX_MESSAGE_BYTES), read as 500 messages and 500 events in one document,
// by several clients at once. The limits must admit it (the API invites it),
// the answer must be whole, and the server's memory must stay a small multiple
// of what it sends: it builds each response once, not once per field or part.
// RSS before, peak and after are printed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../src/domain/validation.js";
import { PAGE_CAPS } from "../../src/service/paging.js";
import { backends } from "../support/backends.js";
import { eventually, gql, gqlData } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const PAGE = PAGE_CAPS.messages.max;
const READERS = 3;

const MESSAGE_FIELDS = `
  id sessionId sequence role phase delivery turnId createdAt tags metadata thinking thinkingSignature
  controls { modelId maxTokens locale reasoning { effort } errorDisclosure hints }
  externalActor { actorId actorName source metadata }
  content {
    __typename
    ... on TextPart { text }
    ... on ImagePart { url base64 mediaType }
    ... on ImageFilePart { imageId filename image { id url mediaType byteSize filename createdAt } }
    ... on ToolCallPart { id name arguments }
    ... on ToolResultPart { toolCallId isError content { __typename ... on TextPart { text } } }
  }`;

const LARGEST_PAGE = `query Largest($id: ID!, $last: Int!, $first: Int!) {
  session(id: $id) {
    id title metadata tags status lastSequence
    messages(last: $last) { totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor } nodes { ${MESSAGE_FIELDS} } }
    events(first: $first) {
      id sessionId sequence type ts data context { turnId inputMessageId }
      message { ${MESSAGE_FIELDS} }
      payload { __typename ... on InputMessagePayload { message { id sequence } } }
    }
  }
}`;

/** A user message as large as one may be: short text, the rest in metadata, tags and external actor metadata. */
function largestMessage(sessionId: string, n: number) {
  const blob = (bytes: number) => `${n}:`.padEnd(bytes, "x");
  return {
    sessionId,
    message: { content: [{ text: { text: `message ${n}` } }] },
    metadata: { note: blob(96 * 1024) },
    tags: Array.from({ length: 10 }, (_, i) => `tag-${i}-${n}`),
    externalActor: { actorId: `actor-${n}`, actorName: "Reader", source: "bench", metadata: { about: blob(16 * 1024) } },
    controls: { locale: "en-US", maxTokens: 100, hints: { note: blob(4 * 1024) } },
  };
}

describe.each(await backends())("the largest legal page with every field ($name)", (backend) => {
  let server: TestServer;
  let sessionId: string;

  beforeAll(async () => {
    server = await startServer(backend);
    sessionId = await createSession(server.url, { title: "largest page" });
    // Each user message gets a short demo reply, so PAGE/2 of them fill a page of PAGE.
    // Posted one after another; they queue (one turn after another) and the wait below sees them all answered.
    for (let n = 0; n < PAGE / 2; n++) {
      await gqlData(server.url, `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, { input: largestMessage(sessionId, n) });
    }
    await eventually(
      async () => {
        const { session } = await gqlData(server.url, `query($id: ID!) { session(id: $id) { status messages { totalCount } } }`, { id: sessionId });
        return session.status === "IDLE" && session.messages.totalCount >= PAGE ? true : null;
      },
      480_000,
      "every queued turn to answer",
      500,
    );
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it(`${READERS} clients reading ${PAGE} messages + ${PAGE} events at once get whole answers in bounded memory`, async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const answers = await Promise.all(
      Array.from({ length: READERS }, async () => {
        const res = await fetch(`${server.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: LARGEST_PAGE, variables: { id: sessionId, last: PAGE, first: PAGE_CAPS.events.max } }),
        });
        const text = await res.text();
        return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
      }),
    );
    clearInterval(sampler);
    const after = process.memoryUsage().rss;
    const responseBytes = answers[0]!.bytes;
    console.log(
      `[${backend.name}] largest page: ${mb(responseBytes)} per response × ${READERS} readers; RSS before ${mb(before)}, peak ${mb(peak)}, after ${mb(after)}`,
    );

    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      const session = answer.body.data.session;
      expect(session.messages.nodes).toHaveLength(PAGE);
      expect(session.events).toHaveLength(PAGE_CAPS.events.max);
      expect(answer.bytes).toBe(responseBytes);
    }
    // Every user message came back whole (its metadata blob is most of its size).
    const users = answers[0]!.body.data.session.messages.nodes.filter((m: { role: string }) => m.role === "USER");
    expect(users.length).toBeGreaterThan(PAGE / 2 - 5);
    for (const m of users) expect(Buffer.byteLength(JSON.stringify(m.metadata))).toBeGreaterThan(96 * 1024);
    expect(responseBytes).toBeGreaterThan(PAGE * MAX_MESSAGE_BYTES * 0.5);
    // Bounded: the readers' answers are built once each — the peak stays within a
    // small multiple of the bytes sent (strings, their JSON, the socket buffer),
    // and the server still answers a small request afterwards.
    expect(peak - before).toBeLessThan(READERS * responseBytes * 8);
    const small = await gql(server.url, `{ sessions { totalCount } }`);
    expect(small.status).toBe(200);
    expect(small.data.sessions.totalCount).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
