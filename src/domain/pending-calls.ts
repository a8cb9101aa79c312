// Waiting tool calls (SPEC §11): which calls of a step wait, and how an
// answer to one is judged. Pure: the store applies the verdicts.
import { AppError, validation } from "../errors.js";
import { type AgentSnapshot, type ClientTool } from "./agents.js";
import { matchesAny } from "./tool-patterns.js";
import type { JsonObject, ToolResultContent } from "./content.js";
import { stableStringify } from "./stable-json.js";

export type PendingKind = "client" | "approval";
/** WAITING → (APPROVED → RUNNING →) ENDED. */
export type CallState = "WAITING" | "APPROVED" | "RUNNING" | "ENDED";
/** How an ended call ended. */
export type CallOutcome = "answered" | "rejected" | "timeout" | "cancelled" | "interrupted";

export interface ToolCall {
  id: string;
  name: string;
  arguments: JsonObject;
}

export interface PendingCall {
  turnId: string;
  sessionId: string;
  toolCall: ToolCall;
  kind: PendingKind;
  state: CallState;
  answer: Answer | null;
  outcome: CallOutcome | null;
  requestedAt: Date;
  expiresAt: Date;
}

export interface ClientAnswer {
  content: ToolResultContent[];
  is_error: boolean;
}
export interface Decision {
  approve: boolean;
  reason: string | null;
}
export type Answer = ClientAnswer | Decision;

/** The outcome fields of a `tool.completed`. */
export interface ToolOutcome {
  status: "success" | "error";
  result: ToolResultContent[];
  error: string | null;
}

/** The agent a turn runs, with one message's client tools merged over the agent's by name and its approval patterns added. */
export function withTurnControls(
  agent: AgentSnapshot,
  controls: { client_tools?: ClientTool[]; approval_required?: string[] },
): AgentSnapshot {
  const clientTools = new Map(agent.clientTools.map((t) => [t.name, t]));
  for (const tool of controls.client_tools ?? []) clientTools.set(tool.name, tool);
  const approvalRequired = [...new Set([...agent.approvalRequired, ...(controls.approval_required ?? [])])];
  return { ...agent, clientTools: [...clientTools.values()], approvalRequired };
}

/**
 * Whether a call waits, and for what: a client tool's call waits for its
 * result; an offered server tool matching the approval patterns waits for a
 * decision; anything else runs now (null).
 */
export function waitKind(agent: AgentSnapshot, offeredServerTools: ReadonlySet<string>, name: string): PendingKind | null {
  if (agent.clientTools.some((t) => t.name === name)) return "client";
  if (offeredServerTools.has(name) && matchesAny(agent.approvalRequired, name)) return "approval";
  return null;
}

/**
 * What to do with an answer to a call that exists and is of the right kind:
 * "apply" when it still waits, "repeat" when it already ended with this very
 * answer (idempotent). Any other answer to an answered, timed-out, cancelled
 * or interrupted call is CONFLICT.
 */
export function judgeAnswer(call: PendingCall, answer: Answer, field: string): "apply" | "repeat" {
  if (call.state === "WAITING") return "apply";
  const answered = call.outcome === null || call.outcome === "answered" || call.outcome === "rejected";
  if (answered && call.answer && stableStringify(call.answer) === stableStringify(answer)) return "repeat";
  const how = call.outcome && !answered ? `ended (${call.outcome})` : "was already answered differently";
  throw new AppError("CONFLICT", `Tool call ${call.toolCall.id} ${how}`, field);
}

/** VALIDATION_FAILED unless the call was found and is of the expected kind. */
export function requireKind<T extends PendingCall>(call: T | undefined, id: string, kind: PendingKind, field: string): T {
  if (!call) throw validation(field, `No tool call ${JSON.stringify(id)} in this session`);
  if (call.kind !== kind) {
    const use = call.kind === "client" ? "submitToolResults" : "decideToolCalls";
    throw validation(field, `Tool call ${id} waits for ${call.kind === "client" ? "a client result" : "an approval"}; answer it with ${use}`);
  }
  return call;
}

export const clientOutcome = (answer: ClientAnswer): ToolOutcome => {
  const text = answer.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
  return { status: answer.is_error ? "error" : "success", result: answer.content, error: answer.is_error ? text || "error" : null };
};

/** An ended call's error outcome; the error text is also its one result part, so the model sees it. */
export const errorOutcome = (error: string): ToolOutcome => ({ status: "error", result: [{ type: "text", text: error }], error });

export const rejectionError = (reason: string | null) => (reason ? `rejected: ${reason}` : "rejected");
