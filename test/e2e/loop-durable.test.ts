// Waiting turns are data, not promises (SPEC §11): the REST shapes
// (client_tools, approval_required, pending_tool_calls, tool-results,
// tool-approvals, cancel), timeouts that fire exactly once, a SIGKILL while
// waiting followed by a restart that takes the answer, and an answer given to
// a second instance on the same PostgreSQL database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backends, postgresAvailable, postgresBackend } from "../support/backends.js";
import { startChild } from "../support/child.js";
import { eventually } from "../support/clients.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { collectSse } from "../support/sse.js";

type Ev = { id: string; type: string; sequence: number; ts: string; data: Record<string, any> };
const WEATHER = { name: "get_weather", parameters: { type: "object" } };
const say = (text: string, controls: Record<string, unknown> = {}) => ({ message: { content: [{ type: "text", text }] }, controls });

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The session's events (REST SSE, no deltas) until `done` holds; fails when it never does. */
async function eventsUntil(url: string, sessionId: string, done: (all: Ev[]) => boolean, timeoutMs = 20_000): Promise<Ev[]> {
  const events = await collectSse<Ev>(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0&exclude=output.message.delta`, (_, all) => done(all), {
    timeoutMs,
  });
  if (!done(events)) throw new Error(`condition never held; got ${events.map((e) => e.type).join(", ")}`);
  return events;
}
const idled = (n: number) => (all: Ev[]) => all.filter((e) => e.type === "session.idled").length >= n;
const waitingFor = async (url: string, sessionId: string, count = 1) =>
  eventually(
    async () => {
      const s = (await rest(url, "GET", `/v1/sessions/${sessionId}`)).body;
      return s.status === "waiting_for_tool_results" && s.pending_tool_calls.length >= count ? s : null;
    },
    20_000,
    "the session to wait",
  );
const lastAnswer = (events: Ev[]) =>
  events.filter((e) => e.type === "output.message.completed").at(-1)!.data.message.content.map((p: { text?: string }) => p.text ?? "").join("");

for (const backend of await backends()) {
  describe(`durable waiting turns on ${backend.name}`, () => {
    // One server at a time: a second instance on the same PostgreSQL database
    // with the memory bus would take turns (and time calls out) that this
    // test's streams never hear about.
    const servers: TestServer[] = [];
    const start = async (overrides: Record<string, string>) => {
      const started = await startServer(backend, overrides);
      servers.push(started);
      return started;
    };
    afterEach(async () => {
      for (const s of servers.splice(0)) await s.close();
    });
    afterAll(() => backend.cleanup());

    it("REST: client_tools and approval_required controls, pending_tool_calls, tool-results and tool-approvals", async () => {
      const { url } = await start({ TOOL_WAIT_TIMEOUT_MS: "600000" });
      const session = (await rest(url, "POST", "/v1/sessions", {})).body;
      expect(session.pending_tool_calls).toEqual([]);
      const posted = await rest(url, "POST", `/v1/sessions/${session.id}/messages`, say("call get_weather {\"city\":\"Oslo\"}\ncall calculator {\"expression\":\"3*3\"}", {
        client_tools: [WEATHER],
        approval_required: ["calculator"],
      }));
      expect(posted.status).toBe(201);
      expect(posted.body.controls).toMatchObject({ client_tools: [{ name: "get_weather", description: null, parameters: { type: "object" } }], approval_required: ["calculator"] });
      const waiting = await waitingFor(url, session.id, 2);
      const [client, approval] = waiting.pending_tool_calls;
      expect(client).toEqual({
        tool_call: { id: expect.stringMatching(/^call_/), name: "get_weather", arguments: { city: "Oslo" } },
        kind: "client",
        turn_id: expect.stringMatching(/^turn_/),
        requested_at: expect.any(String),
        expires_at: expect.any(String),
      });
      expect(Date.parse(client.expires_at) - Date.parse(client.requested_at)).toBe(600_000);
      expect(approval).toMatchObject({ kind: "approval", tool_call: { name: "calculator" } });

      const bad = await rest(url, "POST", `/v1/sessions/${session.id}/tool-approvals`, { decisions: [{ tool_call_id: approval.tool_call.id, decision: "maybe" }] });
      expect(bad.status).toBe(422);
      const wrongKind = await rest(url, "POST", `/v1/sessions/${session.id}/tool-results`, { tool_results: [{ tool_call_id: approval.tool_call.id, content: [{ type: "text", text: "x" }] }] });
      expect(wrongKind.status).toBe(422);

      const approved = await rest(url, "POST", `/v1/sessions/${session.id}/tool-approvals`, { decisions: [{ tool_call_id: approval.tool_call.id, decision: "allow" }] });
      expect(approved.status).toBe(200);
      expect(approved.body.pending_tool_calls).toEqual([client]);
      const answered = await rest(url, "POST", `/v1/sessions/${session.id}/tool-results`, {
        tool_results: [{ tool_call_id: client.tool_call.id, content: [{ type: "text", text: "snow" }], is_error: false }],
      });
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({ id: session.id, pending_tool_calls: [] });
      expect(["active", "idle"]).toContain(answered.body.status);
      const events = await eventsUntil(url, session.id, idled(1));
      expect(lastAnswer(events)).toBe("The answer is snow; 9.");
      const again = await rest(url, "POST", `/v1/sessions/${session.id}/tool-results`, {
        tool_results: [{ tool_call_id: client.tool_call.id, content: [{ type: "text", text: "snow" }] }],
      });
      expect(again.status).toBe(200);
      const conflict = await rest(url, "POST", `/v1/sessions/${session.id}/tool-approvals`, { decisions: [{ tool_call_id: approval.tool_call.id, decision: "reject" }] });
      expect(conflict.status).toBe(409);

      // REST cancel on a waiting turn.
      await rest(url, "POST", `/v1/sessions/${session.id}/messages`, say("call get_weather", { client_tools: [WEATHER] }));
      await waitingFor(url, session.id);
      expect((await rest(url, "POST", `/v1/sessions/${session.id}/cancel`)).body).toEqual({ status: "cancelled" });
      const after = await eventsUntil(url, session.id, idled(2));
      expect(after.slice(-3).map((e) => [e.type, e.data.error ?? e.data.reason ?? null])).toEqual([
        ["tool.completed", "cancelled"],
        ["turn.cancelled", "cancelled by client"],
        ["session.idled", null],
      ]);
      expect((await rest(url, "GET", `/v1/sessions/${session.id}`)).body).toMatchObject({ status: "idle", pending_tool_calls: [] });
    });

    it("timeout: a call still waiting at expires_at ends once as tool.completed error timeout, and the turn goes on", async () => {
      // Long enough to answer the first call on a loaded machine, short enough to watch the second expire.
      const { url } = await start({ TOOL_WAIT_TIMEOUT_MS: "3000" });
      const session = (await rest(url, "POST", "/v1/sessions", {})).body;
      await rest(url, "POST", `/v1/sessions/${session.id}/messages`, say("call get_weather\ncall get_weather", { client_tools: [WEATHER] }));
      const waiting = await waitingFor(url, session.id, 2);
      const [first, second] = waiting.pending_tool_calls;
      await rest(url, "POST", `/v1/sessions/${session.id}/tool-results`, { tool_results: [{ tool_call_id: first.tool_call.id, content: [{ type: "text", text: "in time" }] }] });
      const events = await eventsUntil(url, session.id, idled(1), 25_000);
      const completed = events.filter((e) => e.type === "tool.completed");
      expect(completed.map((e) => [e.data.tool_call_id, e.data.status, e.data.error])).toEqual([
        [first.tool_call.id, "success", null],
        [second.tool_call.id, "error", "timeout"],
      ]);
      expect(Date.parse(completed[1]!.ts)).toBeGreaterThanOrEqual(Date.parse(second.expires_at));
      expect(events.filter((e) => e.type === "turn.resumed")).toHaveLength(1);
      expect(lastAnswer(events)).toBe("I could not work that out: in time; timeout.");
      const late = await rest(url, "POST", `/v1/sessions/${session.id}/tool-results`, { tool_results: [{ tool_call_id: second.tool_call.id, content: [{ type: "text", text: "late" }] }] });
      expect(late.status).toBe(409);
    });
  });

  describe(`a wait survives a crash on ${backend.name}`, () => {
    // A database of its own: the describe above drops its one when it ends.
    const db = backend.name === "postgres" ? postgresBackend() : backend;
    afterAll(() => db.cleanup());

    it("SIGKILL while waiting; the restarted server takes the answer and the turn completes", async () => {
      let env: Record<string, string>;
      if (db.databaseUrl) {
        await (await db.open()).close();
        env = { DATABASE_URL: db.databaseUrl, TURN_LEASE_MS: "1000" };
      } else {
        const dir = mkdtempSync(join(tmpdir(), "parley-wait-"));
        dirs.push(dir);
        env = { DATA_DIR: dir };
      }
      const first = await startChild({ ...env, DEMO_DELAY_MS: "0" });
      const session = (await rest(first.url, "POST", "/v1/sessions", {})).body;
      await rest(first.url, "POST", `/v1/sessions/${session.id}/messages`, say("call get_weather", { client_tools: [WEATHER] }));
      const waiting = await waitingFor(first.url, session.id);
      first.process.kill("SIGKILL");
      expect(await first.exited).toBe("SIGKILL");

      const second = await startChild({ ...env, DEMO_DELAY_MS: "0" });
      try {
        // Still waiting after the restart: the wait was never a promise in the dead process.
        expect((await rest(second.url, "GET", `/v1/sessions/${session.id}`)).body).toMatchObject({
          status: "waiting_for_tool_results",
          pending_tool_calls: waiting.pending_tool_calls,
        });
        const answered = await rest(second.url, "POST", `/v1/sessions/${session.id}/tool-results`, {
          tool_results: [{ tool_call_id: waiting.pending_tool_calls[0].tool_call.id, content: [{ type: "text", text: "after restart" }] }],
        });
        expect(answered.status).toBe(200);
        const events = await eventsUntil(second.url, session.id, idled(1), 30_000);
        const types = events.map((e) => e.type);
        expect(types.slice(types.indexOf("tool.call_requested"))).toEqual([
          "tool.call_requested",
          "tool.completed",
          "turn.resumed",
          "output.message.started",
          "output.message.completed",
          "turn.completed",
          "session.idled",
        ]);
        expect(lastAnswer(events)).toBe("The answer is after restart.");
        expect(events.map((e) => e.sequence)).toEqual([...new Set(events.map((e) => e.sequence))].sort((x, y) => x - y));
      } finally {
        second.process.kill("SIGTERM");
        await second.exited;
      }
    }, 120_000);
  });
}

describe.skipIf(!(await postgresAvailable()))("two instances on one PostgreSQL database", () => {
  const backend = postgresBackend();
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
    await backend.cleanup();
  });

  it("a turn that waits on instance A resumes when instance B gets the approval; the approved tool runs once", async () => {
    const a = await startServer(backend, { TOOL_WAIT_TIMEOUT_MS: "600000" });
    servers.push(a);
    const b = await startServer(backend, { TOOL_WAIT_TIMEOUT_MS: "600000" });
    servers.push(b);
    const session = (await rest(a.url, "POST", "/v1/sessions", {})).body;
    await rest(a.url, "POST", `/v1/sessions/${session.id}/messages`, say('call calculator {"expression":"20+22"}', { approval_required: ["*"] }));
    const waiting = await waitingFor(a.url, session.id);
    const decided = await rest(b.url, "POST", `/v1/sessions/${session.id}/tool-approvals`, {
      decisions: [{ tool_call_id: waiting.pending_tool_calls[0].tool_call.id, decision: "allow" }],
    });
    expect(decided.status).toBe(200);
    const events = await eventsUntil(b.url, session.id, idled(1));
    expect(events.filter((e) => e.type === "tool.started")).toHaveLength(1);
    expect(lastAnswer(events)).toBe("The answer is 42.");
    // A sees the same log.
    expect((await eventsUntil(a.url, session.id, idled(1))).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});
