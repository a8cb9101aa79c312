import { describe, it, expect } from "vitest";
import { addUsage, eventToRest, eventTypeFilter, events, zeroUsage, type StoredEvent } from "../../src/domain/events.js";
import { messageFromEvent, messageFromRest, messageToRest, MESSAGE_EVENT_TYPES, type NewMessage } from "../../src/domain/messages.js";

const ALL_TYPES = [
  "session.started",
  "input.message",
  "turn.started",
  "session.activated",
  "output.message.started",
  "output.message.delta",
  "output.message.completed",
  "tool.started",
  "tool.completed",
  "turn.completed",
  "turn.failed",
  "turn.cancelled",
  "session.idled",
];

const pick = (filter: (t: string) => boolean) => ALL_TYPES.filter(filter);

describe("eventTypeFilter", () => {
  it("passes everything without types or exclude", () => {
    expect(pick(eventTypeFilter())).toEqual(ALL_TYPES);
    expect(pick(eventTypeFilter(null, null))).toEqual(ALL_TYPES);
    expect(pick(eventTypeFilter([], []))).toEqual(ALL_TYPES);
  });

  it("matches exact names", () => {
    expect(pick(eventTypeFilter(["turn.started", "session.idled"]))).toEqual(["turn.started", "session.idled"]);
    // an exact name is not a prefix
    expect(pick(eventTypeFilter(["output.message"]))).toEqual([]);
  });

  it("matches prefixes ending in *", () => {
    expect(pick(eventTypeFilter(["output.message.*"]))).toEqual([
      "output.message.started",
      "output.message.delta",
      "output.message.completed",
    ]);
    expect(pick(eventTypeFilter(["turn.*", "tool.*"]))).toEqual([
      "turn.started",
      "tool.started",
      "tool.completed",
      "turn.completed",
      "turn.failed",
      "turn.cancelled",
    ]);
  });

  it("excludes exact names and prefixes", () => {
    expect(pick(eventTypeFilter(null, ["output.message.delta"]))).toEqual(ALL_TYPES.filter((t) => t !== "output.message.delta"));
    expect(pick(eventTypeFilter(undefined, ["session.*", "turn.*"]))).toEqual([
      "input.message",
      "output.message.started",
      "output.message.delta",
      "output.message.completed",
      "tool.started",
      "tool.completed",
    ]);
  });

  it("applies types first, then exclude", () => {
    expect(pick(eventTypeFilter(["output.message.*"], ["output.message.delta"]))).toEqual([
      "output.message.started",
      "output.message.completed",
    ]);
    expect(pick(eventTypeFilter(["turn.failed"], ["turn.*"]))).toEqual([]);
  });
});

const sessionId = "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
const turnId = "turn_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
const inputMessageId = "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a60";
const ctx = { turnId, inputMessageId };
const ts = new Date("2025-01-02T03:04:05.678Z");

const empty = { controls: null, externalActor: null, metadata: null, tags: [], phase: null, thinking: null, thinkingSignature: null, turnId: null, delivery: null };
const userMessage: NewMessage = {
  ...empty,
  id: inputMessageId,
  sessionId,
  role: "USER",
  content: [{ type: "text", text: "hi" }],
  externalActor: { actor_id: "U1", actor_name: "Ada" },
  turnId,
  createdAt: ts,
};
const agentMessage: NewMessage = {
  ...empty,
  id: "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a61",
  sessionId,
  role: "AGENT",
  content: [{ type: "tool_call", id: "call_1", name: "calculator", arguments: { expression: "1+1" } }],
  phase: "COMMENTARY",
  thinking: "add",
  thinkingSignature: "sig",
  turnId,
  createdAt: ts,
};

const logged = (type: string, data: object, sequence = 5): StoredEvent => ({
  id: "event_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
  sessionId,
  sequence,
  type,
  ts,
  context: { turnId, inputMessageId },
  data: data as StoredEvent["data"],
});

