// Requests an attacker would send to make one request cost much (issue #17):
// a JSON array of operations (yoga's batching is off: one request, one
// operation), the full introspection query a tool like GraphiQL sends (it must
// pass), and introspection nested to blow up the response (graphql-js'
// introspection depth rule refuses it before execution). Server RSS before
// and after is printed.
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { startServer, type TestServer } from "../support/server.js";

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

describe("request shapes that would multiply the work of one request", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let rssBefore: number;
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
  };
  const sessionCount = async () => (await gqlData(server.url, `{ sessions { totalCount } }`)).sessions.totalCount as number;

  beforeAll(async () => {
    server = await startServer(backend);
    rssBefore = process.memoryUsage().rss;
  });
  afterAll(async () => {
    console.log(`[abuse bounds] RSS before ${mb(rssBefore)}, after ${mb(process.memoryUsage().rss)}`);
    await server?.close();
    await backend.cleanup();
  });

  it("a batched array of 1,000 operations is refused with 400 and runs none of them", async () => {
    const before = await sessionCount();
    const res = await post(Array.from({ length: 1_000 }, () => ({ query: "mutation { createSession(input: {}) { id } }" })));
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toMatch(/batching/i);
    expect(await sessionCount()).toBe(before);
  });

  it("the full introspection query passes (what GraphiQL and codegen send)", async () => {
    const res = await post({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.__schema.types.length).toBeGreaterThan(50);
  });

  it("introspection nested to multiply the response is refused before execution", async () => {
    const nested = `{ __schema { types { ${"fields { type { ".repeat(6)}name${" } }".repeat(6)} } } }`;
    const res = await post({ query: nested });
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.message).toMatch(/introspection depth/i);
  });
});
