// What one message and its turn cost the database, counted through the real
// server (as the DataLoader test counts reads): the fixed statements of
// createMessage and a turn, plus the delta group writes (none when a step's
// deltas all come in its last tick: they go out with its end; fewer than one
// per tick when sessions batch). A regression that adds a statement fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { subscribeWs, wsClient } from "../support/clients.js";
import { createSession, sendText } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";
import { statementCounter } from "../support/statements.js";

const EVENTS = `subscription($sessionId: ID!) { sessionEvents(sessionId: $sessionId, after: 0) { type sequence } }`;

// createMessage: one statement (session, idempotency key, the session's line, the append with its queued turn).
// The turn: the claim (with its input, its session, its agent, the models it may pick and its history); step
// started (with turn.started and session.activated; no STEER came, so no look for steered messages); the end
// (the step's deltas, step completed, turn.completed, session.idled; nothing queued, so no look for a next turn).
// The window opens and closes once the database has gone quiet, so exactly one turn's statements are in it.
const FIXED = 1 + 1 + 1 + 1;
for (const backend of await backends()) {
  describe(`write-path statements on ${backend.name}`, () => {
    let server: TestServer;
    const statements = statementCounter();

    beforeAll(async () => {
      // No lease renewals or sweeps in the background while statements are counted.
      server = await startServer(backend, { TURN_LEASE_MS: "3600000", TOOL_WAIT_TIMEOUT_MS: "3600000" }, { onQuery: statements.onQuery });
    }, 60_000);
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    /** Resolves once no statement has run for 300 ms: the runner has finished asking for a next turn. */
    async function quiet(): Promise<void> {
      for (let last = -1; last !== statements.count; ) {
        last = statements.count;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }

    it(`a message and its demo turn cost exactly ${FIXED} statements, its deltas going out with the turn's end`, async () => {
      const sessionId = await createSession(server.url);
      const client = wsClient(server.url);
      // From the start of the log (a replay, then live): the first turn may end before the socket is up.
      const sub = subscribeWs<{ sessionEvents: { type: string; sequence: number } }>(client, EVENTS, { sessionId });
      const idled = (n: number) => (results: typeof sub.results) => results.filter((r) => r.data?.sessionEvents.type === "session.idled").length >= n;
      try {
        // A first turn warms everything up and proves the subscription is live.
        await sendText(server.url, sessionId, "warm up");
        await sub.until(idled(1));
        await quiet();
        const seen = sub.results.length;

        const before = statements.count;
        const deltaWritesBefore = statements.deltaWrites;
        await sendText(server.url, sessionId, "Please summarise the latest figures for the quarterly report and list the open questions.");
        await sub.until(idled(2));
        await quiet();
        const used = statements.count - before;
        const deltaWrites = statements.deltaWrites - deltaWritesBefore;

        const turn = sub.results.slice(seen).map((r) => r.data!.sessionEvents.type);
        const deltas = turn.filter((t) => t === "output.message.delta").length;
        expect(turn[0]).toBe("input.message");
        expect(deltas).toBeGreaterThan(1);
        expect(used).toBeGreaterThan(0); // the counter works
        expect(deltaWrites).toBe(0); // DEMO_DELAY_MS=0: every delta comes in the step's last tick
        expect(used).toBe(FIXED);
        console.log(`[${backend.name}] message + turn: ${used} statements (${deltaWrites} delta writes) for ${turn.length} events (${deltas} deltas)`);
      } finally {
        sub.stop();
        await client.dispose();
      }
    });
  });
}

// A busy session gets messages while its turn streams: each costs its one statement, and the running turn
// does not go to the database for them (only an INTERRUPT makes it look at its cancel flag).
for (const backend of await backends()) {
  describe(`messages queued behind a running turn on ${backend.name}`, () => {
    let server: TestServer;
    const statements = statementCounter();

    beforeAll(async () => {
      server = await startServer(backend, { DEMO_DELAY_MS: "150", TURN_LEASE_MS: "3600000", TOOL_WAIT_TIMEOUT_MS: "3600000" }, { onQuery: statements.onQuery });
    }, 60_000);
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("cost one statement each while the turn streams", async () => {
      const sessionId = await createSession(server.url);
      const client = wsClient(server.url);
      const sub = subscribeWs<{ sessionEvents: { type: string; sequence: number } }>(client, EVENTS, { sessionId });
      const types = () => sub.results.map((r) => r.data!.sessionEvents.type);
      try {
        await sendText(server.url, sessionId, "Please summarise the latest figures for the quarterly report and list the open questions.");
        await sub.until(() => types().includes("output.message.delta"));
        const before = statements.count - statements.deltaWrites;
        for (let i = 0; i < 5; i++) await sendText(server.url, sessionId, `queued ${i}`);
        const used = statements.count - statements.deltaWrites - before;
        await sub.until(() => types().includes("turn.completed"));
        // The five were logged while the first turn still streamed.
        const seen = types();
        expect(seen.lastIndexOf("input.message")).toBeLessThan(seen.indexOf("turn.completed"));
        expect(used).toBe(5);
      } finally {
        sub.stop();
        await client.dispose();
      }
    });
  });
}

