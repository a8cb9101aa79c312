// Queries and mutations over HTTP on both backends: sessions (create, read,
// update, delete, pages in both directions with filters), messages (pages,
// roles, totalCount, field mapping), node(), models and message().
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession, DEMO_MODEL_ID, RFC3339, sendText, settled, UNKNOWN } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

const SESSION_FIELDS = `id title status locale modelId hints tags metadata createdAt updatedAt lastSequence`;
const PAGE_INFO = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

for (const backend of await backends()) {
  describe(`GraphQL queries on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;

    beforeAll(async () => {
      server = await startServer(backend);
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    describe("sessions", () => {
      it("createSession stores every field and appends session.started", async () => {
        const input = { title: "Support", locale: "en-us", modelId: DEMO_MODEL_ID, hints: { rich: true }, tags: ["a", "b"], metadata: { k: 1 } };
        const { createSession: s } = await gqlData(url, `mutation($input: CreateSessionInput) { createSession(input: $input) { ${SESSION_FIELDS} } }`, { input });
        expect(s).toMatchObject({ title: "Support", status: "STARTED", locale: "en-US", modelId: DEMO_MODEL_ID, hints: { rich: true }, tags: ["a", "b"], metadata: { k: 1 }, lastSequence: 1 });
        expect(s.id).toMatch(/^session_[0-9a-f]{32}$/);
        expect(s.createdAt).toMatch(RFC3339);
        expect(s.updatedAt).toMatch(RFC3339);

        const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { ${SESSION_FIELDS} events { sequence type data context { turnId inputMessageId } message { id } } } }`, { id: s.id });
        expect(session).toMatchObject({ ...s, updatedAt: session.updatedAt });
        expect(session.events).toEqual([
          { sequence: 1, type: "session.started", data: { model_id: DEMO_MODEL_ID }, context: { turnId: null, inputMessageId: null }, message: null },
        ]);
      });

      it("createSession without input gives an empty session", async () => {
        const { createSession: s } = await gqlData(url, `mutation { createSession { ${SESSION_FIELDS} } }`);
        expect(s).toMatchObject({ title: null, status: "STARTED", locale: null, modelId: null, hints: null, tags: [], metadata: null, lastSequence: 1 });
      });

      it("updateSession replaces the fields it is given and leaves the others", async () => {
        const id = await createSession(url, { title: "Old", tags: ["x"], hints: { a: 1, b: 2 }, metadata: { m: 1 }, locale: "fr-FR" });
        const update = `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { ${SESSION_FIELDS} } }`;
        const { updateSession: s } = await gqlData(url, update, { input: { id, title: "New", hints: { c: 3 }, tags: [] } });
        expect(s).toMatchObject({ id, title: "New", hints: { c: 3 }, tags: [], metadata: { m: 1 }, locale: "fr-FR", lastSequence: 2 });

        const { updateSession: cleared } = await gqlData(url, update, { input: { id, title: null, metadata: null } });
        expect(cleared).toMatchObject({ title: null, metadata: null, hints: { c: 3 }, locale: "fr-FR", lastSequence: 3 });

        const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { events(after: 1) { type } } }`, { id });
        expect(session.events.map((e: { type: string }) => e.type)).toEqual(["session.updated", "session.updated"]);
      });

      it("deleteSession removes it: its id then reads as null everywhere", async () => {
        const id = await createSession(url);
        const { id: messageId } = await sendText(url, id, "soon gone");
        await settled(url, id);
        expect(await gqlData(url, `mutation($id: ID!) { deleteSession(id: $id) }`, { id })).toEqual({ deleteSession: id });
        const after = await gqlData(url, `query($id: ID!, $m: ID!) { session(id: $id) { id } node(id: $id) { id } message(id: $m) { id } }`, { id, m: messageId });
        expect(after).toEqual({ session: null, node: null, message: null });
        const again = await gql(url, `mutation($id: ID!) { deleteSession(id: $id) }`, { id });
        expect(again.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", status: 404 });
      });

      it("pages newest first, forwards and backwards, with totalCount", async () => {
        const tag = `page-${Math.random().toString(16).slice(2)}`;
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await createSession(url, { title: `s${i}`, tags: [tag] }));
        const newestFirst = [...ids].reverse();
        const page = `query($tag: String, $first: Int, $after: String, $last: Int, $before: String) {
          sessions(tag: $tag, first: $first, after: $after, last: $last, before: $before) { totalCount nodes { id } edges { cursor node { id } } ${PAGE_INFO} } }`;
        const read = async (args: Record<string, unknown>) => (await gqlData(url, page, { tag, ...args })).sessions;

        const p1 = await read({ first: 2 });
        expect(p1.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(0, 2));
        expect(p1.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(newestFirst.slice(0, 2));
        expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: p1.edges[0].cursor, endCursor: p1.edges[1].cursor });
        expect(p1.totalCount).toBe(5);
        const p2 = await read({ first: 2, after: p1.pageInfo.endCursor });
        expect(p2.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(2, 4));
        expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
        const p3 = await read({ first: 2, after: p2.pageInfo.endCursor });
        expect(p3.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(4));
        expect(p3.pageInfo.hasNextPage).toBe(false);

        const b1 = await read({ last: 2 });
        expect(b1.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(3));
        expect(b1.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
        const b2 = await read({ last: 2, before: b1.pageInfo.startCursor });
        expect(b2.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(1, 3));
        const b3 = await read({ last: 2, before: b2.pageInfo.startCursor });
        expect(b3.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(0, 1));
        expect(b3.pageInfo.hasPreviousPage).toBe(false);
      });

      it("filters by status and tag; totalCount counts what the filters select", async () => {
        const tag = `filter-${Math.random().toString(16).slice(2)}`;
        const quiet = await createSession(url, { tags: [tag] });
        const busy = await createSession(url, { tags: [tag, "other"] });
        await sendText(url, busy, "hello"); // its turn leaves it IDLE
        await settled(url, busy);
        const list = async (args: Record<string, unknown>) =>
          (await gqlData(url, `query($tag: String, $status: SessionStatus) { sessions(tag: $tag, status: $status) { totalCount nodes { id } } }`, args)).sessions;

        expect(await list({ tag })).toEqual({ totalCount: 2, nodes: [{ id: busy }, { id: quiet }] });
        expect(await list({ tag, status: "STARTED" })).toEqual({ totalCount: 1, nodes: [{ id: quiet }] });
        expect(await list({ tag, status: "IDLE" })).toEqual({ totalCount: 1, nodes: [{ id: busy }] });
        expect(await list({ tag: "other", status: "ACTIVE" })).toEqual({ totalCount: 0, nodes: [] });
      });
    });

    describe("messages", () => {
      let sessionId: string;
      let userIds: string[];

      beforeAll(async () => {
        sessionId = await createSession(url, { title: "paging" });
        userIds = [];
        for (let i = 0; i < 7; i++) userIds.push((await sendText(url, sessionId, `message ${i}`)).id);
        await settled(url, sessionId);
      });

      const page = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $roles: [MessageRole!]) {
        session(id: $id) { messages(first: $first, after: $after, last: $last, before: $before, roles: $roles) {
          totalCount nodes { id role sequence } edges { cursor node { id } } ${PAGE_INFO} } } }`;
      const read = async (args: Record<string, unknown>) => (await gqlData(url, page, { id: sessionId, ...args })).session.messages;
      const idsOf = (c: { nodes: { id: string }[] }) => c.nodes.map((n) => n.id);

      it("first/after walks forwards, oldest first", async () => {
        const p1 = await read({ first: 3, roles: ["USER"] });
        expect(idsOf(p1)).toEqual(userIds.slice(0, 3));
        expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
        expect(p1.totalCount).toBe(7);
        const p2 = await read({ first: 3, after: p1.pageInfo.endCursor, roles: ["USER"] });
        expect(idsOf(p2)).toEqual(userIds.slice(3, 6));
        expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
        const p3 = await read({ first: 3, after: p2.pageInfo.endCursor, roles: ["USER"] });
        expect(idsOf(p3)).toEqual(userIds.slice(6));
        expect(p3.pageInfo.hasNextPage).toBe(false);
      });

      it("last/before gives the newest, still oldest first", async () => {
        const b1 = await read({ last: 2, roles: ["USER"] });
        expect(idsOf(b1)).toEqual(userIds.slice(5));
        expect(b1.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false, startCursor: b1.edges[0].cursor, endCursor: b1.edges[1].cursor });
        const b2 = await read({ last: 4, before: b1.pageInfo.startCursor, roles: ["USER"] });
        expect(idsOf(b2)).toEqual(userIds.slice(1, 5));
        const b3 = await read({ last: 4, before: b2.pageInfo.startCursor, roles: ["USER"] });
        expect(idsOf(b3)).toEqual(userIds.slice(0, 1));
        expect(b3.pageInfo.hasPreviousPage).toBe(false);
      });

      it("without first/last reads the first 100 in sequence order; totalCount follows the roles filter", async () => {
        const all = await read({});
        const sequences = all.nodes.map((n: { sequence: number }) => n.sequence);
        expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
        expect(all.nodes.filter((n: { role: string }) => n.role === "USER").map((n: { id: string }) => n.id)).toEqual(userIds);
        expect(all.totalCount).toBe(all.nodes.length);
        const others = await read({ roles: ["AGENT", "TOOL_RESULT", "SYSTEM"] });
        expect(others.totalCount).toBe(all.nodes.length - 7);
      });

      it("a page size over 500 is VALIDATION_FAILED", async () => {
        for (const [arg, value] of [["first", 501], ["last", 501]] as const) {
          const res = await gql(url, page, { id: sessionId, [arg]: value });
          expect(res.status).toBe(200);
          expect(res.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field: arg });
        }
        expect((await read({ first: 500 })).nodes.length).toBeGreaterThan(0);
      });

      it("maps every message field, controls and external actor (actorName falls back to actorId)", async () => {
        const { createMessage: m } = await gqlData(
          url,
          `mutation($input: CreateMessageInput!) { createMessage(input: $input) {
            id sessionId role phase thinking thinkingSignature turnId sequence createdAt tags metadata
            session { id title }
            content { __typename ... on TextPart { text } ... on ImagePart { url base64 mediaType } }
            controls { modelId reasoning { effort } errorDisclosure hints locale maxTokens }
            externalActor { actorId actorName metadata source } } }`,
          {
            input: {
              sessionId,
              message: { content: [{ text: { text: "look" } }, { image: { url: "https://example.com/a.png" } }, { image: { base64: "iVBORw0KGgo=", mediaType: "image/png" } }] },
              controls: { modelId: DEMO_MODEL_ID, reasoning: { effort: "low" }, errorDisclosure: "GENERIC", hints: { h: 1 }, locale: "uk-ua", maxTokens: 256 },
              externalActor: { actorId: "U123", metadata: { team: "T1" }, source: "slack" },
              metadata: { thread: "t" },
              tags: ["from-slack"],
            },
          },
        );
        expect(m).toMatchObject({
          sessionId,
          role: "USER",
          phase: null,
          thinking: null,
          thinkingSignature: null,
          tags: ["from-slack"],
          metadata: { thread: "t" },
          session: { id: sessionId, title: "paging" },
          content: [
            { __typename: "TextPart", text: "look" },
            { __typename: "ImagePart", url: "https://example.com/a.png", base64: null, mediaType: null },
            { __typename: "ImagePart", url: null, base64: "iVBORw0KGgo=", mediaType: "image/png" },
          ],
          controls: { modelId: DEMO_MODEL_ID, reasoning: { effort: "low" }, errorDisclosure: "GENERIC", hints: { h: 1 }, locale: "uk-UA", maxTokens: 256 },
          externalActor: { actorId: "U123", actorName: "U123", metadata: { team: "T1" }, source: "slack" },
        });
        expect(m.turnId).toMatch(/^turn_[0-9a-f]{32}$/);
        expect(m.createdAt).toMatch(RFC3339);

        const { message } = await gqlData(url, `query($id: ID!) { message(id: $id) { id sequence externalActor { actorName } } }`, { id: m.id });
        expect(message).toEqual({ id: m.id, sequence: m.sequence, externalActor: { actorName: "U123" } });
        await settled(url, sessionId);
      });

      it("SessionEvent.data keeps the stored REST shape; SessionEvent.message is the typed message", async () => {
        const { session } = await gqlData(
          url,
          `query($id: ID!) { session(id: $id) { events(types: ["input.message"], first: 1) { id sequence data message { id role sequence content { ... on TextPart { text } } } } } }`,
          { id: sessionId },
        );
        const [event] = session.events;
        expect(event.data.message).toMatchObject({ id: userIds[0], role: "user", content: [{ type: "text", text: "message 0" }] });
        expect(event.message).toEqual({ id: userIds[0], role: "USER", sequence: event.sequence, content: [{ text: "message 0" }] });
      });
    });

    it("node() reads every Node type by its id and answers null for unknown ids", async () => {
      const sessionId = await createSession(url, { title: "nodes" });
      const { id: messageId } = await sendText(url, sessionId, "node me");
      await settled(url, sessionId);
      const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { events(first: 1) { id } } }`, { id: sessionId });
      const eventId = session.events[0].id;
      const nodeQuery = `query($id: ID!) { node(id: $id) { __typename id ... on Session { title } ... on Message { role } ... on SessionEvent { type } ... on Model { name provider maxErrorDisclosure } } }`;
      const node = async (id: string) => (await gqlData(url, nodeQuery, { id })).node;

      expect(await node(sessionId)).toEqual({ __typename: "Session", id: sessionId, title: "nodes" });
      expect(await node(messageId)).toEqual({ __typename: "Message", id: messageId, role: "USER" });
      expect(await node(eventId)).toEqual({ __typename: "SessionEvent", id: eventId, type: "session.started" });
      expect(await node(DEMO_MODEL_ID)).toEqual({ __typename: "Model", id: DEMO_MODEL_ID, name: "demo", provider: "demo", maxErrorDisclosure: expect.any(String) });
      for (const id of Object.values(UNKNOWN)) expect(await node(id)).toBeNull();
    });

    it("models lists the demo model; message() and session() answer null for unknown ids", async () => {
      const data = await gqlData(url, `query($m: ID!, $s: ID!) { models { id name provider maxErrorDisclosure } message(id: $m) { id } session(id: $s) { id } }`, {
        m: UNKNOWN.message,
        s: UNKNOWN.session,
      });
      expect(data.models).toContainEqual({ id: DEMO_MODEL_ID, name: "demo", provider: "demo", maxErrorDisclosure: expect.stringMatching(/^(GENERIC|STANDARD|DETAILED)$/) });
      expect(data.message).toBeNull();
      expect(data.session).toBeNull();
    });
  });
}
