// Fork (SPEC §11) through GraphQL and REST, with API keys, on both backends:
// the copied log keeps its sequences and gets new ids mapped consistently,
// the boundary rule, CONFLICT while a turn runs, tenancy, and a fork that
// goes on like any session.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { backends } from "../support/backends.js";
import { startServer, type TestServer } from "../support/server.js";
import { eventually, gql, gqlData, subscribeWs, wsClient } from "../support/clients.js";
import { createSession, DEMO_MODEL_ID, sendText, settled, UNKNOWN } from "../support/fixtures.js";
import { rest, withoutId } from "../support/http.js";

type Headers = Record<string, string>;
interface Ev {
  id: string;
  sequence: number;
  type: string;
  context: { turnId: string | null; inputMessageId: string | null };
  data: Record<string, any>;
  message: { id: string } | null;
}
interface Msg {
  id: string;
  role: string;
  sequence: number;
  turnId: string | null;
  content: Record<string, any>[];
}

const SESSION = `id title status locale modelId hints tags metadata lastSequence forkedFromSequence forkedFrom { id }`;
const FORK = `mutation($input: ForkSessionInput!) { forkSession(input: $input) { ${SESSION} } }`;
const LOG = `query($id: ID!) { session(id: $id) { ${SESSION}
  events(first: 120) { id sequence type context { turnId inputMessageId } data message { id } }
  messages(first: 30) { nodes { id role sequence turnId content { __typename
    ... on TextPart { text }
    ... on ToolCallPart { id name arguments }
    ... on ToolResultPart { toolCallId isError content { ... on TextPart { text } } } } } } } }`;

const RENEWED = /^(session|message|event|turn)_[0-9a-f]{32}$/;

/**
 * Walks a source value and its copy side by side: renewed ids (session_,
 * message_, event_, turn_) must differ and map one-to-one across the whole
 * log; everything else (tool-call ids, model ids, text) must be equal.
 */
class IdMapping {
  readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, string>();

  match(source: unknown, copy: unknown, path = "$"): void {
    if (typeof source === "string" && RENEWED.test(source)) {
      expect(typeof copy, path).toBe("string");
      expect(copy, `${path} keeps an old id`).not.toBe(source);
      expect((copy as string).split("_")[0], path).toBe(source.split("_")[0]);
      const known = this.forward.get(source);
      if (known) expect(copy, `${path}: ${source} mapped inconsistently`).toBe(known);
      const knownBack = this.backward.get(copy as string);
      if (knownBack) expect(knownBack, `${path}: two ids mapped to ${copy}`).toBe(source);
      this.forward.set(source, copy as string);
      this.backward.set(copy as string, source);
    } else if (Array.isArray(source)) {
      expect(Array.isArray(copy) && copy.length, path).toBe(source.length);
      source.forEach((v, i) => this.match(v, (copy as unknown[])[i], `${path}[${i}]`));
    } else if (source && typeof source === "object") {
      expect(Object.keys(copy as object).sort(), path).toEqual(Object.keys(source).sort());
      for (const [k, v] of Object.entries(source)) this.match(v, (copy as Record<string, unknown>)[k], `${path}.${k}`);
    } else {
      expect(copy, path).toEqual(source);
    }
  }
}