describe("events constructors", () => {
  const usage = { input_tokens: 3, output_tokens: 4 };

  it("session.started", () => {
    expect(events.sessionStarted("model_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b")).toEqual({
      type: "session.started",
      context: {},
      data: { model_id: "model_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b" },
    });
  });

  it("input.message carries the message in its REST shape and names it in the context", () => {
    const e = events.inputMessage(userMessage);
    expect(e.type).toBe("input.message");
    expect(e.data).toEqual({
      message: {
        id: inputMessageId,
        session_id: sessionId,
        role: "user",
        content: [{ type: "text", text: "hi" }],
        controls: null,
        external_actor: { actor_id: "U1", actor_name: "Ada" },
        metadata: null,
        tags: [],
        phase: null,
        thinking: null,
        thinking_signature: null,
        turn_id: turnId,
        delivery: null,
        created_at: ts.toISOString(),
      },
    });
    expect(e.context).toEqual(ctx);
  });

  it("turn.started and session.activated", () => {
    // turn.started names the turn's agent (SPEC §10): null for the default agent.
    expect(events.turnStarted(turnId, inputMessageId).data).toEqual({ turn_id: turnId, input_message_id: inputMessageId, agent_id: null });
    const agentId = "agent_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
    expect(events.turnStarted(turnId, inputMessageId, agentId).data).toEqual({ turn_id: turnId, input_message_id: inputMessageId, agent_id: agentId });
    expect(events.sessionActivated(turnId, inputMessageId).data).toEqual({ turn_id: turnId, input_message_id: inputMessageId });
    for (const e of [events.turnStarted(turnId, inputMessageId), events.sessionActivated(turnId, inputMessageId)]) expect(e.context).toEqual(ctx);
    expect(events.turnStarted(turnId, inputMessageId).type).toBe("turn.started");
    expect(events.sessionActivated(turnId, inputMessageId).type).toBe("session.activated");
  });

  it("output.message.started / delta / completed", () => {
    expect(events.outputMessageStarted(ctx, "message_x", "demo", 1)).toEqual({
      type: "output.message.started",
      context: ctx,
      data: { turn_id: turnId, message_id: "message_x", model: "demo", iteration: 1 },
    });
    expect(events.outputMessageDelta(ctx, "message_x", "Hello ").data).toEqual({
      turn_id: turnId,
      message_id: "message_x",
      delta: "Hello ",
    });
    const completed = events.outputMessageCompleted(ctx, agentMessage, usage);
    expect(completed.type).toBe("output.message.completed");
    expect(completed.data).toEqual({ turn_id: turnId, message: messageToRest(agentMessage), usage });
  });

  it("tool.started and tool.completed", () => {
    const toolCall = { id: "call_1", name: "calculator", arguments: { expression: "1+1" } };
    expect(events.toolStarted(ctx, toolCall).data).toEqual({ turn_id: turnId, tool_call: toolCall });
    const completed = events.toolCompleted(ctx, {
      messageId: "message_y",
      toolCallId: "call_1",
      toolName: "calculator",
      status: "success",
      result: [{ type: "text", text: "2" }],
      error: null,
    });
    expect(completed.type).toBe("tool.completed");
    expect(completed.data).toEqual({
      turn_id: turnId,
      message_id: "message_y",
      tool_call_id: "call_1",
      tool_name: "calculator",
      status: "success",
      result: [{ type: "text", text: "2" }],
      error: null,
    });
  });

  it("turn.completed / failed / cancelled and session.idled", () => {
    expect(events.turnCompleted(ctx, { iterations: 2, durationMs: 120, usage, finalMessageId: "message_z" }).data).toEqual({
      turn_id: turnId,
      iterations: 2,
      duration_ms: 120,
      usage,
      final_message_id: "message_z",
    });
    expect(events.turnFailed(ctx, { errorCode: "llm_error", error: "llm_error: boom", disclosure: "standard" })).toEqual({
      type: "turn.failed",
      context: ctx,
      data: { turn_id: turnId, error_code: "llm_error", error: "llm_error: boom", error_disclosure: "standard" },
    });
    expect(events.turnCancelled(ctx, "cancelled by client")).toEqual({
      type: "turn.cancelled",
      context: ctx,
      data: { turn_id: turnId, reason: "cancelled by client" },
    });
    expect(events.sessionIdled(ctx, 2, usage)).toEqual({
      type: "session.idled",
      context: ctx,
      data: { turn_id: turnId, iterations: 2, usage },
    });
  });

  it("usage helpers add token counts", () => {
    expect(addUsage(zeroUsage(), { input_tokens: 1, output_tokens: 2 })).toEqual({ input_tokens: 1, output_tokens: 2 });
  });
});

