// Tenancy of tool answers (SPEC §7, §11): with API keys, tenant B can neither
// see nor answer tenant A's waiting tool calls. B naming A's session gets what
// it gets for an unknown session; B naming A's call in its own session gets
// what it gets for a call that does not exist — over GraphQL and REST alike —
// and A's calls stay waiting, untouched, until A answers them.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { createSession, sendText } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { eventually } from "../support/wait.js";

const WEATHER = { name: "get_weather", parameters: { type: "object" } };
const PENDING = `query($id: ID!) { session(id: $id) { status pendingToolCalls { toolCall { id } kind } } }`;
const SUBMIT = `mutation($s: ID!, $r: [ToolResultInput!]!) { submitToolResults(sessionId: $s, results: $r) { status } }`;
const DECIDE = `mutation($s: ID!, $d: [ToolDecisionInput!]!) { decideToolCalls(sessionId: $s, decisions: $d) { status } }`;
const freshSessionId = () => `session_0190${randomBytes(14).toString("hex")}`;
/** An answer with the ids taken out, so A's and an unknown id's answers compare equal. */
const shape = (value: unknown, ...ids: string[]) => JSON.parse(ids.reduce((text, id) => text.split(id).join("<id>"), JSON.stringify(value)));

for (const backend of await backends()) {
  describe(`tool answers are the owner's alone on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let A: Record<string, string>;
    let B: Record<string, string>;
    let sessionA: string;
    let sessionB: string;
    let clientCall: string;
    let approvalCall: string;

    beforeAll(async () => {
      server = await startServer(backend, { AUTH: "api_key", TOOL_WAIT_TIMEOUT_MS: "600000" });
      url = server.url;
      A = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant A")).key}` };
      B = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant B")).key}` };
      sessionA = await createSession(url, {}, A);
      sessionB = await createSession(url, {}, B);
      await sendText(url, sessionA, 'call get_weather {"city":"Oslo"}\ncall calculator {"expression":"2+2"}', { controls: { clientTools: [WEATHER], approvalRequired: ["calculator"] } }, A);
      const waiting = await eventually(
        async () => {
          const s = (await gqlData(url, PENDING, { id: sessionA }, A)).session;
          return s.status === "WAITING_FOR_TOOL_RESULTS" && s.pendingToolCalls.length === 2 ? s : null;
        },
        20_000,
        "A's session to wait",
      );
      clientCall = waiting.pendingToolCalls.find((c: { kind: string }) => c.kind === "CLIENT").toolCall.id;
      approvalCall = waiting.pendingToolCalls.find((c: { kind: string }) => c.kind === "APPROVAL").toolCall.id;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("B naming A's session gets exactly what it gets for an unknown session (GraphQL and REST), and sees no calls", async () => {
      const unknown = freshSessionId();
      const result = [{ toolCallId: clientCall, content: [{ text: { text: "sunny" } }] }];
      const decision = [{ toolCallId: approvalCall, approve: true }];
      for (const [query, variables] of [
        [SUBMIT, (s: string) => ({ s, r: result })],
        [DECIDE, (s: string) => ({ s, d: decision })],
      ] as const) {
        const forA = await gql(url, query, variables(sessionA), B);
        const forUnknown = await gql(url, query, variables(unknown), B);
        expect(forA.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        expect(shape({ status: forA.status, data: forA.data, errors: forA.errors }, sessionA)).toEqual(
          shape({ status: forUnknown.status, data: forUnknown.data, errors: forUnknown.errors }, unknown),
        );
      }
      const body = { tool_results: [{ tool_call_id: clientCall, content: [{ type: "text", text: "sunny" }] }] };
      const restA = await rest(url, "POST", `/v1/sessions/${sessionA}/tool-results`, body, B);
      const restUnknown = await rest(url, "POST", `/v1/sessions/${unknown}/tool-results`, body, B);
      expect(restA.status).toBe(404);
      expect(shape(restA.body, sessionA)).toEqual(shape(restUnknown.body, unknown));
      const approvals = { decisions: [{ tool_call_id: approvalCall, decision: "allow" }] };
      expect((await rest(url, "POST", `/v1/sessions/${sessionA}/tool-approvals`, approvals, B)).status).toBe(404);
      expect((await gql(url, PENDING, { id: sessionA }, B)).data?.session).toBeNull();
    });

    it("B naming A's call ids in B's own session gets what an unknown call id gets", async () => {
      const madeUp = `call_${randomBytes(8).toString("hex")}`;
      const forA = await gql(url, SUBMIT, { s: sessionB, r: [{ toolCallId: clientCall, content: [{ text: { text: "x" } }] }] }, B);
      const forMadeUp = await gql(url, SUBMIT, { s: sessionB, r: [{ toolCallId: madeUp, content: [{ text: { text: "x" } }] }] }, B);
      expect(forA.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
      expect(shape(forA.errors, clientCall)).toEqual(shape(forMadeUp.errors, madeUp));
      const decideA = await gql(url, DECIDE, { s: sessionB, d: [{ toolCallId: approvalCall, approve: true }] }, B);
      const decideMadeUp = await gql(url, DECIDE, { s: sessionB, d: [{ toolCallId: madeUp, approve: true }] }, B);
      expect(shape(decideA.errors, approvalCall)).toEqual(shape(decideMadeUp.errors, madeUp));
    });

    it("A's calls are still waiting, and A's own answers resume its turn", async () => {
      const still = (await gqlData(url, PENDING, { id: sessionA }, A)).session;
      expect(still.status).toBe("WAITING_FOR_TOOL_RESULTS");
      expect(still.pendingToolCalls.map((c: { toolCall: { id: string } }) => c.toolCall.id).sort()).toEqual([clientCall, approvalCall].sort());
      await gqlData(url, DECIDE, { s: sessionA, d: [{ toolCallId: approvalCall, approve: true }] }, A);
      await gqlData(url, SUBMIT, { s: sessionA, r: [{ toolCallId: clientCall, content: [{ text: { text: "sunny" } }] }] }, A);
      await eventually(async () => (await gqlData(url, PENDING, { id: sessionA }, A)).session.status === "IDLE", 20_000, "A's turn to end");
    });
  });
}
