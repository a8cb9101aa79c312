// Unauthenticated /ready (SPEC §7) says whether the database answers, never
// what it said: the driver's text (host, database name, PGlite's or
// PostgreSQL's words) goes to the log with the request id (issue #17).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminQuery as admin, pgliteBackend, postgresAvailable, postgresBackend } from "../support/backends.js";
import { captureLogs } from "../support/logs.js";
import { startServer, type TestServer } from "../support/server.js";
import { eventually } from "../support/wait.js";

const RAW = /accepting connections|closed|prisma|invocation|pglite|database "|parley_t_|SELECT/i;

async function expectMaskedReady(server: TestServer, lines: ReturnType<typeof captureLogs>["lines"], requestId: string) {
  const res = await fetch(`${server.url}/ready`, { headers: { "x-request-id": requestId, authorization: "Bearer nobody" } });
  const text = await res.text();
  expect(res.status).toBe(503);
  expect(JSON.parse(text)).toEqual({ status: "database_unavailable" });
  expect(text).not.toMatch(RAW);
  const logged = lines.find((line) => line.requestId === requestId && line.level === 50);
  expect(logged?.err?.message, "the cause is logged with the request id").toBeTruthy();
}

describe("/ready with the database gone, on pglite", () => {
  const backend = pgliteBackend();
  const { lines, logger } = captureLogs();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key" }, { logger });
  });
  afterAll(async () => {
    await server?.close().catch(() => {}); // its database is already closed
  });

  it("answers 503 {status: database_unavailable} with no driver text", async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await server.app.db.close();
    await expectMaskedReady(server, lines, "ready-pglite-1");
  });
});

const pgSkip = !(await postgresAvailable());
if (pgSkip) console.warn("[tests] SKIPPING /ready on PostgreSQL: PostgreSQL is not reachable");

describe.skipIf(pgSkip)("/ready while PostgreSQL refuses connections", () => {
  const backend = postgresBackend();
  const { lines, logger } = captureLogs();
  let server: TestServer;
  const name = () => new URL(backend.databaseUrl!).pathname.slice(1);
  beforeAll(async () => {
    server = await startServer(backend, { AUTH: "api_key" }, { logger });
  });
  afterAll(async () => {
    await admin(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`).catch(() => {});
    await server?.close().catch(() => {});
    await backend.cleanup();
  });

  it("answers 503 with no driver text, and 200 again once the database is back", async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await admin(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name()}' AND pid <> pg_backend_pid()`);
    await expectMaskedReady(server, lines, "ready-pg-1");
    await admin(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`);
    await eventually(async () => ((await fetch(`${server.url}/ready`)).status === 200 ? true : null), 10_000, "ready again");
  });
});
