// A page costs a bounded number of SQL statements whatever its size (SPEC §5
// "Efficiency"): Message.session, ImageFilePart.image and SessionEvent.message
// go through per-request DataLoaders, not one query per node.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession, settled } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";
import { statementCounter } from "../support/statements.js";

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

for (const backend of await backends()) {
  describe(`DataLoader batching on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    const statements = statementCounter();
    let sessionId: string;

    beforeAll(async () => {
      // No lease sweeps in the background while statements are counted.
      server = await startServer(backend, { TURN_LEASE_MS: "3600000" }, { onQuery: statements.onQuery });
      url = server.url;
      const imageIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const form = new FormData();
        form.append("operations", JSON.stringify({ query: `mutation($f: File!) { uploadImage(file: $f) { id } }`, variables: { f: null } }));
        form.append("map", JSON.stringify({ 0: ["variables.f"] }));
        form.append("0", new Blob([PNG], { type: "image/png" }), `img${i}.png`);
        const res = await fetch(`${url}/graphql`, { method: "POST", body: form, headers: { "x-graphql-yoga-csrf": "1" } });
        imageIds.push(((await res.json()) as { data: { uploadImage: { id: string } } }).data.uploadImage.id);
      }
      sessionId = await createSession(url, { title: "many" });
      for (let i = 0; i < 50; i++) {
        await gqlData(url, `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, {
          input: { sessionId, message: { content: [{ text: { text: `picture ${i}` } }, { imageFile: { imageId: imageIds[i % 3] } }] } },
        });
      }
      await settled(url, sessionId);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    /** SQL statements one request costs. */
    const cost = async (query: string, variables: Record<string, unknown>) => {
      const before = statements.count;
      const data = await gqlData(url, query, variables);
      return { statements: statements.count - before, data };
    };

    it("a message page with session and image per message: the same few statements for 5 or 50 messages", async () => {
      const query = `query($id: ID!, $n: Int!) { session(id: $id) { messages(last: $n, roles: [USER]) { nodes {
        id session { id title } content { ... on ImageFilePart { image { id url } } } } } } }`;
      const small = await cost(query, { id: sessionId, n: 5 });
      const large = await cost(query, { id: sessionId, n: 50 });
      expect(small.data.session.messages.nodes).toHaveLength(5);
      expect(large.data.session.messages.nodes).toHaveLength(50);
      expect(large.data.session.messages.nodes.every((n: { content: { image?: { id: string } }[] }) => n.content[1]?.image?.id)).toBe(true);
      expect(small.statements).toBeGreaterThan(0); // the counter works
      expect(large.statements).toBe(small.statements);
      expect(large.statements).toBeLessThanOrEqual(4); // session, page, images; nothing per node
    });

    it("the history page (a session's id and its messages) is one statement, the owner check inside it", async () => {
      const query = `query($id: ID!, $n: Int!) { session(id: $id) { id messages(last: $n) { nodes { id role content { __typename } } pageInfo { hasPreviousPage } } } }`;
      const page = await cost(query, { id: sessionId, n: 5 });
      expect(page.data.session.id).toBe(sessionId);
      expect(page.data.session.messages.nodes).toHaveLength(5);
      expect(page.data.session.messages.pageInfo.hasPreviousPage).toBe(true);
      expect(page.statements).toBe(1);
      // Selecting another session field takes the plain path: the session row, then the page.
      const titled = await cost(query.replace("{ id messages", "{ id title messages"), { id: sessionId, n: 5 });
      expect(titled.data.session).toMatchObject({ title: "many", messages: page.data.session.messages });
      expect(titled.statements).toBe(2);
      // A bad page argument is the messages field's error, at its path, as on the plain path.
      const bad = await gql(url, query, { id: sessionId, n: 501 });
      expect(bad.data).toEqual({ session: null }); // messages is non-null
      expect(bad.errors?.[0]?.path).toEqual(["session", "messages"]);
    });

    it("an event list with each event's message and its session: bounded too", async () => {
      const query = `query($id: ID!, $n: Int!) { session(id: $id) { events(first: $n) { sequence message { id session { id } } } } }`;
      const small = await cost(query, { id: sessionId, n: 20 });
      const large = await cost(query, { id: sessionId, n: 400 });
      expect(large.data.session.events.length).toBeGreaterThan(100);
      expect(small.statements).toBeGreaterThan(0);
      expect(large.statements).toBe(small.statements);
    });
  });
}
