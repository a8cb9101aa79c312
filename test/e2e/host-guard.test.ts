// ALLOWED_HOSTS (SPEC §15): with AUTH=none a page whose name was rebound to
// 127.0.0.1 reaches the server with its own name in Host, and is refused —
// on GraphQL, REST and the WebSocket upgrade — while health checks still answer.
import { request } from "node:http";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { startServer, type TestServer } from "../support/server.js";

/** A GET with an explicit Host header (fetch does not let a caller set Host). */
function getWithHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers: { host }, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens a graphql-ws socket with an explicit Host; resolves "open" or the refusal's status code. */
function upgradeWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers: { host } });
    ws.once("open", () => {
      ws.close();
      resolve("open");
    });
    ws.once("unexpected-response", (_req, res) => resolve(String(res.statusCode)));
    ws.once("error", () => resolve("error"));
  });
}

const QUERY = `/graphql?query=${encodeURIComponent("{ models { name } }")}`;

describe("ALLOWED_HOSTS", () => {
  const backend = pgliteBackend();
  let loopback: TestServer;
  let named: TestServer;
  let keyed: TestServer;

  beforeAll(async () => {
    loopback = await startServer(backend);
    named = await startServer(pgliteBackend(), { ALLOWED_HOSTS: "parley.internal, chat.example.com" });
    keyed = await startServer(pgliteBackend(), { AUTH: "api_key" });
  });
  afterAll(async () => {
    await Promise.all([loopback?.close(), named?.close(), keyed?.close()]);
  });

  it("by default serves loopback names and refuses any other Host with 403", async () => {
    const port = new URL(loopback.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      expect((await getWithHost(loopback.url, "/v1/sessions", host)).status, host).toBe(200);
    }
    const refused = await getWithHost(loopback.url, "/v1/sessions", `evil.example:${port}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 403, error: expect.stringContaining("ALLOWED_HOSTS") });
    const graphql = await getWithHost(loopback.url, QUERY, "evil.example");
    expect(graphql.status).toBe(403);
    expect(JSON.parse(graphql.body).errors[0].extensions).toMatchObject({ code: "FORBIDDEN", status: 403 });
    expect(await upgradeWithHost(loopback.url, "evil.example")).toBe("403");
    expect(await upgradeWithHost(loopback.url, `localhost:${port}`)).toBe("open");
  });

  it("health checks answer whatever the Host (load balancers probe by address)", async () => {
    expect((await getWithHost(loopback.url, "/health", "10.0.0.7:4000")).status).toBe(200);
    expect((await getWithHost(loopback.url, "/ready", "10.0.0.7:4000")).status).toBe(200);
  });

  it("serves exactly the listed names when ALLOWED_HOSTS is set", async () => {
    expect((await getWithHost(named.url, "/v1/sessions", "parley.internal:8080")).status).toBe(200);
    expect((await getWithHost(named.url, "/v1/sessions", "CHAT.example.com")).status).toBe(200);
    expect((await getWithHost(named.url, "/v1/sessions", "localhost")).status).toBe(403);
  });

  it("does not apply with AUTH=api_key, where a key is needed anyway", async () => {
    expect((await getWithHost(keyed.url, "/v1/sessions", "evil.example")).status).toBe(401);
  });
});
