// GET /v1/openapi.json (SPEC §14): a valid OpenAPI 3.1 document whose every
// operation is really served (no "No route" 404, no 405), with the error
// shape REST answers. The other direction — every answer REST gives matches
// the document — is checked on every call of test/support/http.ts' rest().
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { UNKNOWN } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

const SAMPLE: Record<string, string> = { session_id: UNKNOWN.session, agent_id: "agent_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b", image_id: UNKNOWN.img, chat_id: "no-such-chat" };

describe("OpenAPI document", () => {
  let server: TestServer;
  let doc: any;

  beforeAll(async () => {
    server = await startServer(pgliteBackend());
    const res = await fetch(`${server.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    doc = await res.json();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("is a valid OpenAPI 3.1 document (checked by an OpenAPI schema validator), every $ref resolvable", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    const refs = JSON.stringify(doc).match(/"#\/components\/[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const [, , kind, name] = JSON.parse(ref).split("/");
      expect(doc.components[kind]?.[name], ref).toBeDefined();
    }
  });

  it("documents the REST routes of SPEC §6, §10, §11 and §13", () => {
    for (const path of ["/v1/sessions", "/v1/sessions/{session_id}", "/v1/sessions/{session_id}/messages", "/v1/sessions/{session_id}/sse",
      "/v1/sessions/{session_id}/cancel", "/v1/sessions/{session_id}/fork", "/v1/images", "/v1/agents", "/v1/agents/{agent_id}", "/v1/ag-ui", "/v1/ai-sdk/chat"]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it("every documented operation is served", async () => {
    for (const [template, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE[name] ?? "x");
      for (const method of ["get", "post", "patch", "delete"].filter((m) => m in item)) {
        const res = await fetch(`${server.url}${path}`, {
          method: method.toUpperCase(),
          headers: method === "get" || method === "delete" ? {} : { "content-type": "application/json" },
          body: method === "get" || method === "delete" ? undefined : "{}",
          signal: AbortSignal.timeout(10_000),
        });
        const text = res.status === 200 && res.headers.get("content-type")?.includes("event-stream") ? "" : await res.text();
        await res.body?.cancel().catch(() => {});
        expect(res.status, `${method} ${template}`).not.toBe(405);
        expect(text, `${method} ${template}`).not.toMatch(/No route for/);
        if (res.status >= 400) expect(JSON.parse(text), `${method} ${template}`).toMatchObject({ error: expect.any(String), status: res.status });
      }
    }
  });
});
