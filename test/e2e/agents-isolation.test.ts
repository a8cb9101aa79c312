// Tenancy of agents with AUTH=api_key (SPEC §7, §10), on both backends: key B
// gets for A's agent exactly what it gets for a well-formed id that names
// nothing, on every GraphQL and REST path, and A's agent is left as it was.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData, type GqlResponse } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { rest, withoutId, type RestResponse } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

type Headers = Record<string, string>;
const freshAgentId = () => `agent_0190${randomBytes(14).toString("hex")}`;
const AGENT = `id name instructions tools maxIterations updatedAt`;

for (const backend of await backends()) {
  describe(`agent tenancy (AUTH=api_key) on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let A: Headers;
    let B: Headers;
    let agentA: Record<string, unknown> & { id: string };
    let sessionB: string;

    beforeAll(async () => {
      server = await startServer(backend, { AUTH: "api_key" });
      url = server.url;
      A = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant A")).key}` };
      B = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant B")).key}` };
      agentA = (await gqlData(url, `mutation { createAgent(input: { name: "A's agent", instructions: "secret", tools: [] }) { ${AGENT} } }`, {}, A)).createAgent;
      // B owns an agent and a session too, so an empty answer proves nothing.
      await gqlData(url, `mutation { createAgent(input: { name: "B's agent" }) { id } }`, {}, B);
      sessionB = await createSession(url, {}, B);
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    /** B's answer for A's agent id equals B's answer for a fresh unknown one (ids swapped for a placeholder). */
    async function graphqlSameAsUnknown(query: string, vars: (id: string) => Record<string, unknown>, expectErrorCode?: string) {
      const unknownId = freshAgentId();
      const shape = (res: GqlResponse, id: string) => withoutId({ status: res.status, data: res.data, errors: res.errors }, id);
      const forOwned = await gql(url, query, vars(agentA.id), B);
      const forUnknown = await gql(url, query, vars(unknownId), B);
      expect(shape(forOwned, agentA.id), query).toEqual(shape(forUnknown, unknownId));
      if (expectErrorCode) expect(forOwned.errors?.[0]?.extensions, query).toMatchObject({ code: expectErrorCode, status: 404 });
      return forOwned;
    }

    async function restSameAsUnknown(method: string, path: (id: string) => string, body?: (id: string) => unknown) {
      const unknownId = freshAgentId();
      const shape = (res: RestResponse, id: string) => withoutId({ status: res.status, body: res.body }, id);
      const forOwned = await rest(url, method, path(agentA.id), body?.(agentA.id), B);
      const forUnknown = await rest(url, method, path(unknownId), body?.(unknownId), B);
      expect(shape(forOwned, agentA.id), `${method} ${path(agentA.id)}`).toEqual(shape(forUnknown, unknownId));
      expect(forOwned.status).toBe(404);
      expect(forOwned.body).toEqual({ error: expect.any(String), status: 404 });
    }

    it("agent(id) and node(id) are null", async () => {
      expect((await graphqlSameAsUnknown(`query($id: ID!) { agent(id: $id) { id name } }`, (id) => ({ id }))).data).toEqual({ agent: null });
      expect((await graphqlSameAsUnknown(`query($id: ID!) { node(id: $id) { id } }`, (id) => ({ id }))).data).toEqual({ node: null });
    });

    it("agents lists only B's own agent, and totalCount leaves A's out", async () => {
      const res = await gqlData(url, `{ agents { totalCount nodes { name } } }`, {}, B);
      expect(res.agents).toEqual({ totalCount: 1, nodes: [{ name: "B's agent" }] });
      const list = await rest(url, "GET", "/v1/agents", undefined, B);
      expect(list.body).toEqual({ data: [expect.objectContaining({ name: "B's agent" })], total: 1 });
    });

    it("createSession / updateSession naming A's agent, updateAgent and deleteAgent are NOT_FOUND", async () => {
      const sessionsBefore = (await gqlData(url, `{ sessions { totalCount } }`, {}, B)).sessions.totalCount;
      await graphqlSameAsUnknown(`mutation($id: ID!) { createSession(input: { agentId: $id }) { id } }`, (id) => ({ id }), "NOT_FOUND");
      await graphqlSameAsUnknown(
        `mutation($s: ID!, $id: ID!) { updateSession(input: { id: $s, agentId: $id }) { id } }`,
        (id) => ({ s: sessionB, id }),
        "NOT_FOUND",
      );
      await graphqlSameAsUnknown(`mutation($id: ID!) { updateAgent(input: { id: $id, name: "B was here" }) { id } }`, (id) => ({ id }), "NOT_FOUND");
      await graphqlSameAsUnknown(`mutation($id: ID!) { deleteAgent(id: $id) }`, (id) => ({ id }), "NOT_FOUND");
      expect((await gqlData(url, `{ sessions { totalCount } }`, {}, B)).sessions.totalCount).toBe(sessionsBefore);
      expect((await gqlData(url, `query($id: ID!) { session(id: $id) { agentId } }`, { id: sessionB }, B)).session.agentId).toBeNull();
    });

    it("REST GET, PATCH and DELETE of A's agent, and sessions naming it, answer 404", async () => {
      await restSameAsUnknown("GET", (id) => `/v1/agents/${id}`);
      await restSameAsUnknown("PATCH", (id) => `/v1/agents/${id}`, () => ({ name: "B was here" }));
      await restSameAsUnknown("DELETE", (id) => `/v1/agents/${id}`);
      await restSameAsUnknown("POST", () => `/v1/sessions`, (id) => ({ agent_id: id }));
      await restSameAsUnknown("PATCH", () => `/v1/sessions/${sessionB}`, (id) => ({ agent_id: id }));
    });

    it("A's agent is untouched, and A still reads and uses it", async () => {
      const mine = (await gqlData(url, `query($id: ID!) { agent(id: $id) { ${AGENT} } }`, { id: agentA.id }, A)).agent;
      expect(mine).toEqual(agentA);
      const session = await gqlData(url, `mutation($id: ID!) { createSession(input: { agentId: $id }) { agent { name } } }`, { id: agentA.id }, A);
      expect(session.createSession.agent).toEqual({ name: "A's agent" });
      expect((await rest(url, "GET", `/v1/agents/${agentA.id}`, undefined, A)).status).toBe(200);
      // Without a key: 401 in each API's shape.
      expect((await rest(url, "GET", "/v1/agents")).body).toEqual({ error: expect.any(String), status: 401 });
      expect((await gql(url, `{ agents { totalCount } }`)).errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", status: 401 });
    });
  });
}
