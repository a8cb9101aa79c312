// An unexpected error in the middle of an event stream, on every transport
// (REST SSE, GraphQL SSE, graphql-ws): the client sees the masked message with
// the request id, never the raw cause, and the log has one error line with that
// request id and the real cause. No mocks: the Event table disappears under
// the running app between the session check and the replay, so the stream's
// first read fails the way a lost database would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { subscribeSse, subscribeWs, wsClient, type Result } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { captureLogs } from "../support/logs.js";
import { readSse } from "../support/sse.js";
import { startServer, type TestServer } from "../support/server.js";

const SUBSCRIPTION = `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) { sequence } }`;
/** What the cause looks like (the missing table's name, SQL words): none of it may reach a client. */
const RAW_CAUSE = /Event_gone|relation|does not exist|exist|prisma|SELECT|stack/i;

for (const backend of await backends()) {
  describe(`an unexpected error inside an event stream on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    const { lines: logLines, logger } = captureLogs();

    beforeAll(async () => {
      server = await startServer(backend, {}, { logger });
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    /** Runs `body` with the Event table gone (the session check still passes, the replay fails). */
    const withoutEventTable = async <T>(body: () => Promise<T>): Promise<T> => {
      const prisma = server.app.db.prisma;
      await prisma.$executeRawUnsafe(`ALTER TABLE "Event" RENAME TO "Event_gone"`);
      try {
        return await body();
      } finally {
        await prisma.$executeRawUnsafe(`ALTER TABLE "Event_gone" RENAME TO "Event"`);
      }
    };

    const errorLineFor = (requestId: string) => logLines.find((line) => line.requestId === requestId && line.level === 50 && line.err);

    const expectLoggedCause = (requestId: string) => {
      const logged = errorLineFor(requestId);
      expect(logged, `an error line with requestId ${requestId}`).toBeDefined();
      expect(logged!.err!.message).toMatch(/Event/);
      expect(logged!.err!.stack).toBeTruthy();
      expect(logLines.filter((line) => line.requestId === requestId && line.level >= 50), "logged once").toHaveLength(1);
    };

    it("REST SSE: an `error` frame with the masked {error, status}; the log line has the request id", async () => {
      const sessionId = await createSession(url);
      const frames = await withoutEventTable(async () => {
        const seen = [];
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 15_000);
        try {
          for await (const frame of readSse(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, { signal: controller.signal, headers: { "x-request-id": "sse-masked-1" } })) {
            seen.push(frame);
          }
        } finally {
          clearTimeout(timer);
        }
        return seen;
      });
      expect(frames).toEqual([{ event: "error", data: expect.any(String) }]);
      expect(JSON.parse(frames[0]!.data)).toEqual({ error: "Internal server error", status: 500 });
      expect(frames[0]!.data).not.toMatch(RAW_CAUSE);
      expectLoggedCause("sse-masked-1");
    });

    it("GraphQL SSE: a result with the masked INTERNAL_SERVER_ERROR and the request id, then the stream completes", async () => {
      const sessionId = await createSession(url);
      const results = await withoutEventTable(async () => {
        const sub = subscribeSse(url, SUBSCRIPTION, { s: sessionId }, { "x-request-id": "gql-sse-masked-1" });
        await sub.completed;
        return sub.results;
      });
      expect(results).toEqual([
        { errors: [expect.objectContaining({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR", status: 500, requestId: "gql-sse-masked-1" } })] },
      ] satisfies Result<unknown>[]);
      expect(JSON.stringify(results)).not.toMatch(RAW_CAUSE);
      expectLoggedCause("gql-sse-masked-1");
    });

    it("graphql-ws: the same masked result with a request id that the log line carries, then the operation completes", async () => {
      const sessionId = await createSession(url);
      const client = wsClient(url);
      try {
        const results = await withoutEventTable(async () => {
          const sub = subscribeWs(client, SUBSCRIPTION, { s: sessionId });
          await sub.completed;
          return sub.results;
        });
        expect(results).toEqual([
          { errors: [expect.objectContaining({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR", status: 500, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } })] },
        ]);
        expect(JSON.stringify(results)).not.toMatch(RAW_CAUSE);
        expectLoggedCause(results[0]!.errors![0]!.extensions!.requestId!);
      } finally {
        await client.dispose();
      }
    });
  });
}
