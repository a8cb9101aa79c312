// Typed event payloads (SPEC §12): the schema's EventPayload union, the SPEC
// example subscription over graphql-ws, and every catalogued event type
// resolving to its member with the values of its `data`, on both backends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { getNamedType, isObjectType, isUnionType, type GraphQLObjectType } from "graphql";
import { EVENT_PAYLOADS, PAYLOAD_FIELDS, payloadTypeName, type PayloadField } from "../../src/domain/event-payloads.js";
import { newId } from "../../src/ids.js";
import { schema } from "../../src/graphql/schema.js";
import { backends } from "../support/backends.js";
import { startServer, type TestServer } from "../support/server.js";
import { gqlData, subscribeWs, wsClient, type Result } from "../support/clients.js";
import { createSession, sendText, settled } from "../support/fixtures.js";

// SPEC §12's example, verbatim.
const SPEC_EXAMPLE = `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) {
  sequence type
  payload { __typename ... on OutputMessageDeltaPayload { messageId delta }
                       ... on ToolCallRequestedPayload { kind toolCall { id name arguments } } } } }`;

/** A selection of every member's every field, generated from the catalogue (one document for all). */
const selection = (f: PayloadField, name: string) =>
  ({
    Message: `${name} { id }`,
    ToolCall: `${name} { id name arguments }`,
    ToolResults: `${name} { __typename ... on TextPart { text } }`,
    Usage: `${name} { inputTokens outputTokens }`,
  })[f.kind as string] ?? name;
const ALL_PAYLOADS = `payload { __typename
  ${Object.entries(EVENT_PAYLOADS)
    .map(([type, entry]) => `... on ${payloadTypeName(type)} { ${entry.fields.map((n) => selection(PAYLOAD_FIELDS[n], n)).join(" ")} }`)
    .join("\n  ")}
  ... on UnknownPayload { type data } }`;
const EVENT_FIELDS = `id sequence type data message { id } ${ALL_PAYLOADS}`;

interface Ev {
  sequence: number;
  type: string;
  data: Record<string, any>;
  message: { id: string } | null;
  payload: Record<string, any>;
}

/** What a payload field must read for an event, worked out from its stored data. */
function expectedField(ev: Ev, f: PayloadField): unknown {
  const value = ev.data[f.key];
  switch (f.kind) {
    case "Message":
      return ev.message;
    case "ToolResults":
      return (value as { type: string; text?: string }[]).map((p) => (p.type === "text" ? { __typename: "TextPart", text: p.text } : { __typename: expect.any(String) }));
    case "Usage":
      return { inputTokens: value.input_tokens, outputTokens: value.output_tokens };
    case "TurnErrorCode":
    case "PendingKind":
    case "ErrorDisclosure":
      return (value as string).toUpperCase();
    case "DateTime":
      return new Date(value as string).toISOString();
    default:
      return value ?? null;
  }
}

/** Every typed field of the event's payload equals its data (and the member is the one its type names). */
function checkPayload(ev: Ev): void {
  const entry = EVENT_PAYLOADS[ev.type];
  if (!entry) {
    expect(ev.payload, ev.type).toEqual({ __typename: "UnknownPayload", type: ev.type, data: ev.data });
    return;
  }
  const expected = Object.fromEntries(entry.fields.map((n) => [n, expectedField(ev, PAYLOAD_FIELDS[n])]));
  expect(ev.payload, `${ev.sequence} ${ev.type}`).toEqual({ __typename: payloadTypeName(ev.type), ...expected });
}

