// A revoked key ends its open streams at once (SPEC §7), not at the next
// re-check: `keys revoke` run as its own process against the PostgreSQL
// database of a running server, whose AUTH_RECHECK_MS is ten minutes, ends
// that key's graphql-ws socket (4403), REST SSE stream and GraphQL SSE
// subscription within seconds, and leaves another key's streams open.
// (With PGlite the CLI cannot open the directory a server holds.)
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAvailable, postgresBackend, type Backend } from "../support/backends.js";
import { runToExit } from "../support/child.js";
import { subscribeSse, subscribeWs, wsClient } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";
import { readSse } from "../support/sse.js";

const EVENTS = `subscription($sessionId: ID!, $after: Int) { sessionEvents(sessionId: $sessionId, after: $after) { sequence type } }`;
/** Well under AUTH_RECHECK_MS below: only the pushed revocation can end the streams in time. */
const AT_ONCE_MS = 8_000;

const closeCode = (client: Client): Promise<number> =>
  new Promise((resolve) => client.on("closed", (event) => resolve((event as { code: number }).code)));

describe("revoking a key ends its open streams at once (PostgreSQL)", () => {
  let skip: string | null = null;
  const backend: Backend = postgresBackend();
  let server: TestServer | undefined;
  const sockets: Client[] = [];

  beforeAll(async () => {
    if (!(await postgresAvailable())) {
      skip = "PostgreSQL is not reachable";
      console.warn(`[tests] SKIPPING pushed key revocation: ${skip}`);
      return;
    }
    server = await startServer(backend, { AUTH: "api_key", AUTH_RECHECK_MS: "600000" });
  });
  afterAll(async () => {
    for (const s of sockets) await s.dispose();
    await server?.close();
    await backend.cleanup();
  });

  /** One open stream of each kind for a key, each resolving when the server ends it. */
  async function openStreams(key: string, sessionId: string) {
    const headers = { authorization: `Bearer ${key}` };
    const ws = wsClient(server!.url, headers);
    sockets.push(ws);
    const wsClosed = closeCode(ws);
    const live = subscribeWs(ws, EVENTS, { sessionId, after: 0 });
    await live.until((r) => r.length >= 1);

    const sseAbort = new AbortController();
    let opened!: () => void;
    const sseOpened = new Promise<void>((resolve) => (opened = resolve));
    const sseEnded = (async () => {
      for await (const _frame of readSse(`${server!.url}/v1/sessions/${sessionId}/sse?after_sequence=0`, { signal: sseAbort.signal, headers })) opened();
      return "ended by the server";
    })().catch(() => "aborted by the test");
    await sseOpened;

    const graphqlSse = subscribeSse(server!.url, EVENTS, { sessionId, after: 0 }, headers);
    await graphqlSse.until((r) => r.length >= 1);
    const graphqlSseEnded = graphqlSse.completed.then(
      () => "ended by the server",
      () => "ended by the server",
    );
    return { wsClosed, sseEnded, graphqlSseEnded, stop: () => (live.stop(), sseAbort.abort(), graphqlSse.stop()) };
  }

  const within = <T,>(promise: Promise<T>, ms: number): Promise<T | "still open"> =>
    Promise.race([promise, new Promise<"still open">((resolve) => setTimeout(() => resolve("still open"), ms).unref())]);

  it("keys revoke in another process ends the key's graphql-ws socket, REST SSE and GraphQL SSE; another key's stay open", async (ctx) => {
    if (skip) return ctx.skip();
    const revoked = await server!.app.store.apiKeys.create("to revoke");
    const kept = await server!.app.store.apiKeys.create("to keep");
    const revokedStreams = await openStreams(revoked.key, await createSession(server!.url, {}, { authorization: `Bearer ${revoked.key}` }));
    const keptStreams = await openStreams(kept.key, await createSession(server!.url, {}, { authorization: `Bearer ${kept.key}` }));

    const cli = await runToExit(["src/cli/keys.ts", "revoke", "--id", revoked.id], { DATABASE_URL: backend.databaseUrl! });
    expect(cli.code, cli.stderr).toBe(0);

    expect(await within(revokedStreams.wsClosed, AT_ONCE_MS)).toBe(4403);
    expect(await within(revokedStreams.sseEnded, AT_ONCE_MS)).toBe("ended by the server");
    expect(await within(revokedStreams.graphqlSseEnded, AT_ONCE_MS)).toBe("ended by the server");
    // The other key's streams are untouched.
    expect(await within(keptStreams.wsClosed, 500)).toBe("still open");
    expect(await within(keptStreams.sseEnded, 10)).toBe("still open");
    expect(await within(keptStreams.graphqlSseEnded, 10)).toBe("still open");
    keptStreams.stop();
  });
});
