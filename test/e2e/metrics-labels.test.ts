// /metrics stays bounded whatever unauthenticated clients send (issue #17):
// the route label is the route's template, and every path no route serves
// shares one `unmatched` label — for 401s and 404s with AUTH=api_key too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gql } from "../support/clients.js";
import { startServer, type TestServer } from "../support/server.js";

const routeLabels = (text: string) =>
  new Set([...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]));

describe("metrics route labels with AUTH=api_key", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key" });
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("a thousand distinct unknown paths, ids and bogus keys add no label: templates and one `unmatched`", async () => {
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    await metrics(); // the scrape itself is labelled
    const before = routeLabels(await metrics());
    const token = (i: number) => `zz${i}q${Math.random().toString(36).slice(2)}`;
    const statuses = new Set<number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, j) => {
          const i = batch * 50 + j;
          const bogus = { authorization: `Bearer ${token(i)}` };
          const path = [`/${token(i)}`, `/v1/${token(i)}`, `/v1/sessions/${token(i)}`, `/v1/sessions/session_${token(i)}/messages`, `/v1/images/${token(i)}/content`, `/web/${token(i)}.js`, `/v1/sessions/x/${token(i)}`][i % 7]!;
          // Plain fetch: these paths are off the OpenAPI document on purpose.
          return fetch(`${server.url}${path}`, { method: i % 3 ? "GET" : "POST", headers: i % 2 ? bogus : {}, ...(i % 3 ? {} : { body: "{}" }) });
        }),
      );
      for (const answer of answers) statuses.add(answer.status);
    }
    expect([...statuses].sort()).toEqual(expect.arrayContaining([401, 404]));
    await gql(server.url, `{ models { id } }`);
    const text = await metrics();
    expect(text).not.toMatch(/zz\d+q/);
    const added = [...routeLabels(text)].filter((label) => !before.has(label)).sort();
    expect(added.every((label) => ["unmatched", "/graphql", "/v1/sessions/:id", "/v1/sessions/:id/messages", "/v1/images/:id/content", "/web/*"].includes(label!)), added.join(" ")).toBe(true);
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="unmatched",status="404"\}/);
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/sessions\/:id",status="401"\}/);
    expect(text.length).toBeLessThan(200_000);
  });
});
