// Fuzzing every input slot a client controls, on both backends: hostile
// values (NUL, lone surrogates, huge and negative numbers, wrong JSON types,
// deep JSON, bogus cursors and enums) in every REST body field (sessions,
// messages, agents, fork), query
// parameter and path id, and in every GraphQL argument and input field. No
// input may cause an internal error (HTTP 500 or a masked
// INTERNAL_SERVER_ERROR), and a rejected request stores nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { eventually, gql } from "../support/clients.js";
import { createSession } from "../support/fixtures.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

const deep = (levels: number): unknown => (levels === 0 ? 1 : { a: deep(levels - 1) });
const cursor = (text: string) => Buffer.from(text).toString("base64url");

/** Values that have broken servers before: each goes into every slot. */
const HOSTILE: unknown[] = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00y",
  "",
  " ",
  "🙂",
  "x".repeat(70_000),
  "' OR 1=1 --",
  "%00",
  "../../etc/passwd",
  "session_zz",
  -1,
  0,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 63),
  true,
  null,
  [],
  ["\u0000"],
  {},
  { "\u0000": 1 },
  deep(40),
];
/** Values for query parameters and cursors (strings only travel there). */
const HOSTILE_PARAMS = [
  "\u0000",
  "%00",
  "%ud800",
  "\ud800",
  "-1",
  "1.5",
  "99999999999999999999",
  "2147483648",
  "bogus",
  "tool",
  "TOOL_RESULT",
  "x".repeat(5000),
  cursor("999999999999999"),
  cursor("-5"),
  cursor("2147483648"),
  "!!!",
  "event_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
];

/** Sets `value` at a dotted path in a copy of `base` (numeric segments index arrays). */
function withValue(base: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy;
}

const TEXT_MESSAGE = { message: { role: "user", content: [{ type: "text", text: "hi" }] } };
const REST_MESSAGE_SLOTS = [
  "message", "message.role", "message.content", "message.content.0", "message.content.0.type", "message.content.0.text",
  "controls", "controls.model_id", "controls.reasoning", "controls.error_disclosure", "controls.hints", "controls.locale",
  "controls.max_tokens", "external_actor", "external_actor.actor_id", "external_actor.actor_name", "external_actor.metadata",
  "external_actor.source", "metadata", "tags", "client_message_id",
];
const IMAGE_MESSAGES = [
  { message: { content: [{ type: "image", url: "https://example.com/a.png" }] } },
  { message: { content: [{ type: "image", base64: "iVBORw0KGgo=", media_type: "image/png" }] } },
  { message: { content: [{ type: "image_file", image_id: "img_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b", filename: "a.png" }] } },
];
const IMAGE_SLOTS = ["message.content.0.url", "message.content.0.base64", "message.content.0.media_type", "message.content.0.image_id", "message.content.0.filename"];
const SESSION_SLOTS = ["title", "locale", "model_id", "agent_id", "hints", "tags", "metadata"];
const AGENT = { name: "Fuzzed", client_tools: [{ name: "pick", parameters: { type: "object" } }] };
const AGENT_SLOTS = ["name", "description", "instructions", "model_id", "tools", "approval_required", "client_tools", "client_tools.0.name", "client_tools.0.parameters", "max_iterations"];

const GQL_MESSAGE = { sessionId: "", message: { content: [{ text: { text: "hi" } }] } };
const GQL_MESSAGE_SLOTS = [
  "message.content.0.text.text", "message.role", "metadata", "tags", "idempotencyKey", "controls", "controls.modelId",
  "controls.hints", "controls.locale", "controls.maxTokens", "controls.errorDisclosure", "controls.reasoning",
  "externalActor", "externalActor.actorId", "externalActor.metadata",
];
const GQL_SESSION_SLOTS = ["title", "locale", "modelId", "hints", "tags", "metadata"];
const CREATE_MESSAGE = `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`;
const CREATE_SESSION = `mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`;
const UPDATE_SESSION = `mutation($input: UpdateSessionInput!) { updateSession(input: $input) { id } }`;