describe("the EventPayload union in the schema", () => {
  const union = schema.getType("EventPayload");
  if (!isUnionType(union)) throw new Error("EventPayload is not a union");
  const members = union.getTypes();

  it("has one member per catalogued event type, named as SPEC §12 says, and UnknownPayload", () => {
    const names = members.map((m) => m.name);
    for (const name of ["SessionStartedPayload", "OutputMessageDeltaPayload", "ToolCallRequestedPayload", "SessionUpdatedPayload", "TurnResumedPayload", "SessionForkedPayload", "TurnStartedPayload", "ToolCompletedPayload", "UnknownPayload"]) {
      expect(names).toContain(name);
    }
    expect(names).toHaveLength(Object.keys(EVENT_PAYLOADS).length + 1);
    const unknown = schema.getType("UnknownPayload") as GraphQLObjectType;
    expect(Object.fromEntries(Object.values(unknown.getFields()).map((f) => [f.name, String(f.type)]))).toEqual({ type: "String!", data: "JSON!" });
  });

  it("gives a field shared by several members the same type and nullability on all of them", () => {
    const typesByField = new Map<string, Set<string>>();
    for (const member of members) {
      for (const field of Object.values(member.getFields())) {
        typesByField.set(field.name, (typesByField.get(field.name) ?? new Set()).add(String(field.type)));
      }
    }
    const shared = [...typesByField].filter(([name]) => members.filter((m) => name in m.getFields()).length > 1);
    expect(shared.map(([name]) => name)).toEqual(expect.arrayContaining(["turnId", "usage", "messageId", "error", "toolCall", "message", "iterations"]));
    for (const [name, types] of shared) expect([...types], name).toHaveLength(1);
  });

  it("uses the SPEC §12 types: ID, DateTime, Message, ToolCallPart, [ToolResultContent!], Usage, the enums; JSON only in UnknownPayload", () => {
    const type = (member: string, field: string) => String((schema.getType(member) as GraphQLObjectType).getFields()[field]!.type);
    expect(type("TurnStartedPayload", "agentId")).toBe("ID");
    expect(type("TurnStartedPayload", "turnId")).toBe("ID!");
    expect(type("ToolCallRequestedPayload", "expiresAt")).toBe("DateTime!");
    expect(type("ToolCallRequestedPayload", "kind")).toBe("PendingKind!");
    expect(type("ToolCallRequestedPayload", "toolCall")).toBe("ToolCallPart!");
    expect(type("InputMessagePayload", "message")).toBe("Message");
    expect(type("ToolCompletedPayload", "result")).toBe("[ToolResultContent!]!");
    expect(type("TurnCompletedPayload", "usage")).toBe("Usage!");
    expect(type("TurnFailedPayload", "errorCode")).toBe("TurnErrorCode!");
    expect(type("TurnFailedPayload", "errorDisclosure")).toBe("ErrorDisclosure!");
    expect(type("OutputMessageDeltaPayload", "delta")).toBe("String!");
    expect(type("SessionForkedPayload", "forkedFromSequence")).toBe("Int!");
    const enumValues = (name: string) => (schema.getType(name) as unknown as { getValues(): { name: string }[] }).getValues().map((v) => v.name).sort();
    expect(enumValues("TurnErrorCode")).toEqual(["INTERRUPTED", "LLM_ERROR", "MAX_ITERATIONS", "MODEL_UNAVAILABLE", "TOOL_ERROR"]);
    expect(enumValues("PendingKind")).toEqual(["APPROVAL", "CLIENT"]);
    const usage = schema.getType("Usage") as GraphQLObjectType;
    expect(Object.values(usage.getFields()).map((f) => `${f.name}: ${f.type}`)).toEqual(["inputTokens: Int", "outputTokens: Int"]);
    for (const member of members.filter((m) => m.name !== "UnknownPayload")) {
      for (const field of Object.values(member.getFields())) expect(getNamedType(field.type).name, `${member.name}.${field.name}`).not.toBe("JSON");
    }
    expect(isObjectType(schema.getType("ToolCallPart"))).toBe(true);
  });
});

