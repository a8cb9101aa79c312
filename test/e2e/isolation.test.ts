// Tenancy and authentication with AUTH=api_key (SPEC §7), on both backends.
// Key A owns a session (with a finished turn) and two uploaded images. Key B,
// on every path, gets for A's ids exactly what it gets for well-formed ids
// that name nothing: same status, same code, same message with the id swapped.
// Missing, malformed, unknown and revoked keys are HTTP 401 in each API's
// error shape, and 4403 on graphql-ws. Image bytes follow the signed-URL rules.
import { randomBytes } from "node:crypto";
import type { Client, ClientOptions } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageSigner } from "../../src/http/image-signing.js";
import { backends, pgliteBackend } from "../support/backends.js";
import { gql, subscribeSse, subscribeWs, wsClient, type Collected, type GqlResponse } from "../support/clients.js";
import { createSession, sendText, settled } from "../support/fixtures.js";
import { PNG, rest, uploadGraphQL, uploadRest, withoutId, type RestResponse } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { readSse } from "../support/sse.js";

type Headers = Record<string, string>;

/** A well-formed id that names nothing, fresh for every comparison. */
const freshId = (prefix: string) => `${prefix}_0190${randomBytes(14).toString("hex")}`;

const EVENTS = `subscription($sessionId: ID!, $after: Int) { sessionEvents(sessionId: $sessionId, after: $after) { sequence type } }`;

/** The exact body of a GraphQL 401 (SPEC §7). */
const GRAPHQL_401 = { errors: [{ message: expect.any(String), extensions: { code: "UNAUTHENTICATED", status: 401 } }] };
/** The exact body of a REST 401. */
const REST_401 = { error: expect.any(String), status: 401 };