for (const backend of await backends()) {
  describe(`fuzzed inputs on ${backend.name}`, { timeout: 600_000 }, () => {
    let server: TestServer;
    let url: string;
    let sessionId: string;
    let failures: string[] = [];

    const counts = async () => {
      const prisma = server.app.db.prisma;
      const [sessions, events, messages, images] = await Promise.all([
        prisma.session.count(), prisma.event.count(), prisma.message.count(), prisma.image.count(),
      ]);
      return { sessions, events, messages, images, agents: await prisma.agent.count() };
    };

    /** No turn queued or running anywhere. */
    const idle = () =>
      eventually(async () => (await server.app.db.prisma.turn.count({ where: { status: { in: ["QUEUED", "RUNNING"] } } })) === 0, 30_000, "turns to end");

    /** Runs one request; records an internal error, or a rejection that stored something. */
    async function probe(label: string, send: () => Promise<{ accepted: boolean; internal: string | null }>) {
      const before = await counts();
      let outcome;
      try {
        outcome = await send();
      } catch (error) {
        failures.push(`${label}: request failed (${(error as Error).message})`);
        return;
      }
      if (outcome.internal) failures.push(`${label}: ${outcome.internal}`);
      if (outcome.accepted) {
        await idle(); // an accepted message's turn must end before the next count
      } else {
        const after = await counts();
        if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${label}: rejected but stored ${JSON.stringify({ before, after })}`);
      }
    }

    const restProbe = (method: string, path: string, body?: unknown) => async () => {
      const res = await rest(url, method, path, body);
      return { accepted: res.status < 300, internal: res.status >= 500 ? `HTTP ${res.status} ${res.text.slice(0, 200)}` : null };
    };
    const gqlProbe = (query: string, variables: Record<string, unknown>) => async () => {
      const res = await gql(url, query, variables);
      const internal = res.status >= 500 || res.errors?.some((e) => e.extensions?.code === "INTERNAL_SERVER_ERROR");
      return { accepted: !res.errors?.length, internal: internal ? `HTTP ${res.status} ${JSON.stringify(res.errors).slice(0, 200)}` : null };
    };
    const show = (v: unknown) => JSON.stringify(v)?.slice(0, 40);

    beforeAll(async () => {
      server = await startServer(backend);
      url = server.url;
      sessionId = await createSession(url);
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });
    beforeEach(() => {
      failures = [];
    });

    it("REST bodies: every field of sessions and messages", async () => {
      for (const value of HOSTILE) {
        for (const slot of SESSION_SLOTS) {
          await probe(`POST /v1/sessions ${slot}=${show(value)}`, restProbe("POST", "/v1/sessions", { [slot]: value }));
          await probe(`PATCH /v1/sessions ${slot}=${show(value)}`, restProbe("PATCH", `/v1/sessions/${sessionId}`, { [slot]: value }));
        }
        for (const slot of REST_MESSAGE_SLOTS) {
          await probe(`POST messages ${slot}=${show(value)}`, restProbe("POST", `/v1/sessions/${sessionId}/messages`, withValue(TEXT_MESSAGE, slot, value)));
        }
        for (const [i, slot] of IMAGE_SLOTS.entries()) {
          const base = IMAGE_MESSAGES[Math.min(i, 2)]!;
          if (!JSON.stringify(base).includes(slot.split(".").at(-1)!)) continue;
          await probe(`POST messages ${slot}=${show(value)}`, restProbe("POST", `/v1/sessions/${sessionId}/messages`, withValue(base, slot, value)));
        }
        for (const slot of AGENT_SLOTS) {
          await probe(`POST /v1/agents ${slot}=${show(value)}`, restProbe("POST", "/v1/agents", withValue(AGENT, slot, value)));
        }
        await probe(`POST /v1/sessions body=${show(value)}`, restProbe("POST", "/v1/sessions", value));
        await probe(`POST fork at_sequence=${show(value)}`, restProbe("POST", `/v1/sessions/${sessionId}/fork`, { at_sequence: value }));
      }
      expect(failures).toEqual([]);
    });

    it("REST query parameters and path ids", async () => {
      for (const raw of HOSTILE_PARAMS) {
        // A lone surrogate cannot be percent-encoded as UTF-8: send the bytes a broken client would.
        const p = raw === "\ud800" ? "%ED%A0%80" : encodeURIComponent(raw);
        for (const name of ["status", "tag", "limit", "after"]) await probe(`GET /v1/sessions?${name}=${show(raw)}`, restProbe("GET", `/v1/sessions?${name}=${p}`));
        for (const name of ["role", "limit", "after"]) {
          await probe(`GET messages?${name}=${show(raw)}`, restProbe("GET", `/v1/sessions/${sessionId}/messages?${name}=${p}`));
        }
        for (const path of [`/v1/sessions/${p}`, `/v1/sessions/${p}/messages`, `/v1/images/${p}`, `/v1/images/${p}/content`]) {
          await probe(`GET ${path.slice(0, 60)}`, restProbe("GET", path));
        }
        await probe(`POST cancel ${show(raw)}`, restProbe("POST", `/v1/sessions/${p}/cancel`, {}));
        for (const name of ["since_id", "after_sequence", "types", "exclude"]) {
          await probe(`SSE ?${name}=${show(raw)}`, async () => {
            const res = await fetch(`${url}/v1/sessions/${sessionId}/sse?${name}=${p}`, { signal: AbortSignal.timeout(10_000) });
            await res.body?.cancel();
            return { accepted: false, internal: res.status >= 500 ? `HTTP ${res.status}` : null };
          });
        }
      }
      expect(failures).toEqual([]);
    });

    it("REST raw bodies: invalid UTF-8 and malformed JSON are 400, never replaced and stored", async () => {
      const bad = Buffer.concat([Buffer.from('{"message":{"content":[{"type":"text","text":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}}')]);
      await probe("invalid UTF-8 body", async () => {
        const res = await fetch(`${url}/v1/sessions/${sessionId}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: bad });
        const text = await res.text();
        return { accepted: res.status < 300, internal: res.status === 400 ? null : `expected 400, got ${res.status} ${text.slice(0, 120)}` };
      });
      expect(failures).toEqual([]);
    });

    it("GraphQL input fields and arguments", async () => {
      for (const value of HOSTILE) {
        for (const slot of GQL_MESSAGE_SLOTS) {
          await probe(`createMessage ${slot}=${show(value)}`, gqlProbe(CREATE_MESSAGE, { input: withValue({ ...GQL_MESSAGE, sessionId }, slot, value) as object }));
        }
        for (const slot of GQL_SESSION_SLOTS) {
          await probe(`createSession ${slot}=${show(value)}`, gqlProbe(CREATE_SESSION, { input: { [slot]: value } }));
          await probe(`updateSession ${slot}=${show(value)}`, gqlProbe(UPDATE_SESSION, { input: { id: sessionId, [slot]: value } }));
        }
      }
      for (const raw of HOSTILE_PARAMS) {
        await probe(`sessions(tag:) ${show(raw)}`, gqlProbe(`query($t: String) { sessions(tag: $t) { totalCount } }`, { t: raw }));
        await probe(`sessions(after:) ${show(raw)}`, gqlProbe(`query($a: String) { sessions(first: 2, after: $a) { totalCount } }`, { a: raw }));
        await probe(`messages(after:) ${show(raw)}`, gqlProbe(`query($s: ID!, $a: String) { session(id: $s) { messages(after: $a) { totalCount } } }`, { s: sessionId, a: raw }));
        await probe(`messages(before:) ${show(raw)}`, gqlProbe(`query($s: ID!, $a: String) { session(id: $s) { messages(last: 3, before: $a) { totalCount } } }`, { s: sessionId, a: raw }));
        await probe(`events(types:) ${show(raw)}`, gqlProbe(`query($s: ID!, $t: [String!]) { session(id: $s) { events(types: $t) { sequence } } }`, { s: sessionId, t: [raw] }));
        for (const field of ["node", "session", "message"]) {
          await probe(`${field}(id:) ${show(raw)}`, gqlProbe(`query($id: ID!) { ${field}(id: $id) { __typename } }`, { id: raw }));
        }
        await probe(`sessionEvents(types:) over SSE ${show(raw)}`, async () => {
          const res = await fetch(`${url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "text/event-stream" },
            body: JSON.stringify({ query: `subscription($s: ID!, $t: [String!]) { sessionEvents(sessionId: $s, after: 0, types: $t) { sequence } }`, variables: { s: sessionId, t: [raw] } }),
            signal: AbortSignal.timeout(10_000),
          });
          const reader = res.body!.getReader();
          const first = new TextDecoder().decode((await reader.read()).value);
          await reader.cancel();
          return { accepted: false, internal: res.status >= 500 || first.includes("INTERNAL_SERVER_ERROR") ? first.slice(0, 200) : null };
        });
      }
      expect(failures).toEqual([]);
    });
  });
}
