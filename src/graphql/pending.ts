// People in the loop (SPEC §11): the calls a waiting turn waits for, and the
// two mutations that answer them.
import type { PendingCallRecord } from "../store/pending-calls.js";
import { builder } from "./builder.js";
import { ToolCallPartRef } from "./content.js";
import { InputContentPart, storedPart } from "./message-input.js";
import { PendingKindRef } from "./payload.js";
import { SessionRef } from "./session.js";

const PendingToolCallRef = builder.objectRef<PendingCallRecord>("PendingToolCall").implement({
  description: "A tool call that waits for a client's result (CLIENT) or a person's decision (APPROVAL).",
  fields: (t) => ({
    toolCall: t.field({ type: ToolCallPartRef, resolve: (c) => ({ type: "tool_call" as const, ...c.toolCall }) }),
    kind: t.field({ type: PendingKindRef, resolve: (c) => (c.kind === "client" ? "CLIENT" : "APPROVAL") }),
    turnId: t.id({ resolve: (c) => c.turnId }),
    requestedAt: t.field({ type: "DateTime", resolve: (c) => c.requestedAt }),
    expiresAt: t.field({ type: "DateTime", resolve: (c) => c.expiresAt }),
  }),
});

builder.objectField(SessionRef, "pendingToolCalls", (t) =>
  t.field({
    type: [PendingToolCallRef],
    description: "The calls the session's turn waits for, in request order; [] unless the status is WAITING_FOR_TOOL_RESULTS.",
    resolve: (s, _args, { actor, services }) => services.toolResults.pending(actor, s),
  }),
);

const ToolResultInput = builder.inputType("ToolResultInput", {
  fields: (t) => ({
    toolCallId: t.id({ required: true }),
    content: t.field({ type: [InputContentPart], required: true }),
    isError: t.boolean({ defaultValue: false }),
  }),
});

const ToolDecisionInput = builder.inputType("ToolDecisionInput", {
  fields: (t) => ({
    toolCallId: t.id({ required: true }),
    approve: t.boolean({ required: true }),
    reason: t.string({ description: "Shown to the model on a rejection: `rejected: <reason>`." }),
  }),
});

builder.mutationField("submitToolResults", (t) =>
  t.field({
    type: SessionRef,
    description:
      "Answers client-tool calls: each result becomes tool.completed and a TOOL_RESULT message. All or nothing; the same answer again is a no-op.",
    args: { sessionId: t.arg.id({ required: true }), results: t.arg({ type: [ToolResultInput], required: true }) },
    resolve: (_root, { sessionId, results }, { actor, services }) =>
      services.toolResults.submit(
        actor,
        sessionId,
        results.map((r) => ({ toolCallId: r.toolCallId, content: r.content.map(storedPart), isError: r.isError })),
      ),
  }),
);

builder.mutationField("decideToolCalls", (t) =>
  t.field({
    type: SessionRef,
    description: "Approves or rejects approval calls; an approved tool runs when the turn resumes. All or nothing; the same decision again is a no-op.",
    args: { sessionId: t.arg.id({ required: true }), decisions: t.arg({ type: [ToolDecisionInput], required: true }) },
    resolve: (_root, { sessionId, decisions }, { actor, services }) => services.toolResults.decide(actor, sessionId, decisions),
  }),
);