for (const backend of await backends()) {
  describe(`forkSession on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let A: Headers;
    let B: Headers;
    let client: Client;
    /** A session with three turns: plain, calculator, plain (the first one sent with an idempotency key). */
    let source: string;
    let idled: number[];

    const log = async (id: string, headers = A) => (await gqlData(url, LOG, { id }, headers)).session as Record<string, any> & { events: Ev[]; messages: { nodes: Msg[] } };
    const fork = (input: Record<string, unknown>, headers = A) => gql(url, FORK, { input }, headers);
    const forkData = async (input: Record<string, unknown>) => {
      const res = await fork(input);
      expect(res.errors).toBeUndefined();
      return res.data.forkSession as Record<string, any>;
    };
    const send = (sessionId: string, text: string, extra: Record<string, unknown> = {}) => sendText(url, sessionId, text, extra, A);
    const settle = (sessionId: string) => settled(url, sessionId, 200, A);

    beforeAll(async () => {
      // Deltas 10 ms apart: a long reply keeps a turn running for a while.
      server = await startServer(backend, { AUTH: "api_key", DEMO_DELAY_MS: "10" });
      url = server.url;
      A = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant A")).key}` };
      B = { authorization: `Bearer ${(await server.app.store.apiKeys.create("tenant B")).key}` };
      client = wsClient(url, { authorization: A.authorization });

      source = await createSession(url, { title: "Trip", locale: "uk-UA", modelId: DEMO_MODEL_ID, hints: { tone: "brief" }, tags: ["travel", "x"], metadata: { crm: 7 } }, A);
      for (const [i, text] of ["hello there", "what is 12*(3+4)?", "thanks, bye"].entries()) {
        await send(source, text, i === 0 ? { idempotencyKey: "first-question" } : {});
        await settle(source);
      }
      idled = (await log(source)).events.filter((e) => e.type === "session.idled").map((e) => e.sequence);
      expect(idled).toHaveLength(3);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    it("forks the whole log by default: same sequences and content, new ids mapped consistently, then session.forked", async () => {
      const before = await log(source);
      const forked = await forkData({ sessionId: source });
      expect(forked).toMatchObject({
        title: "Trip (fork)",
        status: "IDLE",
        locale: "uk-UA",
        modelId: DEMO_MODEL_ID,
        hints: { tone: "brief" },
        tags: ["travel", "x"],
        metadata: null,
        lastSequence: before.lastSequence + 1,
        forkedFromSequence: before.lastSequence,
        forkedFrom: { id: source },
      });
      expect(forked.id).not.toBe(source);

      const after = await log(forked.id);
      const copied = after.events.slice(0, -1);
      expect(copied.map((e) => [e.sequence, e.type])).toEqual(before.events.map((e) => [e.sequence, e.type]));
      expect(after.events.at(-1)).toMatchObject({
        sequence: before.lastSequence + 1,
        type: "session.forked",
        data: { forked_from_session_id: source, forked_from_sequence: before.lastSequence },
      });

      // Every id inside the copy is new and mapped one-to-one; tool-call and model ids stay.
      const ids = new IdMapping();
      ids.match(source, forked.id);
      before.events.forEach((e, i) => ids.match({ id: e.id, context: e.context, data: e.data }, { id: copied[i]!.id, context: copied[i]!.context, data: copied[i]!.data }, `event ${e.sequence}`));
      const call = before.events.find((e) => e.type === "tool.started")!.data.tool_call;
      expect(call.id).toMatch(/^call_/);
      expect(after.events.find((e) => e.type === "tool.started")!.data.tool_call).toEqual(call);
      expect(after.events.find((e) => e.type === "output.message.started")!.data.model).toBe("demo");

      // Messages read back equal, with the remapped ids, and each event's message is the fork's own.
      const [was, is] = [before.messages.nodes, after.messages.nodes];
      expect(is.map((m) => [m.role, m.sequence, m.content])).toEqual(was.map((m) => [m.role, m.sequence, m.content]));
      was.forEach((m, i) => {
        expect(is[i]!.id).toBe(ids.forward.get(m.id));
        expect(is[i]!.turnId).toBe(ids.forward.get(m.turnId!));
      });
      for (const e of copied) if (e.message) expect(e.message.id).not.toBe(before.events[e.sequence - 1]!.message!.id);
      const toolCompleted = after.events.find((e) => e.type === "tool.completed")!;
      const toolMessage = is.find((m) => m.role === "TOOL_RESULT")!;
      expect(toolCompleted.data.message_id).toBe(toolMessage.id);
      expect(toolCompleted.message!.id).toBe(toolMessage.id);
      expect(toolMessage.content[0]).toMatchObject({ __typename: "ToolResultPart", toolCallId: call.id, content: [{ text: "84" }] });
      const single = await gqlData(url, `query($id: ID!) { message(id: $id) { id sessionId sequence } }`, { id: toolMessage.id }, A);
      expect(single.message).toEqual({ id: toolMessage.id, sessionId: forked.id, sequence: toolMessage.sequence });

      // The ended turns are copied (new ids, same statuses, no idempotency keys); the source is untouched.
      const turns = await server.app.db.prisma.turn.findMany({ where: { sessionId: forked.id }, orderBy: { createdAt: "asc" } });
      const sourceTurns = await server.app.db.prisma.turn.findMany({ where: { sessionId: source }, orderBy: { createdAt: "asc" } });
      expect(turns.map((t) => [t.id, t.inputMessageId, t.status, t.idempotencyKey])).toEqual(
        sourceTurns.map((t) => [ids.forward.get(t.id), ids.forward.get(t.inputMessageId), t.status, null]),
      );
      expect((await log(source)).lastSequence).toBe(before.lastSequence);
    });

    it("forks at 1 over REST: 201, status started, only session.started and session.forked", async () => {
      const res = await rest(url, "POST", `/v1/sessions/${source}/fork`, { at_sequence: 1, title: "Fresh start" }, A);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        title: "Fresh start",
        status: "started",
        locale: "uk-UA",
        model_id: DEMO_MODEL_ID,
        tags: ["travel", "x"],
        last_sequence: 2,
        forked_from_session_id: source,
        forked_from_sequence: 1,
      });
      expect(res.body.id).toMatch(/^session_[0-9a-f]{32}$/);
      const got = await rest(url, "GET", `/v1/sessions/${res.body.id}`, undefined, A);
      expect(got.body).toMatchObject({ forked_from_session_id: source, forked_from_sequence: 1 });
      expect((await rest(url, "GET", `/v1/sessions/${source}`, undefined, A)).body).toMatchObject({ forked_from_session_id: null, forked_from_sequence: null });
      const after = await log(res.body.id);
      expect(after.events.map((e) => [e.sequence, e.type])).toEqual([[1, "session.started"], [2, "session.forked"]]);
      expect(after.events[0]!.data).toEqual({ model_id: DEMO_MODEL_ID });
      expect((await rest(url, "GET", `/v1/sessions/${res.body.id}/messages`, undefined, A)).body).toEqual({ data: [], total: 0 });
    });

    it("forks at a session.idled in the middle, and a new message on the fork runs a turn as usual (editing a question)", async () => {
      const before = await log(source);
      const forked = await forkData({ sessionId: source, atSequence: idled[0] });
      expect(forked).toMatchObject({ title: "Trip (fork)", status: "IDLE", lastSequence: idled[0]! + 1, forkedFromSequence: idled[0] });
      const after = await log(forked.id);
      expect(after.events.map((e) => e.type)).toEqual([...before.events.slice(0, idled[0]).map((e) => e.type), "session.forked"]);
      expect(after.messages.nodes.map((m) => m.role)).toEqual(["USER", "AGENT"]);
      expect(after.messages.nodes.map((m) => m.content)).toEqual(before.messages.nodes.slice(0, 2).map((m) => m.content));

      // The source's idempotency key was not copied: the same key on the fork is a new message.
      const edited = await send(forked.id, "hello again", { idempotencyKey: "first-question" });
      expect(edited.id).not.toBe(before.messages.nodes[0]!.id);
      await settle(forked.id);
      const resumed = await log(forked.id);
      expect(resumed.status).toBe("IDLE");
      const next = resumed.events.slice(idled[0]! + 1);
      expect(next.map((e) => e.sequence)).toEqual(next.map((_, i) => idled[0]! + 2 + i));
      expect(next.filter((e) => e.type !== "output.message.delta").map((e) => e.type)).toEqual([
        "input.message", "turn.started", "session.activated", "output.message.started", "output.message.completed", "turn.completed", "session.idled",
      ]);
      const answer = resumed.messages.nodes.at(-1)!;
      expect(answer.content[0]!.text).toMatch(/^You said: "hello again"/);
      expect((await log(source)).lastSequence).toBe(before.lastSequence);
    });

    it("refuses an atSequence that is not a boundary, is out of range, or has an earlier message still queued (VALIDATION_FAILED atSequence)", async () => {
      const last = (await log(source)).lastSequence;
      for (const atSequence of [2, idled[0]! - 1, last + 1, 0, -3]) {
        const res = await fork({ sessionId: source, atSequence });
        expect(res.errors?.[0]?.extensions, `atSequence ${atSequence}`).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field: "atSequence" });
        expect(res.data).toBeNull();
      }
      const viaRest = await rest(url, "POST", `/v1/sessions/${source}/fork`, { at_sequence: 2 }, A);
      expect(viaRest.status).toBe(422);
      expect(viaRest.body.error).toContain("atSequence");
      expect((await rest(url, "POST", `/v1/sessions/${source}/fork`, { at_sequence: "3" }, A)).status).toBe(422);

      // Two messages back to back: the second waits while the first turn runs, so the first
      // session.idled comes after it and is no boundary; the last one is.
      const queued = await createSession(url, {}, A);
      await send(queued, Array.from({ length: 30 }, (_, i) => `word${i}`).join(" "));
      await send(queued, "and a second question");
      await settle(queued);
      const { events } = await log(queued);
      const [firstIdled, lastIdled] = events.filter((e) => e.type === "session.idled").map((e) => e.sequence);
      const secondInput = events.filter((e) => e.type === "input.message")[1]!.sequence;
      expect(secondInput).toBeLessThan(firstIdled!);
      const refused = await fork({ sessionId: queued, atSequence: firstIdled });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "atSequence" });
      expect((await forkData({ sessionId: queued, atSequence: lastIdled })).forkedFromSequence).toBe(lastIdled);

      // Nothing was stored by the refused forks.
      const sessions = await gqlData(url, `{ sessions(first: 100) { nodes { forkedFrom { id } forkedFromSequence } } }`, {}, A);
      const forksOfQueued = sessions.sessions.nodes.filter((s: any) => s.forkedFrom?.id === queued);
      expect(forksOfQueued.map((s: any) => s.forkedFromSequence)).toEqual([lastIdled]);
    });

    it("answers CONFLICT to a default fork while a turn runs; an explicit boundary still forks", async () => {
      const busy = await createSession(url, { title: "Busy" }, A);
      await send(busy, "short one");
      await settle(busy);
      const boundary = (await log(busy)).lastSequence;
      await send(busy, Array.from({ length: 150 }, (_, i) => `w${i}`).join(" "));
      await eventually(async () => (await log(busy)).status === "ACTIVE", 10_000, "the long turn to run");

      const res = await fork({ sessionId: busy });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", status: 409 });
      expect((await rest(url, "POST", `/v1/sessions/${busy}/fork`, {}, A)).status).toBe(409);

      const atBoundary = await forkData({ sessionId: busy, atSequence: boundary });
      expect(atBoundary).toMatchObject({ title: "Busy (fork)", status: "IDLE", forkedFromSequence: boundary, lastSequence: boundary + 1 });
      expect((await log(busy)).status).toBe("ACTIVE"); // the fork did not disturb the running turn
      await gqlData(url, `mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`, { id: busy }, A);
      await settle(busy);
      expect((await forkData({ sessionId: busy })).forkedFromSequence).toBe((await log(busy)).lastSequence);
    });

    it("treats another key's session exactly like an unknown one (NOT_FOUND, REST 404), and a malformed id as INVALID_ID", async () => {
      const shape = async (id: string) => withoutId(await fork({ sessionId: id }, B), id);
      const owned = await shape(source);
      expect(owned.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", status: 404 });
      expect(owned).toEqual(await shape(UNKNOWN.session));
      const viaRest = await rest(url, "POST", `/v1/sessions/${source}/fork`, {}, B);
      expect(viaRest.status).toBe(404);
      expect(withoutId(viaRest.body, source)).toEqual(withoutId((await rest(url, "POST", `/v1/sessions/${UNKNOWN.session}/fork`, {}, B)).body, UNKNOWN.session));
      expect((await fork({ sessionId: "session_123" })).errors?.[0]?.extensions).toMatchObject({ code: "INVALID_ID", status: 400 });
      // B sees neither the fork's source through forkedFrom nor the fork itself.
      const mine = await forkData({ sessionId: source, atSequence: 1 });
      expect((await gqlData(url, `query($id: ID!) { session(id: $id) { id } }`, { id: mine.id }, B)).session).toBeNull();
    });

    it("replays a fork's log from 0 over graphql-ws, session.forked last; forkedFrom is null once the source is gone", async () => {
      const doomed = await createSession(url, { title: "Doomed" }, A);
      await send(doomed, "hi");
      await settle(doomed);
      const forked = await forkData({ sessionId: doomed });
      const sub = subscribeWs<{ sessionEvents: { sequence: number; type: string } }>(
        client,
        `subscription($id: ID!) { sessionEvents(sessionId: $id, after: 0) { sequence type } }`,
        { id: forked.id },
      );
      const results = await sub.until((rs) => rs.some((r) => r.data?.sessionEvents.type === "session.forked"));
      sub.stop();
      const evs = results.map((r) => r.data!.sessionEvents);
      expect(evs.map((e) => e.sequence)).toEqual(evs.map((_, i) => i + 1));
      expect(evs.at(-1)).toEqual({ sequence: forked.lastSequence, type: "session.forked" });
      expect(evs[0]!.type).toBe("session.started");

      await gqlData(url, `mutation($id: ID!) { deleteSession(id: $id) }`, { id: doomed }, A);
      const orphan = (await log(forked.id)) as Record<string, any>;
      expect(orphan.forkedFrom).toBeNull();
      expect(orphan.forkedFromSequence).toBe(forked.forkedFromSequence);
      expect(orphan.events).toHaveLength(forked.lastSequence);
    });

    it("leaves nothing behind when the fork fails part-way (one transaction)", async () => {
      const prisma = server.app.db.prisma;
      // Make the last step (copying the ended turns, after every event batch) fail in the database.
      await prisma.$executeRawUnsafe(`CREATE FUNCTION fork_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
      await prisma.$executeRawUnsafe(`CREATE TRIGGER fork_test_fail BEFORE INSERT ON "Turn" FOR EACH ROW WHEN (NEW."status" <> 'QUEUED') EXECUTE FUNCTION fork_test_fail()`);
      try {
        const counts = async () => Promise.all([prisma.session.count(), prisma.event.count(), prisma.message.count(), prisma.turn.count()]);
        const before = await counts();
        const res = await fork({ sessionId: source });
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
        expect(JSON.stringify(res.errors)).not.toContain("injected");
        expect(await counts()).toEqual(before);
      } finally {
        await prisma.$executeRawUnsafe(`DROP TRIGGER fork_test_fail ON "Turn"`);
        await prisma.$executeRawUnsafe(`DROP FUNCTION fork_test_fail()`);
      }
      expect((await forkData({ sessionId: source, atSequence: idled[1] })).forkedFromSequence).toBe(idled[1]);
    });

    it("forks a 5,000-event log in one transaction, in bounded batches", async () => {
      const big = await createSession(url, { title: "Long" }, A);
      // 250 synthetic turns of 20 events each (appended through the store: no agent runs them).
      const turn = (n: number) => {
        const turnId = `turn_0190${n.toString(16).padStart(28, "0")}`;
        const inputId = `message_0190${(2 * n).toString(16).padStart(28, "0")}`;
        const answerId = `message_0190${(2 * n + 1).toString(16).padStart(28, "0")}`;
        const ctx = { turnId, inputMessageId: inputId };
        const at = new Date().toISOString();
        const msg = (id: string, role: string, text: string) => ({ id, session_id: big, role, content: [{ type: "text", text }], turn_id: turnId, phase: role === "agent" ? "final_answer" : null, created_at: at });
        return [
          { type: "input.message", context: ctx, data: { message: msg(inputId, "user", `question ${n}`) } },
          { type: "turn.started", context: ctx, data: { turn_id: turnId, input_message_id: inputId } },
          { type: "session.activated", context: ctx, data: { turn_id: turnId, input_message_id: inputId } },
          { type: "output.message.started", context: ctx, data: { turn_id: turnId, message_id: answerId, model: "demo", iteration: 1 } },
          ...Array.from({ length: 13 }, (_, i) => ({ type: "output.message.delta", context: ctx, data: { turn_id: turnId, message_id: answerId, delta: `part ${i} ` } })),
          { type: "output.message.completed", context: ctx, data: { turn_id: turnId, message: msg(answerId, "agent", `answer ${n}`), usage: { input_tokens: 1, output_tokens: 2 } } },
          { type: "turn.completed", context: ctx, data: { turn_id: turnId, iterations: 1, duration_ms: 5, usage: { input_tokens: 1, output_tokens: 2 }, final_message_id: answerId } },
          { type: "session.idled", context: ctx, data: { turn_id: turnId, iterations: 1, usage: { input_tokens: 1, output_tokens: 2 } } },
        ];
      };
      const all = Array.from({ length: 250 }, (_, n) => turn(n)).flat();
      for (let i = 0; i < all.length; i += 500) await server.app.store.log.append(big, all.slice(i, i + 500));
      const last = (await log(big)).lastSequence;
      expect(last).toBe(5001);

      const started = performance.now();
      const forked = await forkData({ sessionId: big });
      const ms = performance.now() - started;
      console.log(`[fork] ${backend.name}: forked a ${last}-event log in ${ms.toFixed(0)} ms`);
      expect(forked).toMatchObject({ lastSequence: last + 1, status: "IDLE" });
      const counts = await gqlData(url, `query($id: ID!) { session(id: $id) { messages { totalCount } last: messages(last: 1) { nodes { id sequence content { ... on TextPart { text } } } } } }`, { id: forked.id }, A);
      expect(counts.session.messages.totalCount).toBe(500);
      expect(counts.session.last.nodes[0]).toMatchObject({ sequence: last - 2, content: [{ text: "answer 249" }] });
      expect(counts.session.last.nodes[0].id).not.toMatch(/^message_0190/);
    }, 120_000);
  });
}
