// One request must not break the embedded server: JSON nested ~1,500 levels
// deep (a ~9 KB body) used to crash PGlite's WASM, and ≥127 levels made
// Prisma fail. Every JSON input is bounded in depth and size before any
// store: VALIDATION_FAILED naming the field, nothing stored, and the server
// keeps serving — on both backends, over REST and GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession, settled } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

/** `{"a":{"a":…{"a":1}}}`, `levels` objects deep. */
const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
};
const WORST = nested(1500);
const TEXT = [{ type: "text", text: "hi" }];
const CREATE_MESSAGE = `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`;
const CREATE_SESSION = `mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`;

for (const backend of await backends()) {
  describe(`JSON bounds on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let sessionId: string;

    const counts = async () => {
      const prisma = server.app.db.prisma;
      return { sessions: await prisma.session.count(), events: await prisma.event.count(), messages: await prisma.message.count() };
    };
    /** The server still answers: ready, and a normal message is stored. */
    const stillServes = async () => {
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      const ok = await rest(url, "POST", `/v1/sessions/${sessionId}/messages`, { message: { content: TEXT } });
      expect(ok.status, ok.text).toBe(201);
      await settled(url, sessionId); // its turn ends before the next case counts rows
    };

    beforeAll(async () => {
      server = await startServer(backend);
      url = server.url;
      sessionId = await createSession(url);
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("REST: deep message metadata, hints and actor metadata are 422 naming the field", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ message: { content: TEXT }, metadata: WORST }, "metadata"],
        [{ message: { content: TEXT }, controls: { hints: WORST } }, "hints"],
        [{ message: { content: TEXT }, external_actor: { actor_id: "u1", metadata: WORST } }, "metadata"],
      ];
      for (const [body, field] of cases) {
        const before = await counts();
        const res = await rest(url, "POST", `/v1/sessions/${sessionId}/messages`, body);
        expect(res.status, res.text).toBe(422);
        expect(res.body.error).toMatch(new RegExp(`${field}.*nested deeper than 32 levels`));
        expect(await counts()).toEqual(before);
      }
      await stillServes();
    });

    it("GraphQL: deep JSON variables are VALIDATION_FAILED with the field", async () => {
      const before = await counts();
      const message = await gql(url, CREATE_MESSAGE, { input: { sessionId, message: { content: [{ text: { text: "hi" } }] }, metadata: WORST } });
      expect(message.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "metadata" });
      const session = await gql(url, CREATE_SESSION, { input: { hints: nested(200) } });
      expect(session.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "hints" });
      expect(await counts()).toEqual(before);
      await stillServes();
    });

    it("sessions: deep metadata (≥127 levels used to be a 500 from Prisma) is rejected on create and update", async () => {
      const before = await counts();
      const created = await rest(url, "POST", "/v1/sessions", { metadata: nested(130) });
      expect(created.status, created.text).toBe(422);
      const updated = await rest(url, "PATCH", `/v1/sessions/${sessionId}`, { metadata: WORST });
      expect(updated.status, updated.text).toBe(422);
      expect(await counts()).toEqual(before);
      await stillServes();
    });

    it("accepts JSON up to the bound, and bounds size and unstorable strings too", async () => {
      const deepest = await gqlData(url, CREATE_SESSION, { input: { metadata: nested(32) } });
      expect(deepest.createSession.id).toMatch(/^session_/);
      const before = await counts();
      const big = await rest(url, "POST", `/v1/sessions/${sessionId}/messages`, { message: { content: TEXT }, metadata: { blob: "x".repeat(300_000) } });
      expect(big.status, big.text).toBe(422);
      expect(big.body.error).toMatch(/metadata.*larger than/);
      const nul = await rest(url, "POST", "/v1/sessions", { metadata: { "k\u0000": "v" } });
      expect(nul.status, nul.text).toBe(422);
      const surrogate = await rest(url, "POST", "/v1/sessions", { hints: { k: "\ud800" } });
      expect(surrogate.status, surrogate.text).toBe(422);
      expect(await counts()).toEqual(before);
      await stillServes();
    });
  });
}