for (const backend of await backends()) {
  describe(`typed event payloads on ${backend.name}`, () => {
    let server: TestServer;
    let client: Client;
    beforeAll(async () => {
      server = await startServer(backend, { DEMO_DELAY_MS: "5" });
      client = wsClient(server.url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    const idled = (n: number) => (rs: Result<{ sessionEvents: Ev }>[]) => rs.filter((r) => r.data?.sessionEvents.type === "session.idled").length >= n;

    it("streams SPEC §12's example: OutputMessageDeltaPayload deltas that add up to the answer", async () => {
      const sessionId = await createSession(server.url);
      await sendText(server.url, sessionId, "tell me a story about typed events, please");
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, SPEC_EXAMPLE, { s: sessionId });
      const evs = (await sub.until(idled(1))).map((r) => r.data!.sessionEvents);
      sub.stop();
      expect(evs.map((e) => e.sequence)).toEqual(evs.map((_, i) => i + 1));
      const deltas = evs.filter((e) => e.type === "output.message.delta");
      expect(deltas.length).toBeGreaterThan(2);
      for (const d of deltas) expect(Object.keys(d.payload).sort()).toEqual(["__typename", "delta", "messageId"]);
      expect(new Set(deltas.map((d) => d.payload.__typename))).toEqual(new Set(["OutputMessageDeltaPayload"]));
      const others = evs.filter((e) => e.type !== "output.message.delta");
      expect(others.every((e) => Object.keys(e.payload).length === 1 && e.payload.__typename !== "OutputMessageDeltaPayload")).toBe(true);

      const read = await gqlData(server.url, `query($id: ID!) { session(id: $id) { messages(last: 1) { nodes { id content { ... on TextPart { text } } } } } }`, { id: sessionId });
      const answer = read.session.messages.nodes[0];
      expect(deltas.map((d) => d.payload.delta).join("")).toBe(answer.content[0].text);
      expect(new Set(deltas.map((d) => d.payload.messageId))).toEqual(new Set([answer.id]));
      expect(answer.content[0].text).toMatch(/^You said: "tell me a story about typed events, please"/);
    });

    it("types a calculator turn: ToolStarted/ToolCompleted payloads, usage on TurnCompleted, every field equal to data", async () => {
      const sessionId = await createSession(server.url);
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) { ${EVENT_FIELDS} } }`, { s: sessionId });
      await sendText(server.url, sessionId, "what is 12*(3+4)?");
      const evs = (await sub.until(idled(1))).map((r) => r.data!.sessionEvents);
      sub.stop();
      for (const ev of evs) checkPayload(ev);

      const started = evs.find((e) => e.type === "tool.started")!.payload;
      expect(started).toEqual({ __typename: "ToolStartedPayload", turnId: expect.stringMatching(/^turn_/), toolCall: { id: expect.stringMatching(/^call_/), name: "calculator", arguments: { expression: "12*(3+4)" } } });
      const completed = evs.find((e) => e.type === "tool.completed")!.payload;
      expect(completed).toMatchObject({
        __typename: "ToolCompletedPayload",
        toolCallId: started.toolCall.id,
        toolName: "calculator",
        status: "success",
        result: [{ __typename: "TextPart", text: "84" }],
        error: null,
        message: { id: completed.messageId },
      });
      const turn = evs.find((e) => e.type === "turn.completed")!.payload;
      expect(turn).toMatchObject({ __typename: "TurnCompletedPayload", iterations: 2, usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) } });
      expect(turn.usage.outputTokens).toBeGreaterThan(0);
      expect(evs.find((e) => e.type === "turn.started")!.payload).toMatchObject({ __typename: "TurnStartedPayload", agentId: null, turnId: turn.turnId });
      expect(evs.find((e) => e.type === "session.started")!.payload).toEqual({ __typename: "SessionStartedPayload", modelId: null });
    });

    it("types every other event type in Session.events: updated, failed, cancelled, forked, call_requested, resumed; UnknownPayload for the rest", async () => {
      const sessionId = await createSession(server.url);
      await gqlData(server.url, `mutation($id: ID!) { updateSession(input: { id: $id, title: "typed", tags: ["a"] }) { id } }`, { id: sessionId });
      // A model whose provider is not configured: the turn fails with model_unavailable.
      const broken = await server.app.store.models.ensure({ id: newId("model"), name: "nowhere-1", provider: "nowhere", maxErrorDisclosure: "DETAILED" });
      await sendText(server.url, sessionId, "hello?", { controls: { modelId: broken.id, errorDisclosure: "DETAILED" } });
      await settled(server.url, sessionId);
      // A long reply, cancelled mid-stream.
      await sendText(server.url, sessionId, Array.from({ length: 200 }, (_, i) => `w${i}`).join(" "));
      const watch = subscribeWs<{ sessionEvents: Ev }>(client, `subscription($s: ID!) { sessionEvents(sessionId: $s, types: ["output.message.delta"]) { sequence } }`, { s: sessionId });
      await watch.until((rs) => rs.length > 0);
      watch.stop();
      await gqlData(server.url, `mutation($id: ID!) { cancelTurn(sessionId: $id) { id } }`, { id: sessionId });
      const last = await settled(server.url, sessionId);
      // The waiting-turn events are written here through the store, as the people-in-the-loop runner writes them.
      const turnId = newId("turn");
      const expiresAt = new Date(Date.now() + 60_000).toISOString();
      await server.app.store.log.append(sessionId, [
        { type: "tool.call_requested", context: { turnId }, data: { turn_id: turnId, tool_call: { id: "call_abc", name: "pick_color", arguments: { palette: "warm" } }, kind: "client", expires_at: expiresAt } },
        { type: "turn.resumed", context: { turnId }, data: { turn_id: turnId } },
        { type: "custom.audit", context: {}, data: { who: "ops", n: 3, nested: { ok: true } } },
      ]);
      const fork = await gqlData(server.url, `mutation($id: ID!, $at: Int) { forkSession(input: { sessionId: $id, atSequence: $at }) { id } }`, { id: sessionId, at: last });

      const read = async (id: string) => (await gqlData(server.url, `query($id: ID!) { session(id: $id) { events(first: 60, types: ["session.*", "turn.*", "tool.*", "custom.*", "input.*"]) { ${EVENT_FIELDS} } } }`, { id })).session.events as Ev[];
      const evs = [...(await read(sessionId)), ...(await read(fork.forkSession.id))];
      for (const ev of evs) checkPayload(ev);
      const byType = (type: string) => evs.find((e) => e.type === type)!.payload;

      expect(byType("session.updated")).toEqual({ __typename: "SessionUpdatedPayload", fields: ["title", "tags"] });
      expect(byType("turn.failed")).toMatchObject({ __typename: "TurnFailedPayload", errorCode: "MODEL_UNAVAILABLE", errorDisclosure: "DETAILED", error: expect.any(String) });
      expect(byType("turn.cancelled")).toMatchObject({ __typename: "TurnCancelledPayload", reason: "cancelled by client" });
      expect(byType("input.message")).toMatchObject({ __typename: "InputMessagePayload", message: { id: expect.stringMatching(/^message_/) } });
      expect(byType("tool.call_requested")).toEqual({
        __typename: "ToolCallRequestedPayload",
        turnId,
        toolCall: { id: "call_abc", name: "pick_color", arguments: { palette: "warm" } },
        kind: "CLIENT",
        expiresAt,
      });
      expect(byType("turn.resumed")).toEqual({ __typename: "TurnResumedPayload", turnId });
      expect(byType("custom.audit")).toEqual({ __typename: "UnknownPayload", type: "custom.audit", data: { who: "ops", n: 3, nested: { ok: true } } });
      expect(byType("session.forked")).toEqual({ __typename: "SessionForkedPayload", forkedFromSessionId: sessionId, forkedFromSequence: last });
      // Every catalogued type was seen at least once across the three tests' kinds of turns.
      const seen = new Set(evs.map((e) => e.type));
      for (const type of ["session.started", "session.updated", "session.forked", "input.message", "turn.started", "session.activated", "turn.failed", "turn.cancelled", "session.idled", "tool.call_requested", "turn.resumed"]) {
        expect(seen, type).toContain(type);
      }
    });

    it("sends UnknownPayload live over graphql-ws for a type not in the catalogue", async () => {
      const sessionId = await createSession(server.url);
      const sub = subscribeWs<{ sessionEvents: Ev }>(client, `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) { ${EVENT_FIELDS} } }`, { s: sessionId });
      await sub.until((rs) => rs.length >= 1);
      await server.app.store.log.append(sessionId, [{ type: "plugin.thing_happened", context: {}, data: { value: [1, "two"] } }]);
      const evs = (await sub.until((rs) => rs.length >= 2)).map((r) => r.data!.sessionEvents);
      sub.stop();
      expect(evs.map((e) => e.payload.__typename)).toEqual(["SessionStartedPayload", "UnknownPayload"]);
      expect(evs[1]!.payload).toEqual({ __typename: "UnknownPayload", type: "plugin.thing_happened", data: { value: [1, "two"] } });
    });
  });
}
