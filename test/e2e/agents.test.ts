// Agents over GraphQL and REST on both backends (SPEC §10): create with
// defaults, read (agent, agents, node), update (replace, null clears), delete
// (sessions fall back), sessions naming an agent, Query.tools, and every bad
// input → VALIDATION_FAILED with its field, INVALID_ID or NOT_FOUND, with
// nothing stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData } from "../support/clients.js";
import { DEMO_MODEL_ID, RFC3339, UNKNOWN } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

const UNKNOWN_AGENT = "agent_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
const AGENT_FIELDS = `id name description instructions modelId model { id name } tools approvalRequired clientTools { name description parameters } maxIterations createdAt updatedAt`;
const CREATE = `mutation($input: CreateAgentInput!) { createAgent(input: $input) { ${AGENT_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateAgentInput!) { updateAgent(input: $input) { ${AGENT_FIELDS} } }`;
const GET = `query($id: ID!) { agent(id: $id) { ${AGENT_FIELDS} } }`;
const COUNT = `{ agents { totalCount } }`;

for (const backend of await backends()) {
  describe(`agents on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    const create = async (input: Record<string, unknown>) => (await gqlData(url, CREATE, { input })).createAgent;
    const agentCount = async () => (await gqlData(url, COUNT)).agents.totalCount as number;
    /** The first error of an operation, as code and field. */
    const errorOf = async (query: string, variables: Record<string, unknown>) => {
      const res = await gql(url, query, variables);
      expect(res.errors, JSON.stringify(res)).toHaveLength(1);
      const { code, field } = res.errors![0]!.extensions!;
      return { code, field };
    };

    beforeAll(async () => {
      server = await startServer(backend, { MAX_ITERATIONS: "7" });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("createAgent fills the defaults, and agent / node read it back", async () => {
      const agent = await create({ name: "Helper" });
      expect(agent).toEqual({
        id: expect.stringMatching(/^agent_[0-9a-f]{32}$/),
        name: "Helper",
        description: null,
        instructions: null,
        modelId: null,
        model: null,
        tools: ["*"],
        approvalRequired: [],
        clientTools: [],
        maxIterations: 7, // MAX_ITERATIONS
        createdAt: expect.stringMatching(RFC3339),
        updatedAt: expect.stringMatching(RFC3339),
      });
      expect((await gqlData(url, GET, { id: agent.id })).agent).toEqual(agent);
      const node = await gqlData(url, `query($id: ID!) { node(id: $id) { __typename id ... on Agent { name } } }`, { id: agent.id });
      expect(node.node).toEqual({ __typename: "Agent", id: agent.id, name: "Helper" });
    });

    it("createAgent stores every field", async () => {
      const agent = await create({
        name: "Pirate",
        description: "Talks like a pirate",
        instructions: "You are a pirate. Answer in pirate speak.",
        modelId: DEMO_MODEL_ID,
        tools: ["calc*", "files__*"],
        approvalRequired: ["files__write_file"],
        clientTools: [
          { name: "pick_color", description: "Asks the user for a color", parameters: { type: "object", properties: { hint: { type: "string" } } } },
          { name: "confirm" },
        ],
        maxIterations: 3,
      });
      expect(agent).toMatchObject({
        name: "Pirate",
        description: "Talks like a pirate",
        instructions: "You are a pirate. Answer in pirate speak.",
        modelId: DEMO_MODEL_ID,
        model: { id: DEMO_MODEL_ID, name: "demo" },
        tools: ["calc*", "files__*"],
        approvalRequired: ["files__write_file"],
        clientTools: [
          { name: "pick_color", description: "Asks the user for a color", parameters: { type: "object", properties: { hint: { type: "string" } } } },
          { name: "confirm", description: null, parameters: { type: "object" } },
        ],
        maxIterations: 3,
      });
      expect((await gqlData(url, GET, { id: agent.id })).agent).toEqual(agent);
    });

    it("agents is a Relay connection, newest first, with totalCount", async () => {
      const ids = [];
      for (const name of ["A1", "A2", "A3"]) ids.push((await create({ name })).id);
      const total = await agentCount();
      const page = await gqlData(url, `{ agents(first: 2) { totalCount edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } } }`);
      expect(page.agents.totalCount).toBe(total);
      expect(page.agents.nodes.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
      expect(page.agents.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([ids[2], ids[1]]);
      expect(page.agents.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const next = await gqlData(url, `query($after: String) { agents(first: 1, after: $after) { nodes { id } pageInfo { hasPreviousPage } } }`, {
        after: page.agents.pageInfo.endCursor,
      });
      expect(next.agents.nodes).toEqual([{ id: ids[0] }]);
      expect(next.agents.pageInfo.hasPreviousPage).toBe(true);
      const last = await gqlData(url, `{ agents(last: 2) { nodes { id } } }`);
      expect(last.agents.nodes).toHaveLength(2);
      expect(await errorOf(`{ agents(first: 501) { totalCount } }`, {})).toEqual({ code: "VALIDATION_FAILED", field: "first" });
      expect(await errorOf(`{ agents(after: "session_x") { totalCount } }`, {})).toEqual({ code: "INVALID_ID", field: "after" });
    });

    it("updateAgent replaces the fields it is given; explicit null clears description, instructions and modelId", async () => {
      const agent = await create({ name: "Before", description: "d", instructions: "i", modelId: DEMO_MODEL_ID, tools: ["calculator"], maxIterations: 4 });
      const renamed = (await gqlData(url, UPDATE, { input: { id: agent.id, name: "After", tools: [], clientTools: [{ name: "ask" }] } })).updateAgent;
      expect(renamed).toMatchObject({ name: "After", description: "d", instructions: "i", modelId: DEMO_MODEL_ID, tools: [], maxIterations: 4 });
      expect(renamed.clientTools).toEqual([{ name: "ask", description: null, parameters: { type: "object" } }]);
      const cleared = (await gqlData(url, UPDATE, { input: { id: agent.id, description: null, instructions: null, modelId: null } })).updateAgent;
      expect(cleared).toMatchObject({ name: "After", description: null, instructions: null, modelId: null, model: null, tools: [], maxIterations: 4 });
      expect(new Date(cleared.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(agent.updatedAt).getTime());
      expect(cleared.createdAt).toBe(agent.createdAt);

      for (const key of ["name", "maxIterations", "tools", "approvalRequired", "clientTools"]) {
        expect({ key, ...(await errorOf(UPDATE, { input: { id: agent.id, [key]: null } })) }).toEqual({ key, code: "VALIDATION_FAILED", field: key });
      }
      expect((await gqlData(url, GET, { id: agent.id })).agent).toEqual(cleared); // nothing stored
      expect(await errorOf(UPDATE, { input: { id: UNKNOWN_AGENT, name: "x" } })).toEqual({ code: "NOT_FOUND", field: undefined });
      expect(await errorOf(UPDATE, { input: { id: UNKNOWN.session, name: "x" } })).toEqual({ code: "INVALID_ID", field: "id" });
    });

    it("sessions name an agent (create, update, detach); deleteAgent makes them fall back to the default", async () => {
      const agent = await create({ name: "Sessioned" });
      const SESSION = `agentId agent { id name }`;
      const session = (await gqlData(url, `mutation($a: ID) { createSession(input: { agentId: $a }) { id ${SESSION} } }`, { a: agent.id })).createSession;
      expect(session).toMatchObject({ agentId: agent.id, agent: { id: agent.id, name: "Sessioned" } });
      const UPDATE_SESSION = `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { ${SESSION} title } }`;
      // Other fields leave the agent alone; null detaches it; an id attaches it again.
      expect((await gqlData(url, UPDATE_SESSION, { input: { id: session.id, title: "t" } })).updateSession).toMatchObject({ agentId: agent.id, title: "t" });
      expect((await gqlData(url, UPDATE_SESSION, { input: { id: session.id, agentId: null } })).updateSession).toMatchObject({ agentId: null, agent: null });
      expect((await gqlData(url, UPDATE_SESSION, { input: { id: session.id, agentId: agent.id } })).updateSession.agentId).toBe(agent.id);

      const sessionsBefore = (await gqlData(url, `{ sessions { totalCount } }`)).sessions.totalCount;
      expect(await errorOf(`mutation { createSession(input: { agentId: "agent_nope" }) { id } }`, {})).toEqual({ code: "INVALID_ID", field: "agentId" });
      expect(await errorOf(`mutation($a: ID) { createSession(input: { agentId: $a }) { id } }`, { a: UNKNOWN_AGENT })).toEqual({ code: "NOT_FOUND", field: "agentId" });
      expect(await errorOf(UPDATE_SESSION, { input: { id: session.id, agentId: UNKNOWN_AGENT } })).toEqual({ code: "NOT_FOUND", field: "agentId" });
      expect(await errorOf(UPDATE_SESSION, { input: { id: session.id, agentId: UNKNOWN.model } })).toEqual({ code: "INVALID_ID", field: "agentId" });
      expect((await gqlData(url, `{ sessions { totalCount } }`)).sessions.totalCount).toBe(sessionsBefore);

      expect((await gqlData(url, `mutation($id: ID!) { deleteAgent(id: $id) }`, { id: agent.id })).deleteAgent).toBe(agent.id);
      expect((await gqlData(url, GET, { id: agent.id })).agent).toBeNull();
      expect((await gqlData(url, `query($id: ID!) { node(id: $id) { id } }`, { id: agent.id })).node).toBeNull();
      const after = (await gqlData(url, `query($id: ID!) { session(id: $id) { ${SESSION} } }`, { id: session.id })).session;
      expect(after).toEqual({ agentId: null, agent: null });
      expect(await errorOf(`mutation($id: ID!) { deleteAgent(id: $id) }`, { id: agent.id })).toEqual({ code: "NOT_FOUND", field: undefined });
      expect(await errorOf(`mutation { deleteAgent(id: "agent_123") }`, {})).toEqual({ code: "INVALID_ID", field: "id" });
      expect(await errorOf(`{ agent(id: "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b") { id } }`, {})).toEqual({ code: "INVALID_ID", field: "id" });
    });

    it("rejects every bad field with VALIDATION_FAILED and its field, malformed ids with INVALID_ID, unknown with NOT_FOUND; nothing stored", async () => {
      const before = await agentCount();
      const cases: [Record<string, unknown>, string, string][] = [
        [{ name: "" }, "VALIDATION_FAILED", "name"],
        [{ name: "   " }, "VALIDATION_FAILED", "name"],
        [{ name: "x".repeat(201) }, "VALIDATION_FAILED", "name"],
        [{ name: "H", tools: ["has space"] }, "VALIDATION_FAILED", "tools[0]"],
        [{ name: "H", tools: ["ok", "a*b"] }, "VALIDATION_FAILED", "tools[1]"],
        [{ name: "H", tools: [`${"x".repeat(64)}*`] }, "VALIDATION_FAILED", "tools[0]"],
        [{ name: "H", tools: ["x".repeat(65)] }, "VALIDATION_FAILED", "tools[0]"],
        [{ name: "H", approvalRequired: ["**"] }, "VALIDATION_FAILED", "approvalRequired[0]"],
        [{ name: "H", clientTools: [{ name: "no/slash" }] }, "VALIDATION_FAILED", "clientTools[0].name"],
        [{ name: "H", clientTools: [{ name: "x".repeat(65) }] }, "VALIDATION_FAILED", "clientTools[0].name"],
        [{ name: "H", clientTools: [{ name: "calculator" }] }, "VALIDATION_FAILED", "clientTools[0].name"],
        [{ name: "H", clientTools: [{ name: "same" }, { name: "same" }] }, "VALIDATION_FAILED", "clientTools[1].name"],
        [{ name: "H", clientTools: [{ name: "t", parameters: { type: "array" } }] }, "VALIDATION_FAILED", "clientTools[0].parameters"],
        [{ name: "H", clientTools: [{ name: "t", parameters: { properties: {} } }] }, "VALIDATION_FAILED", "clientTools[0].parameters"],
        [{ name: "H", clientTools: [{ name: "t", parameters: [1] }] }, "VALIDATION_FAILED", "clientTools[0].parameters"],
        [{ name: "H", maxIterations: 0 }, "VALIDATION_FAILED", "maxIterations"],
        [{ name: "H", maxIterations: 51 }, "VALIDATION_FAILED", "maxIterations"],
        [{ name: "H", modelId: "model_123" }, "INVALID_ID", "modelId"],
        [{ name: "H", modelId: UNKNOWN.session }, "INVALID_ID", "modelId"],
        [{ name: "H", modelId: UNKNOWN.model }, "NOT_FOUND", "modelId"],
      ];
      for (const [input, code, field] of cases) {
        expect({ input, ...(await errorOf(CREATE, { input })) }).toEqual({ input, code, field });
      }
      // The same rules on update, which stores nothing either.
      const agent = await create({ name: "Untouched", tools: ["calculator"] });
      for (const [input, code, field] of cases.filter(([i]) => i.name === "H")) {
        expect({ input, ...(await errorOf(UPDATE, { input: { ...input, name: undefined, id: agent.id } })) }).toEqual({ input, code, field });
      }
      expect((await gqlData(url, GET, { id: agent.id })).agent).toMatchObject({ name: "Untouched", tools: ["calculator"], clientTools: [], maxIterations: 7 });
      expect(await agentCount()).toBe(before + 1);
    });

    it("Query.tools lists the built-in server tools, sorted by name, with their JSON Schema", async () => {
      const { tools } = await gqlData(url, `{ tools { name description parameters source server } }`);
      expect(tools.map((t: { name: string }) => t.name)).toEqual(["calculator", "current_time"]);
      for (const tool of tools) {
        expect(tool).toMatchObject({ source: "BUILTIN", server: null, parameters: { type: "object" } });
        expect(tool.description.length).toBeGreaterThan(0);
      }
      expect(tools[0].parameters.properties).toHaveProperty("expression");
    });

    it("REST: /v1/agents create (201), list ({data,total}), read, patch, delete, in snake_case", async () => {
      const created = await rest(url, "POST", "/v1/agents", {
        name: "Rest agent",
        instructions: "Be brief.",
        model_id: DEMO_MODEL_ID,
        tools: ["calculator"],
        approval_required: ["calculator"],
        client_tools: [{ name: "ask_user", description: "Ask", parameters: { type: "object", properties: { q: { type: "string" } } } }],
        max_iterations: 5,
      });
      expect(created.status).toBe(201);
      const a = created.body;
      expect(a).toEqual({
        id: expect.stringMatching(/^agent_[0-9a-f]{32}$/),
        name: "Rest agent",
        description: null,
        instructions: "Be brief.",
        model_id: DEMO_MODEL_ID,
        tools: ["calculator"],
        approval_required: ["calculator"],
        client_tools: [{ name: "ask_user", description: "Ask", parameters: { type: "object", properties: { q: { type: "string" } } } }],
        max_iterations: 5,
        created_at: expect.stringMatching(RFC3339),
        updated_at: expect.stringMatching(RFC3339),
      });
      expect((await rest(url, "GET", `/v1/agents/${a.id}`)).body).toEqual(a);
      const list = await rest(url, "GET", "/v1/agents?limit=1");
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([a]);
      expect(list.body.total).toBe(await agentCount());

      const patched = await rest(url, "PATCH", `/v1/agents/${a.id}`, { name: "Renamed", instructions: null, max_iterations: 9 });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: "Renamed", instructions: null, max_iterations: 9, tools: ["calculator"], model_id: DEMO_MODEL_ID });

      // Sessions carry agent_id (create, patch, read).
      const session = await rest(url, "POST", "/v1/sessions", { agent_id: a.id });
      expect(session.status).toBe(201);
      expect(session.body.agent_id).toBe(a.id);
      expect((await rest(url, "PATCH", `/v1/sessions/${session.body.id}`, { agent_id: null })).body.agent_id).toBeNull();
      expect((await rest(url, "PATCH", `/v1/sessions/${session.body.id}`, { agent_id: a.id })).body.agent_id).toBe(a.id);
      expect((await rest(url, "GET", `/v1/sessions/${session.body.id}`)).body.agent_id).toBe(a.id);

      expect(await rest(url, "DELETE", `/v1/agents/${a.id}`)).toMatchObject({ status: 200, body: { id: a.id, deleted: true } });
      expect((await rest(url, "GET", `/v1/sessions/${session.body.id}`)).body.agent_id).toBeNull();
      expect(await rest(url, "GET", `/v1/agents/${a.id}`)).toMatchObject({ status: 404, body: { error: expect.any(String), status: 404 } });
      expect(await rest(url, "DELETE", `/v1/agents/${a.id}`)).toMatchObject({ status: 404, body: { status: 404 } });
    });

    it("REST: bad input answers 422 / 400 / 404 with nothing stored", async () => {
      const before = await agentCount();
      expect(await rest(url, "POST", "/v1/agents", {})).toMatchObject({ status: 422, body: { error: expect.stringContaining("name"), status: 422 } });
      expect(await rest(url, "POST", "/v1/agents", { name: "H", max_iterations: 99 })).toMatchObject({ status: 422, body: { error: expect.stringContaining("max_iterations") } }); // REST spelling
      expect(await rest(url, "POST", "/v1/agents", { name: "H", client_tools: [{ name: "current_time" }] })).toMatchObject({ status: 422 });
      expect(await rest(url, "POST", "/v1/agents", { name: "H", tools: "calculator" })).toMatchObject({ status: 422 });
      expect(await rest(url, "POST", "/v1/agents", { name: "H", model_id: "nope" })).toMatchObject({ status: 400, body: { status: 400 } });
      expect(await rest(url, "POST", "/v1/agents", { name: "H", model_id: UNKNOWN.model })).toMatchObject({ status: 404 });
      expect(await rest(url, "POST", "/v1/agents", "[1,2]")).toMatchObject({ status: 422 });
      expect(await rest(url, "GET", "/v1/agents/agent_123")).toMatchObject({ status: 400 });
      expect(await rest(url, "GET", `/v1/agents/${UNKNOWN_AGENT}`)).toMatchObject({ status: 404 });
      expect(await rest(url, "PATCH", `/v1/agents/${UNKNOWN_AGENT}`, { name: "x" })).toMatchObject({ status: 404 });
      const sessions = (await rest(url, "GET", "/v1/sessions")).body.total;
      expect(await rest(url, "POST", "/v1/sessions", { agent_id: UNKNOWN_AGENT })).toMatchObject({ status: 404 });
      expect(await rest(url, "POST", "/v1/sessions", { agent_id: "agent_x" })).toMatchObject({ status: 400 });
      expect((await rest(url, "GET", "/v1/sessions")).body.total).toBe(sessions);
      expect(await agentCount()).toBe(before);
    });
  });
}