describe("messageFromEvent", () => {
  it("lists the three producing types", () => {
    expect([...MESSAGE_EVENT_TYPES]).toEqual(["input.message", "output.message.completed", "tool.completed"]);
  });

  it("input.message gives the user message", () => {
    expect(messageFromEvent(logged("input.message", events.inputMessage(userMessage).data))).toEqual(userMessage);
  });

  it("output.message.completed gives the agent message", () => {
    const data = events.outputMessageCompleted(ctx, agentMessage, zeroUsage()).data;
    expect(messageFromEvent(logged("output.message.completed", data))).toEqual(agentMessage);
  });

  it("tool.completed gives a tool_result message with the fixed message id", () => {
    const data = events.toolCompleted(ctx, {
      messageId: "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a62",
      toolCallId: "call_1",
      toolName: "calculator",
      status: "error",
      result: [{ type: "text", text: "division by zero" }],
      error: "division by zero",
    }).data;
    const message = messageFromEvent(logged("tool.completed", data));
    expect(message).toEqual({
      ...empty,
      id: "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a62",
      sessionId,
      role: "TOOL_RESULT",
      content: [
        { type: "tool_result", tool_call_id: "call_1", content: [{ type: "text", text: "division by zero" }], is_error: true },
      ],
      turnId,
      createdAt: ts,
    });
    // same event, same message: the id never changes between reads
    expect(messageFromEvent(logged("tool.completed", data))?.id).toBe(message?.id);
  });

  it("a successful tool result is not an error", () => {
    const data = events.toolCompleted(ctx, {
      messageId: "message_y",
      toolCallId: "call_2",
      toolName: "current_time",
      status: "success",
      result: [],
      error: null,
    }).data;
    const part = messageFromEvent(logged("tool.completed", data))?.content[0];
    expect(part).toMatchObject({ type: "tool_result", is_error: false, content: [] });
  });

  it.each(ALL_TYPES.filter((t) => !(MESSAGE_EVENT_TYPES as readonly string[]).includes(t)))("%s gives null", (type) => {
    expect(messageFromEvent(logged(type, { turn_id: turnId }))).toBeNull();
  });
});

describe("REST shapes", () => {
  it("a message's REST shape is snake_case with lowercase enums, with its sequence once logged", () => {
    const rest = messageToRest({ ...agentMessage, eventId: "event_x", sequence: 7 });
    expect(rest).toMatchObject({ role: "agent", phase: "commentary", thinking_signature: "sig", turn_id: turnId, sequence: 7 });
    expect(rest).not.toHaveProperty("event_id");
    expect(messageToRest(agentMessage)).not.toHaveProperty("sequence");
  });

  it("external_actor.actor_name falls back to actor_id", () => {
    const rest = messageToRest({ ...userMessage, externalActor: { actor_id: "U9" } });
    expect(rest.external_actor).toEqual({ actor_id: "U9", actor_name: "U9" });
  });

  it("reads back what it wrote, and fills what older event data lacks", () => {
    expect(messageFromRest(messageToRest(agentMessage))).toEqual(agentMessage);
    expect(messageFromRest({ id: "m", session_id: sessionId, role: "user", content: [], created_at: ts.toISOString() })).toEqual({
      ...empty,
      id: "m",
      sessionId,
      role: "USER",
      content: [],
      createdAt: ts,
    });
  });

  it("an event's REST shape", () => {
    expect(eventToRest(logged("turn.started", { turn_id: turnId }))).toEqual({
      id: "event_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
      session_id: sessionId,
      sequence: 5,
      type: "turn.started",
      ts: ts.toISOString(),
      context: { turn_id: turnId, input_message_id: inputMessageId },
      data: { turn_id: turnId },
    });
  });
});