/** Waits for a graphql-ws client's socket to close; resolves with the close code. */
function closeCode(client: Client, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket not closed after ${timeoutMs} ms`)), timeoutMs);
    client.on("closed", (event) => {
      clearTimeout(timer);
      resolve((event as { code: number }).code);
    });
  });
}

/** What a subscription answered before it ended (errors or events), waiting at most `timeoutMs`. */
async function firstAnswer(sub: Collected<unknown>): Promise<unknown> {
  await sub.until((results) => results.length > 0, 10_000);
  sub.stop();
  return sub.results[0];
}

for (const backend of await backends()) {
  describe(`tenancy and keys (AUTH=api_key) on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let keyA: { id: string; key: string };
    let A: Headers;
    let B: Headers;
    /** What key A owns. */
    const owned = { session: "", message: "", event: "", imageGql: "", imageRest: "", signedUrl: "" };
    const sockets: Client[] = [];

    beforeAll(async () => {
      // Deltas 20 ms apart, so a long reply keeps a turn running for a while.
      server = await startServer(backend, { AUTH: "api_key", DEMO_DELAY_MS: "20", AUTH_RECHECK_MS: "200" });
      url = server.url;
      keyA = await server.app.store.apiKeys.create("tenant A");
      A = { authorization: `Bearer ${keyA.key}` };
      B = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant B")).key}` };

      owned.session = await createSession(url, { title: "A's session" }, A);
      owned.message = (await sendText(url, owned.session, "hello from A", {}, A)).id;
      await settled(url, owned.session, 300, A);
      const events = await gql(url, `query($id: ID!) { session(id: $id) { events { id type } } }`, { id: owned.session }, A);
      owned.event = events.data.session.events.find((e: { type: string }) => e.type === "turn.completed").id;
      const viaGraphQL = await uploadGraphQL(url, PNG, A);
      expect(viaGraphQL.errors).toBeUndefined();
      owned.imageGql = viaGraphQL.data.uploadImage.id;
      owned.signedUrl = viaGraphQL.data.uploadImage.url;
      const viaRest = await uploadRest(url, PNG, A);
      expect(viaRest.status).toBe(201);
      owned.imageRest = viaRest.body.id;
      // B owns something too, so an empty list would prove nothing.
      await createSession(url, { title: "B's session" }, B);
    });
    afterAll(async () => {
      await Promise.all(sockets.map((s) => s.dispose()));
      await server?.close();
      await backend.cleanup();
    });

    const ws = (params?: Record<string, unknown>, options?: Partial<ClientOptions>) => {
      const client = wsClient(url, params, options);
      sockets.push(client);
      return client;
    };

    /** B's GraphQL answer for A's id equals B's answer for a fresh unknown id (ids swapped for a placeholder). */
    async function graphqlSameAsUnknown(query: string, vars: (id: string) => Record<string, unknown>, ownedId: string, expectErrorCode?: string) {
      const unknownId = freshId(ownedId.slice(0, ownedId.indexOf("_")));
      const forOwned = await gql(url, query, vars(ownedId), B);
      const forUnknown = await gql(url, query, vars(unknownId), B);
      const shape = (res: GqlResponse, id: string) => withoutId({ status: res.status, data: res.data, errors: res.errors }, id);
      expect(shape(forOwned, ownedId), query).toEqual(shape(forUnknown, unknownId));
      if (expectErrorCode) expect(forOwned.errors?.[0]?.extensions, query).toMatchObject({ code: expectErrorCode, status: 404 });
      return forOwned;
    }

    /** Same for a REST call. */
    async function restSameAsUnknown(method: string, path: (id: string) => string, ownedId: string, body?: unknown) {
      const unknownId = freshId(ownedId.slice(0, ownedId.indexOf("_")));
      const shape = (res: RestResponse, id: string) => withoutId({ status: res.status, body: res.body }, id);
      const forOwned = await rest(url, method, path(ownedId), body, B);
      const forUnknown = await rest(url, method, path(unknownId), body, B);
      expect(shape(forOwned, ownedId), `${method} ${path(ownedId)}`).toEqual(shape(forUnknown, unknownId));
      expect(forOwned.status, `${method} ${path(ownedId)}`).toBe(404);
      expect(forOwned.body).toEqual({ error: expect.any(String), status: 404 });
      return forOwned;
    }

    describe("key B sees A's ids exactly as unknown ids", () => {
      it("node(id) is null for A's session, message, event and images", async () => {
        for (const id of [owned.session, owned.message, owned.event, owned.imageGql, owned.imageRest]) {
          const res = await graphqlSameAsUnknown(`query($id: ID!) { node(id: $id) { id } }`, (id) => ({ id }), id);
          expect(res.data).toEqual({ node: null });
        }
      });

      it("session(id) and message(id) are null", async () => {
        const session = await graphqlSameAsUnknown(`query($id: ID!) { session(id: $id) { id title } }`, (id) => ({ id }), owned.session);
        expect(session.data).toEqual({ session: null });
        // The history page's shape: answered by one statement with the owner check inside it.
        const page = await graphqlSameAsUnknown(`query($id: ID!) { session(id: $id) { id messages(last: 5) { nodes { id content { __typename } } } } }`, (id) => ({ id }), owned.session);
        expect(page.data).toEqual({ session: null });
        expect(page.errors).toBeUndefined();
        const message = await graphqlSameAsUnknown(`query($id: ID!) { message(id: $id) { id } }`, (id) => ({ id }), owned.message);
        expect(message.data).toEqual({ message: null });
      });

      it("sessions lists only B's own session, and totalCount leaves A's out", async () => {
        const res = await gql(url, `{ sessions { totalCount nodes { id title } } }`, undefined, B);
        expect(res.data.sessions).toEqual({ totalCount: 1, nodes: [{ id: expect.any(String), title: "B's session" }] });
        const restList = await rest(url, "GET", "/v1/sessions", undefined, B);
        expect(restList.body.total).toBe(1);
        expect(restList.body.data.map((s: { id: string }) => s.id)).not.toContain(owned.session);
      });

      it("Image.url is unreachable: the image node is null, and an image_file part naming it is NOT_FOUND", async () => {
        for (const id of [owned.imageGql, owned.imageRest]) {
          const res = await graphqlSameAsUnknown(`query($id: ID!) { node(id: $id) { ... on Image { url } } }`, (id) => ({ id }), id);
          expect(res.data).toEqual({ node: null });
        }
        const mine = await createSession(url, {}, B);
        await graphqlSameAsUnknown(
          `mutation($s: ID!, $img: ID!) { createMessage(input: { sessionId: $s, message: { content: [{ imageFile: { imageId: $img } }] } }) { id } }`,
          (img) => ({ s: mine, img }),
          owned.imageGql,
          "NOT_FOUND",
        );
        // REST, with the id inside the body.
        const body = (img: string) => ({ message: { content: [{ type: "image_file", image_id: img }] } });
        const unknownImg = freshId("img");
        const forOwned = await rest(url, "POST", `/v1/sessions/${mine}/messages`, body(owned.imageRest), B);
        const forUnknown = await rest(url, "POST", `/v1/sessions/${mine}/messages`, body(unknownImg), B);
        expect(withoutId(forOwned.body, owned.imageRest)).toEqual(withoutId(forUnknown.body, unknownImg));
        expect(forOwned.status).toBe(404);
        expect((await rest(url, "GET", `/v1/sessions/${mine}/messages`, undefined, B)).body.total).toBe(0);
      });

      it("the image's metadata and bytes answer 404 to B's key", async () => {
        for (const id of [owned.imageGql, owned.imageRest]) {
          await restSameAsUnknown("GET", (id) => `/v1/images/${id}`, id);
          await restSameAsUnknown("GET", (id) => `/v1/images/${id}/content`, id);
        }
      });

      it("updateSession, deleteSession, createMessage and cancelTurn are NOT_FOUND", async () => {
        const mutations = [
          `mutation($id: ID!) { updateSession(input: { id: $id, title: "B was here" }) { id } }`,
          `mutation($id: ID!) { deleteSession(id: $id) }`,
          `mutation($id: ID!) { createMessage(input: { sessionId: $id, message: { content: [{ text: { text: "from B" } }] } }) { id } }`,
          `mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`,
        ];
        for (const mutation of mutations) await graphqlSameAsUnknown(mutation, (id) => ({ id }), owned.session, "NOT_FOUND");
      });

      it("REST session, messages (GET and POST), cancel, PATCH and DELETE answer 404", async () => {
        const say = { message: { content: [{ type: "text", text: "from B" }] } };
        await restSameAsUnknown("GET", (id) => `/v1/sessions/${id}`, owned.session);
        await restSameAsUnknown("GET", (id) => `/v1/sessions/${id}/messages`, owned.session);
        await restSameAsUnknown("POST", (id) => `/v1/sessions/${id}/messages`, owned.session, say);
        await restSameAsUnknown("POST", (id) => `/v1/sessions/${id}/cancel`, owned.session);
        await restSameAsUnknown("PATCH", (id) => `/v1/sessions/${id}`, owned.session, { title: "B was here" });
        await restSameAsUnknown("DELETE", (id) => `/v1/sessions/${id}`, owned.session);
      });

      it("REST SSE on A's session answers 404", async () => {
        await restSameAsUnknown("GET", (id) => `/v1/sessions/${id}/sse?after_sequence=0`, owned.session);
      });

      it("sessionEvents over graphql-ws answers like an unknown session", async () => {
        const client = ws(B);
        const forOwned = await firstAnswer(subscribeWs(client, EVENTS, { sessionId: owned.session, after: 0 }));
        const unknownId = freshId("session");
        const forUnknown = await firstAnswer(subscribeWs(client, EVENTS, { sessionId: unknownId, after: 0 }));
        expect(withoutId(forOwned, owned.session)).toEqual(withoutId(forUnknown, unknownId));
        expect(forOwned).toMatchObject({ errors: [{ extensions: { code: "NOT_FOUND", status: 404 } }] });
      });

      it("sessionEvents over GraphQL SSE answers like an unknown session", async () => {
        const forOwned = await firstAnswer(subscribeSse(url, EVENTS, { sessionId: owned.session, after: 0 }, B));
        const unknownId = freshId("session");
        const forUnknown = await firstAnswer(subscribeSse(url, EVENTS, { sessionId: unknownId, after: 0 }, B));
        expect(withoutId(forOwned, owned.session)).toEqual(withoutId(forUnknown, unknownId));
        expect(forOwned).toMatchObject({ errors: [{ extensions: { code: "NOT_FOUND", status: 404 } }] });
      });

      it("B cannot cancel A's running turn: NOT_FOUND, and A's turn completes", async () => {
        const sessionId = await createSession(url, {}, A);
        // About 70 deltas 20 ms apart: B's attempts land while the turn streams.
        const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
        await sendText(url, sessionId, words, {}, A);
        await graphqlSameAsUnknown(`mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`, (id) => ({ id }), sessionId, "NOT_FOUND");
        await restSameAsUnknown("POST", (id) => `/v1/sessions/${id}/cancel`, sessionId);
        await settled(url, sessionId, 300, A);
        const events = await gql(url, `query($id: ID!) { session(id: $id) { events(types: ["turn.*"]) { type } } }`, { id: sessionId }, A);
        expect(events.data.session.events.map((e: { type: string }) => e.type)).toEqual(["turn.started", "turn.completed"]);
      });

      it("nothing B tried changed A's session", async () => {
        const res = await gql(url, `query($id: ID!) { session(id: $id) { title messages { totalCount } } }`, { id: owned.session }, A);
        expect(res.data.session).toEqual({ title: "A's session", messages: { totalCount: 2 } });
      });
    });

    describe("key A reads its own things on every path", () => {
      it("GraphQL: node, session, sessions, message and Image.url", async () => {
        const res = await gql(
          url,
          `query($s: ID!, $m: ID!, $i: ID!) {
            node(id: $s) { id } session(id: $s) { id } message(id: $m) { id }
            sessions { totalCount nodes { id } }
            image: node(id: $i) { ... on Image { url } } }`,
          { s: owned.session, m: owned.message, i: owned.imageRest },
          A,
        );
        expect(res.errors).toBeUndefined();
        expect(res.data).toMatchObject({ node: { id: owned.session }, session: { id: owned.session }, message: { id: owned.message } });
        const listed = res.data.sessions.nodes.map((n: { id: string }) => n.id);
        expect(listed).toContain(owned.session);
        expect(res.data.sessions.totalCount).toBe(listed.length);
        expect(res.data.image.url).toMatch(new RegExp(`/v1/images/${owned.imageRest}/content\\?expires=\\d+&signature=[0-9a-f]{64}$`));
      });

      it("REST: session, messages, cancel, SSE and image metadata", async () => {
        expect((await rest(url, "GET", `/v1/sessions/${owned.session}`, undefined, A)).body.title).toBe("A's session");
        expect((await rest(url, "GET", `/v1/sessions/${owned.session}/messages`, undefined, A)).body.total).toBe(2);
        expect((await rest(url, "POST", `/v1/sessions/${owned.session}/cancel`, undefined, A)).body).toEqual({ status: "no_op" });
        expect((await rest(url, "GET", `/v1/images/${owned.imageGql}`, undefined, A)).status).toBe(200);
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 10_000);
        const frames = [];
        for await (const frame of readSse(`${url}/v1/sessions/${owned.session}/sse?after_sequence=0`, { signal: controller.signal, headers: A })) {
          frames.push(frame);
          if (frame.event === "session.started") break;
        }
        clearTimeout(timer);
        controller.abort();
        expect(frames.map((f) => f.event)).toEqual(["session.started"]);
      });

      it("sessionEvents replays A's log over graphql-ws and GraphQL SSE", async () => {
        for (const sub of [subscribeWs(ws(A), EVENTS, { sessionId: owned.session, after: 0 }), subscribeSse(url, EVENTS, { sessionId: owned.session, after: 0 }, A)]) {
          const results = await sub.until((r) => r.some((x: any) => x.data?.sessionEvents.type === "session.idled"));
          sub.stop();
          expect((results[0] as any).data.sessionEvents).toEqual({ sequence: 1, type: "session.started" });
        }
      });
    });

    describe("image bytes", () => {
      const content = (id: string) => `${url}/v1/images/${id}/content`;
      /** The 404 an unknown image gets, with its id swapped for the placeholder. */
      const unknown404 = async () => {
        const id = freshId("img");
        const res = await fetch(content(id), { headers: A });
        return { status: res.status, body: withoutId(await res.json(), id) };
      };

      it("unsigned with the owner's key: 200 and the bytes", async () => {
        const res = await fetch(content(owned.imageGql), { headers: A });
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
      });

      it("unsigned with another key: 404, as for an unknown image", async () => {
        const res = await fetch(content(owned.imageGql), { headers: B });
        expect({ status: res.status, body: withoutId(await res.json(), owned.imageGql) }).toEqual(await unknown404());
      });

      it("unsigned with no key: 401", async () => {
        const res = await fetch(content(owned.imageGql));
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual(REST_401);
      });

      it("the signed URL from Image.url loads with no header at all (an <img src>), for IMAGE_URL_TTL_S", async () => {
        expect(owned.signedUrl).toMatch(/\?expires=\d+&signature=[0-9a-f]{64}$/);
        const expires = Number(new URL(owned.signedUrl).searchParams.get("expires"));
        const ttl = server.app.config.IMAGE_URL_TTL_S;
        expect(expires).toBeGreaterThan(Date.now() / 1000 + ttl - 300); // signed during this file's run
        expect(expires).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + ttl);
        const res = await fetch(owned.signedUrl);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("image/png");
        expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
      });

      it("a tampered signature is 404, as for an unknown image", async () => {
        const signed = new URL(owned.signedUrl);
        const signature = signed.searchParams.get("signature")!;
        signed.searchParams.set("signature", `${signature[0] === "0" ? "1" : "0"}${signature.slice(1)}`);
        for (const headers of [{}, A]) {
          const res = await fetch(signed, { headers });
          expect({ status: res.status, body: withoutId(await res.json(), owned.imageGql) }).toEqual(await unknown404());
        }
        // Another image's signature does not open this one either.
        const other = new URL(owned.signedUrl.replace(owned.imageGql, owned.imageRest));
        expect((await fetch(other)).status).toBe(404);
      });

      it("an expired signature (made with the server's own secret) is 404", async () => {
        const signer = new ImageSigner(await server.app.store.system.serverSecret("image-url"), server.app.config.IMAGE_URL_TTL_S);
        // Sanity: the same signer makes a URL the server accepts, so only the expiry differs.
        expect((await fetch(`${content(owned.imageGql)}?${signer.sign(owned.imageGql)}`)).status).toBe(200);
        const expired = `${content(owned.imageGql)}?${signer.sign(owned.imageGql, Date.now() - 2 * 3600_000 - server.app.config.IMAGE_URL_TTL_S * 1000)}`;
        const res = await fetch(expired);
        expect({ status: res.status, body: withoutId(await res.json(), owned.imageGql) }).toEqual(await unknown404());
      });
    });

    describe("missing, malformed, unknown and revoked keys", () => {
      const BAD: [string, Headers][] = [
        ["no key", {}],
        ["an empty header", { authorization: "" }],
        ["a Basic header", { authorization: "Basic dXNlcjpwYXNz" }],
        ["Bearer without a key", { authorization: "Bearer" }],
        ["an unknown key", { authorization: `Bearer prl_${randomBytes(32).toString("base64url")}` }],
        ["a key of another format", { authorization: "Bearer sk-not-ours" }],
      ];

      it("GraphQL answers HTTP 401 with exactly one UNAUTHENTICATED error (POST, GET and SSE)", async () => {
        for (const [what, headers] of BAD) {
          const post = await fetch(`${url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json", ...headers },
            body: JSON.stringify({ query: "{ models { id } }" }),
          });
          expect(post.status, what).toBe(401);
          expect(await post.json(), what).toEqual(GRAPHQL_401);

          const get = await fetch(`${url}/graphql?query=${encodeURIComponent("{ models { id } }")}`, {
            headers: { accept: "application/json", "x-graphql-yoga-csrf": "1", ...headers },
          });
          expect(get.status, what).toBe(401);
          expect(await get.json(), what).toEqual(GRAPHQL_401);

          const sse = await fetch(`${url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
            body: JSON.stringify({ query: EVENTS, variables: { sessionId: owned.session, after: 0 } }),
            signal: AbortSignal.timeout(10_000),
          });
          // An SSE client gets the status, and the same body as the stream's one `next` event.
          expect(sse.status, what).toBe(401);
          expect(sse.headers.get("content-type")).toContain("text/event-stream");
          const next = /event: next\ndata: (.*)\n/.exec(await sse.text());
          expect(JSON.parse(next?.[1] ?? "null"), what).toEqual(GRAPHQL_401);
        }
      });

      it("REST and REST SSE answer HTTP 401 with exactly {error, status}", async () => {
        const stored = async () => ({ sessions: await server.app.db.prisma.session.count(), images: await server.app.db.prisma.image.count() });
        const before = await stored();
        for (const [what, headers] of BAD) {
          for (const [method, path] of [
            ["GET", "/v1/sessions"],
            ["POST", "/v1/sessions"],
            ["GET", `/v1/sessions/${owned.session}`],
            ["GET", `/v1/sessions/${owned.session}/sse?after_sequence=0`],
          ] as const) {
            const res = await rest(url, method, path, method === "POST" ? {} : undefined, headers);
            expect({ what, path, status: res.status }).toEqual({ what, path, status: 401 });
            expect(res.body).toEqual(REST_401);
          }
          const upload = await uploadRest(url, PNG, headers);
          expect(upload.status, what).toBe(401);
          expect(upload.body).toEqual(REST_401);
        }
        // The refused POSTs stored nothing.
        expect(await stored()).toEqual(before);
      });

      it("graphql-ws closes the socket with 4403 for a missing, malformed or unknown key", async () => {
        const params: (Record<string, unknown> | undefined)[] = [
          undefined,
          {},
          { authorization: "Basic dXNlcjpwYXNz" },
          { authorization: `Bearer prl_${randomBytes(32).toString("base64url")}` },
          { authorization: 42 },
        ];
        for (const connectionParams of params) {
          const client = ws(connectionParams);
          const closed = closeCode(client);
          const sub = subscribeWs(client, EVENTS, { sessionId: owned.session, after: 0 });
          expect(await closed, JSON.stringify(connectionParams)).toBe(4403);
          await sub.completed.catch(() => {});
          expect(sub.results).toEqual([]); // not one event got through
        }
      });

      it("a revoked key fails on the very next request, on every transport", async () => {
        const created = await server.app.store.apiKeys.create("short-lived");
        const C = { authorization: `Bearer ${created.key}` };
        const sessionId = await createSession(url, { title: "C's" }, C);
        expect((await rest(url, "GET", `/v1/sessions/${sessionId}`, undefined, C)).status).toBe(200);
        // A socket opened before the revocation. It must stay open until the
        // server closes it: a lazy client would close it itself (1000) once
        // its last operation ends, which can come first on a busy machine.
        const early = ws(C, { lazyCloseTimeout: 60_000 });
        const earlyClosed = closeCode(early);
        const live = subscribeWs(early, EVENTS, { sessionId, after: 0 });
        await live.until((r) => r.length >= 1);
        // And a REST SSE stream opened before it.
        const sseAbort = new AbortController();
        let sseOpen!: () => void;
        const sseOpened = new Promise<void>((resolve) => (sseOpen = resolve));
        const sseEnded = (async () => {
          for await (const _frame of readSse(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, { signal: sseAbort.signal, headers: C })) {
            sseOpen(); // drain until the server ends the stream
          }
          return "ended";
        })();
        await sseOpened;
        // And a GraphQL SSE subscription.
        const graphqlSse = subscribeSse(url, EVENTS, { sessionId, after: 0 }, C);
        await graphqlSse.until((r) => r.length >= 1);

        expect((await server.app.store.apiKeys.revoke(created.id))?.revokedAt).toBeInstanceOf(Date);

        const graphql = await gql(url, `query($id: ID!) { session(id: $id) { id } }`, { id: sessionId }, C);
        expect({ status: graphql.status, errors: graphql.errors }).toEqual({ status: 401, errors: GRAPHQL_401.errors });
        const restRes = await rest(url, "GET", `/v1/sessions/${sessionId}`, undefined, C);
        expect({ status: restRes.status, body: restRes.body }).toEqual({ status: 401, body: REST_401 });
        const sse = await rest(url, "GET", `/v1/sessions/${sessionId}/sse?after_sequence=0`, undefined, C);
        expect({ status: sse.status, body: sse.body }).toEqual({ status: 401, body: REST_401 });

        const fresh = ws(C);
        const closed = closeCode(fresh);
        subscribeWs(fresh, EVENTS, { sessionId, after: 0 });
        expect(await closed).toBe(4403);

        // A new operation on the socket opened before revocation is refused too
        // (UNAUTHENTICATED, or the socket is already closed by the re-check)...
        const late = subscribeWs(early, EVENTS, { sessionId, after: 0 });
        await expect(late.completed).rejects.toThrow();
        expect(late.results).toEqual([]);
        // ...and the streams opened before it (graphql-ws, REST SSE, GraphQL SSE) end within AUTH_RECHECK_MS.
        expect(await earlyClosed).toBe(4403);
        const timeout = setTimeout(() => sseAbort.abort(), 10_000);
        expect(await sseEnded).toBe("ended");
        expect(sseAbort.signal.aborted).toBe(false);
        clearTimeout(timeout);
        await graphqlSse.completed; // the server completed it; a hung stream would time the test out
        live.stop();
      });

      it("a page on another origin may use its key (CORS is granted, and graphql-ws accepts its socket)", async () => {
        const preflight = await fetch(`${url}/graphql`, {
          method: "OPTIONS",
          headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
        });
        expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
        const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { origin: "https://app.example" });
        await new Promise((resolve, reject) => {
          socket.once("open", resolve);
          socket.once("error", reject);
        });
        socket.send(JSON.stringify({ type: "connection_init", payload: A }));
        const ack = await new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data))));
        expect(JSON.parse(ack)).toEqual({ type: "connection_ack" });
        socket.close();
      });

      it("/health, /ready and /metrics need no key", async () => {
        for (const path of ["/health", "/ready", "/metrics"]) {
          expect((await fetch(`${url}${path}`)).status, path).toBe(200);
        }
      });
    });
  });
}

describe("IMAGE_URL_SECRET", () => {
  const backend = pgliteBackend();
  const secret = randomBytes(24).toString("hex");
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key", IMAGE_URL_SECRET: secret, IMAGE_URL_TTL_S: "60" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("signs image URLs with the configured secret (so rotating it invalidates old URLs), for IMAGE_URL_TTL_S", async () => {
    const A = { authorization: `Bearer ${(await server.app.store.apiKeys.create("a")).key}` };
    const { id, url } = (await uploadGraphQL(server.url, PNG, A)).data.uploadImage;
    const expires = Number(new URL(url).searchParams.get("expires"));
    expect(expires).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
    expect((await fetch(url)).status).toBe(200);

    const content = `${server.url}/v1/images/${id}/content`;
    const signed = new URL(url).searchParams;
    expect(new ImageSigner(secret, 60).verify(id, signed.get("expires"), signed.get("signature"))).toBe(true);
    const withStored = new ImageSigner(await server.app.store.system.serverSecret("image-url"), 60).sign(id);
    expect((await fetch(`${content}?${withStored}`)).status).toBe(404);
  });
});
