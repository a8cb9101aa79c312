// Without PUBLIC_URL, Image.url is built from the Host the client used
// (SPEC §7). A Host that is not a plain name[:port] never reaches a link
// (issue #17), nor yoga's request URL (it was a 500 with a stack trace): it is
// a 400 on REST and GraphQL and a refused upgrade, even with AUTH=api_key,
// where no host name is refused.
import { request } from "node:http";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { uploadRest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

/** A request with an explicit Host header (fetch does not let a caller set Host). */
function withHost(url: string, method: string, path: string, host: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: { ...headers, host, ...(body ? { "content-type": "application/json" } : {}) }, timeout: 10_000 }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, json: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const HOSTILE = [`evil.example"><script>alert(1)</script>`, "user@evil.example", "evil.example/path", "evil.example?x=1", "evil.example#frag", "evil example", "a:b:c"];

describe("Image.url and the Host header", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let key: Record<string, string>;
  let imageId: string;
  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key" });
    key = { authorization: `Bearer ${(await server.app.store.apiKeys.create("host")).key}` };
    imageId = (await uploadRest(server.url, Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64"), key)).body.id;
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("a hostile Host is a 400 on REST and GraphQL, with no internal text, and a refused WebSocket upgrade", async () => {
    const query = JSON.stringify({ query: `query($id: ID!) { node(id: $id) { ... on Image { url } } }`, variables: { id: imageId } });
    for (const host of HOSTILE) {
      const restRes = await withHost(server.url, "GET", `/v1/images/${imageId}`, host, key);
      expect(restRes.status, host).toBe(400);
      expect(restRes.json).toEqual({ error: expect.stringMatching(/Host header/), status: 400 });
      const gqlRes = await withHost(server.url, "POST", "/graphql", host, key, query);
      expect(gqlRes.status, host).toBe(400);
      expect(gqlRes.json.errors[0].extensions).toEqual({ code: "BAD_REQUEST", status: 400 });
      expect(gqlRes.text + restRes.text).not.toMatch(/evil|TypeError|at new URL|node_modules/);
      const upgrade = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers: { host } });
        ws.once("open", () => (ws.close(), resolve("open")));
        ws.once("unexpected-response", (_req, res) => resolve(String(res.statusCode)));
        ws.once("error", () => resolve("error"));
      });
      expect(upgrade, host).not.toBe("open");
    }
  });

  it("a plain Host name or address with a port is used for Image.url (REST and GraphQL)", async () => {
    const query = JSON.stringify({ query: `query($id: ID!) { node(id: $id) { ... on Image { url } } }`, variables: { id: imageId } });
    for (const host of ["parley.example:8443", "[::1]:4000", "localhost"]) {
      expect((await withHost(server.url, "GET", `/v1/images/${imageId}`, host, key)).json.url.startsWith(`http://${host}/v1/images/${imageId}/content?`)).toBe(true);
      expect((await withHost(server.url, "POST", "/graphql", host, key, query)).json.data.node.url.startsWith(`http://${host}/v1/images/`)).toBe(true);
    }
  });
});
