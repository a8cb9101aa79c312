// How GraphQL answers mistakes, on both backends: INVALID_ID for every id
// argument, NOT_FOUND, VALIDATION_FAILED with its field (storing nothing),
// @oneOf, idempotency keys, masked unexpected errors, request ids and CSRF.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, pgliteBackend } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession, sendText, settled, UNKNOWN } from "../support/fixtures.js";
import { captureLogs } from "../support/logs.js";
import { startServer, type TestServer } from "../support/server.js";

const BAD_IDS = ["nope", "session_123", "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b", "session_0190A1B2C3D47E8F9A0B1C2D3E4F5A6B"];

for (const backend of await backends()) {
  describe(`GraphQL errors on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    const { lines: logLines, logger } = captureLogs();

    beforeAll(async () => {
      server = await startServer(backend, {}, { logger });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    /** The first error of a response that must carry one, with HTTP 200 (domain errors never change the status). */
    const firstError = async (query: string, variables?: Record<string, unknown>) => {
      const res = await gql(url, query, variables);
      expect(res.status).toBe(200);
      expect(res.errors?.length, JSON.stringify(res)).toBeGreaterThan(0);
      return res.errors![0]!;
    };

    it("INVALID_ID (400) for a malformed id in every id argument", async () => {
      const sessionId = await createSession(url);
      const content = [{ text: { text: "hi" } }];
      const cases: [string, (bad: string) => Record<string, unknown>, string][] = [
        [`query($id: ID!) { session(id: $id) { id } }`, (bad) => ({ id: bad }), "id"],
        [`query($id: ID!) { message(id: $id) { id } }`, (bad) => ({ id: bad.replace("message_", "session_") }), "id"],
        [`query($id: ID!) { node(id: $id) { id } }`, () => ({ id: "turn_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b" }), "id"],
        [`mutation($id: ID!) { deleteSession(id: $id) }`, (bad) => ({ id: bad }), "id"],
        [`mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`, (bad) => ({ id: bad }), "sessionId"],
        [`mutation($input: UpdateSessionInput!) { updateSession(input: $input) { id } }`, (bad) => ({ input: { id: bad } }), "id"],
        [`mutation($input: UpdateSessionInput!) { updateSession(input: $input) { id } }`, (bad) => ({ input: { id: sessionId, modelId: bad } }), "modelId"],
        [`mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`, (bad) => ({ input: { modelId: bad } }), "modelId"],
        [`mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, (bad) => ({ input: { sessionId: bad, message: { content } } }), "sessionId"],
        [
          `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`,
          (bad) => ({ input: { sessionId, message: { content }, controls: { modelId: bad } } }),
          "controls.modelId",
        ],
        [
          `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`,
          (bad) => ({ input: { sessionId, message: { content: [{ imageFile: { imageId: bad } }] } } }),
          "message.content[0].imageId",
        ],
      ];
      for (const [query, variables, field] of cases) {
        for (const bad of BAD_IDS) {
          const error = await firstError(query, variables(bad));
          expect(error.extensions, `${query} with ${bad}`).toMatchObject({ code: "INVALID_ID", status: 400, field });
        }
      }
    });

    it("NOT_FOUND (404) for mutations on a session that does not exist, and for unknown ids inside inputs", async () => {
      const sessionId = await createSession(url);
      const content = [{ text: { text: "hi" } }];
      const cases: [string, Record<string, unknown>][] = [
        [`mutation($id: ID!) { deleteSession(id: $id) }`, { id: UNKNOWN.session }],
        [`mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`, { id: UNKNOWN.session }],
        [`mutation($input: UpdateSessionInput!) { updateSession(input: $input) { id } }`, { input: { id: UNKNOWN.session, title: "x" } }],
        [`mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, { input: { sessionId: UNKNOWN.session, message: { content } } }],
        [`mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, { input: { sessionId, message: { content }, controls: { modelId: UNKNOWN.model } } }],
        [`mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, { input: { sessionId, message: { content: [{ imageFile: { imageId: UNKNOWN.img } }] } } }],
        [`mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`, { input: { modelId: UNKNOWN.model } }],
      ];
      for (const [query, variables] of cases) {
        expect((await firstError(query, variables)).extensions, query).toMatchObject({ code: "NOT_FOUND", status: 404 });
      }
    });

    describe("VALIDATION_FAILED", () => {
      const create = `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`;
      const counts = async (sessionId: string) =>
        (await gqlData(url, `query($id: ID!) { session(id: $id) { lastSequence messages { totalCount } } }`, { id: sessionId })).session;

      it("names the offending field, answers 422 and stores nothing", async () => {
        const sessionId = await createSession(url);
        const text = [{ text: { text: "hi" } }];
        const cases: [Record<string, unknown>, string][] = [
          [{ message: { content: [] } }, "message.content"],
          [{ message: { content: [{ text: { text: "" } }] } }, "message.content[0].text"],
          [{ message: { content: [{ image: { url: "https://x/a.png", base64: "iVBORw0KGgo=", mediaType: "image/png" } }] } }, "message.content[0]"],
          [{ message: { content: [{ image: {} }] } }, "message.content[0]"],
          [{ message: { content: [{ image: { base64: "not base64!", mediaType: "image/png" } }] } }, "message.content[0].base64"],
          [{ message: { content: [{ image: { base64: "iVBORw0KGgo=", mediaType: "image/bmp" } }] } }, "message.content[0].mediaType"],
          [{ message: { content: [{ image: { url: "ftp://x/a.png" } }] } }, "message.content[0].url"],
          [{ message: { content: Array.from({ length: 101 }, () => text[0]) } }, "message.content"],
          [{ message: { role: "AGENT", content: text } }, "message.role"],
          [{ message: { content: text }, controls: { locale: "not a locale!" } }, "controls.locale"],
          [{ message: { content: text }, controls: { maxTokens: 0 } }, "controls.maxTokens"],
          [{ message: { content: text }, controls: { hints: [1, 2] } }, "controls.hints"],
          [{ message: { content: text }, controls: { reasoning: { effort: "extreme" } } }, "controls.reasoning.effort"],
          [{ message: { content: text }, metadata: "a string" }, "metadata"],
          [{ message: { content: text }, tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, "tags"],
          [{ message: { content: text }, tags: ["x".repeat(257)] }, "tags[0]"],
          [{ message: { content: text }, externalActor: { actorId: "" } }, "externalActor.actorId"],
        ];
        const before = await counts(sessionId);
        for (const [input, field] of cases) {
          const error = await firstError(create, { input: { sessionId, ...input } });
          expect(error.extensions, JSON.stringify(input).slice(0, 200)).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field });
        }
        expect(await counts(sessionId)).toEqual(before);
      });

      it("rejects bad session fields too", async () => {
        const sessionId = await createSession(url);
        const update = `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { id } }`;
        for (const [input, field] of [
          [{ locale: "??" }, "locale"],
          [{ hints: "x" }, "hints"],
          [{ metadata: [1] }, "metadata"],
          [{ tags: Array.from({ length: 65 }, () => "t") }, "tags"],
        ] as const) {
          expect((await firstError(update, { input: { id: sessionId, ...input } })).extensions).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field });
        }
        expect((await counts(sessionId)).lastSequence).toBe(1);
      });

      it("@oneOf: a content part with two members (or none) is rejected before anything runs", async () => {
        const ONE_OF = /(InputContentPart.*exactly one key|exactly one key.*InputContentPart)/i;
        const sessionId = await createSession(url);
        const both = await gql(url, `mutation($s: ID!) { createMessage(input: { sessionId: $s, message: { content: [{ text: { text: "a" }, image: { url: "https://x/a.png" } }] } }) { id } }`, { s: sessionId });
        expect(both.data ?? null).toBeNull();
        expect(both.errors?.[0]?.message).toMatch(ONE_OF);
        const viaVariables = await gql(url, create, { input: { sessionId, message: { content: [{ text: { text: "a" }, imageFile: { imageId: UNKNOWN.img } }] } } });
        expect(viaVariables.errors?.[0]?.message).toMatch(ONE_OF);
        const none = await gql(url, create, { input: { sessionId, message: { content: [{}] } } });
        expect(none.errors?.[0]?.message).toMatch(ONE_OF);
        expect(await counts(sessionId)).toEqual({ lastSequence: 1, messages: { totalCount: 0 } });
      });
    });

    it("idempotencyKey: the same body again returns the first message and stores nothing; another body is CONFLICT (409)", async () => {
      const sessionId = await createSession(url);
      const key = `key-${Math.random()}`;
      const first = await sendText(url, sessionId, "only once", { idempotencyKey: key, tags: ["a"] });
      await settled(url, sessionId);
      const users = async () =>
        (await gqlData(url, `query($id: ID!) { session(id: $id) { lastSequence messages(roles: [USER]) { totalCount } } }`, { id: sessionId })).session;
      const before = await users();

      const again = await sendText(url, sessionId, "only once", { idempotencyKey: key, tags: ["a"] });
      expect(again).toEqual(first);
      await settled(url, sessionId);
      expect(await users()).toEqual(before);

      const conflict = await firstError(create(sessionId, "another body", key));
      expect(conflict.extensions).toMatchObject({ code: "CONFLICT", status: 409 });
      expect(await users()).toEqual(before);
    });

    const create = (sessionId: string, text: string, idempotencyKey: string) =>
      `mutation { createMessage(input: { sessionId: "${sessionId}", idempotencyKey: "${idempotencyKey}", message: { content: [{ text: { text: "${text}" } }] } }) { id } }`;

    it("masks an unexpected error: no stack, no cause, a request id; the cause is logged with that id", async () => {
      const models = server.app.store.models;
      const original = models.list;
      models.list = async () => {
        throw new Error('relation "Model" does not exist: SELECT secret FROM pg_shadow');
      };
      try {
        const res = await gql(url, `{ models { id } }`, undefined, { "x-request-id": "req-masked-1" });
        expect(res.headers.get("x-request-id")).toBe("req-masked-1");
        expect(res.errors).toEqual([
          { message: "Unexpected error.", locations: [{ line: 1, column: 3 }], path: ["models"], extensions: { code: "INTERNAL_SERVER_ERROR", status: 500, requestId: "req-masked-1" } },
        ]);
        expect(JSON.stringify(res)).not.toMatch(/pg_shadow|SELECT|stack|at /);
        const logged = logLines.find((entry) => entry.requestId === "req-masked-1" && entry.err);
        expect(logged?.err?.message).toContain("pg_shadow");
        expect(logged?.level).toBe(50);
      } finally {
        models.list = original;
      }
    });

    it("echoes x-request-id, or makes one up", async () => {
      const given = await gql(url, `{ models { id } }`, undefined, { "x-request-id": "abc-123" });
      expect(given.headers.get("x-request-id")).toBe("abc-123");
      const made = await gql(url, `{ models { id } }`);
      expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const unsafe = await gql(url, `{ models { id } }`, undefined, { "x-request-id": "bad id\twith spaces" });
      expect(unsafe.headers.get("x-request-id")).not.toContain(" ");
    });

    describe("CSRF prevention", () => {
      const query = encodeURIComponent("{ models { id } }");

      it("refuses a GET query without the CSRF header, serves it with one", async () => {
        const plain = await fetch(`${url}/graphql?query=${query}`, { headers: { accept: "application/json" } });
        expect(plain.status).toBe(403);
        expect(((await plain.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/CSRF/);
        const withHeader = await fetch(`${url}/graphql?query=${query}`, { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } });
        expect(withHeader.status).toBe(200);
        expect(((await withHeader.json()) as { data: { models: unknown[] } }).data.models.length).toBeGreaterThan(0);
      });

      it("refuses a simple (form) POST without the header; JSON POSTs need none", async () => {
        const form = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: `query=${query}`,
        });
        expect(form.status).toBe(403);
        expect((await gql(url, `{ models { id } }`)).status).toBe(200);
      });

      it("still serves the GraphiQL page to a plain browser GET", async () => {
        const page = await fetch(`${url}/graphql`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
        expect(page.status).toBe(200);
        expect(page.headers.get("content-type")).toContain("text/html");
        const html = await page.text();
        expect(html).toContain("Parley");
        expect(html).toContain("createMessage");
      });
    });
  });
}

// Tenancy goes through the same loaders and services on every backend; one is enough here.
describe("GraphQL with AUTH=api_key (pglite)", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let url: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key" });
    url = server.url;
    alice = { authorization: `Bearer ${(await server.app.store.apiKeys.create("alice")).key}` };
    bob = { authorization: `Bearer ${(await server.app.store.apiKeys.create("bob")).key}` };
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("a missing or unknown key is HTTP 401 with UNAUTHENTICATED", async () => {
    for (const headers of [{}, { authorization: "Bearer prl_not-a-key" }] as Record<string, string>[]) {
      const res = await gql(url, `{ models { id } }`, undefined, headers);
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", status: 401 });
      expect(res.errors?.[0]?.extensions).not.toHaveProperty("http");
    }
  });

  it("another key's session, message and events read exactly like unknown ids", async () => {
    const as = (headers: Record<string, string>) => async (query: string, variables?: Record<string, unknown>) => gql(url, query, variables, headers);
    const asAlice = as(alice);
    const asBob = as(bob);
    const sessionId = (await asAlice(`mutation { createSession(input: { title: "alice's" }) { id } }`)).data.createSession.id;
    const messageId = (await asAlice(`mutation($s: ID!) { createMessage(input: { sessionId: $s, message: { content: [{ text: { text: "hi" } }] } }) { id } }`, { s: sessionId }))
      .data.createMessage.id;

    const read = await asBob(`query($s: ID!, $m: ID!) { session(id: $s) { id } node(id: $s) { id } message(id: $m) { id } msgNode: node(id: $m) { id } sessions { totalCount } }`, {
      s: sessionId,
      m: messageId,
    });
    expect(read.data).toEqual({ session: null, node: null, message: null, msgNode: null, sessions: { totalCount: 0 } });
    for (const mutation of [
      `mutation($s: ID!) { updateSession(input: { id: $s, title: "mine" }) { id } }`,
      `mutation($s: ID!) { deleteSession(id: $s) }`,
      `mutation($s: ID!) { cancelTurn(sessionId: $s) { id } }`,
      `mutation($s: ID!) { createMessage(input: { sessionId: $s, message: { content: [{ text: { text: "x" } }] } }) { id } }`,
    ]) {
      expect((await asBob(mutation, { s: sessionId })).errors?.[0]?.extensions, mutation).toMatchObject({ code: "NOT_FOUND", status: 404 });
    }
    expect((await asAlice(`query($s: ID!) { session(id: $s) { title } }`, { s: sessionId })).data).toEqual({ session: { title: "alice's" } });
  });
});
