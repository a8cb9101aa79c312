// Answers to waiting tool calls (SPEC §11): submitToolResults for client
// tools, decideToolCalls for approvals. A batch is judged whole before
// anything is written (unknown or wrong-kind call → VALIDATION_FAILED, a
// different answer to an ended call → CONFLICT, the same answer again → no
// new event), then applied in one transaction. If another answer, a timeout
// or a cancel ended one of its calls meanwhile, the batch is judged again.
import type { InputPart } from "../domain/content.js";
import {
  clientOutcome,
  errorOutcome,
  judgeAnswer,
  rejectionError,
  requireKind,
  type Answer,
  type PendingKind,
} from "../domain/pending-calls.js";
import { validateContent } from "../domain/validation.js";
import { AppError, notFound, validation } from "../errors.js";
import { parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { CallMove, PendingCallRecord } from "../store/pending-calls.js";
import type { Session } from "../store/sessions.js";
import type { Actor, TurnScheduler } from "./context.js";

export interface ToolResultCommand {
  toolCallId: unknown;
  /** Content parts in stored shape. */
  content: unknown;
  isError?: unknown;
}

export interface ToolDecisionCommand {
  toolCallId: unknown;
  approve: unknown;
  reason?: unknown;
}

const MAX_BATCH = 128;
const MAX_CALL_ID = 255;
const MAX_REASON = 10_000;
/** Rounds of judge-and-apply when answers race; each round ends at least one contested call. */
const MAX_ROUNDS = 8;

interface Entry {
  toolCallId: string;
  field: string;
  answer: Answer;
  move: (call: PendingCallRecord) => CallMove;
}

export class ToolResultService {
  constructor(
    private readonly store: Store,
    private readonly scheduler: TurnScheduler,
  ) {}

  /** Results of client-tool calls: each becomes tool.completed (success, or error when isError) and its TOOL_RESULT message. */
  async submit(actor: Actor, sessionId: unknown, results: unknown): Promise<Session> {
    const entries = batch(results, "results").map((r, i): Entry => {
      const item = r as ToolResultCommand;
      const at = `results[${i}]`;
      if (item.isError !== undefined && item.isError !== null && typeof item.isError !== "boolean") {
        throw validation(`${at}.isError`, "isError must be a boolean");
      }
      const answer = { content: validateContent(item.content, `${at}.content`) as InputPart[], is_error: item.isError === true };
      return {
        toolCallId: callId(item.toolCallId, `${at}.toolCallId`),
        field: `${at}.toolCallId`,
        answer,
        move: (call) => ({ call, from: ["WAITING"], to: "ENDED", answer, outcome: "answered", completed: clientOutcome(answer) }),
      };
    });
    const session = await this.session(actor, sessionId);
    await this.requireImages(actor, entries);
    return this.apply(actor, session, "client", entries);
  }

  /** Decisions on approval calls: approve → the tool runs when the turn resumes; reject → tool.completed error `rejected[: reason]`. */
  async decide(actor: Actor, sessionId: unknown, decisions: unknown): Promise<Session> {
    const entries = batch(decisions, "decisions").map((d, i): Entry => {
      const item = d as ToolDecisionCommand;
      const at = `decisions[${i}]`;
      if (typeof item.approve !== "boolean") throw validation(`${at}.approve`, "approve must be a boolean");
      if (item.reason !== undefined && item.reason !== null && (typeof item.reason !== "string" || [...item.reason].length > MAX_REASON)) {
        throw validation(`${at}.reason`, `reason must be a string of at most ${MAX_REASON} characters`);
      }
      const answer = { approve: item.approve, reason: typeof item.reason === "string" && item.reason !== "" ? item.reason : null };
      return {
        toolCallId: callId(item.toolCallId, `${at}.toolCallId`),
        field: `${at}.toolCallId`,
        answer,
        move: (call) =>
          answer.approve
            ? { call, from: ["WAITING"], to: "APPROVED", answer, outcome: null, completed: null }
            : { call, from: ["WAITING"], to: "ENDED", answer, outcome: "rejected", completed: errorOutcome(rejectionError(answer.reason)) },
      };
    });
    return this.apply(actor, await this.session(actor, sessionId), "approval", entries);
  }

  /** The calls still waiting in a session the caller holds; [] unless it waits. */
  async pending(actor: Actor, session: Session): Promise<PendingCallRecord[]> {
    return session.status === "WAITING_FOR_TOOL_RESULTS" ? this.store.pendingCalls.waiting(actor.ownerId, session.id) : [];
  }

  /**
   * The calls of the caller's session that wait for an answer, whatever the
   * session's status says: the turn may still be on its way into the wait
   * (answering then is allowed; it goes on at once).
   */
  waitingCalls(actor: Actor, sessionId: string): Promise<PendingCallRecord[]> {
    return this.store.pendingCalls.waiting(actor.ownerId, sessionId);
  }

  private async apply(actor: Actor, session: Session, kind: PendingKind, entries: Entry[]): Promise<Session> {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const found = await this.store.pendingCalls.find(actor.ownerId, session.id, entries.map((e) => e.toolCallId));
      const moves: CallMove[] = [];
      for (const entry of entries) {
        const call = requireKind(found.get(entry.toolCallId), entry.toolCallId, kind, entry.field);
        if (judgeAnswer(call, entry.answer, entry.field) === "apply") moves.push(entry.move(call));
      }
      const settled = await this.store.pendingCalls.settle(session.id, moves);
      if (settled === "raced") continue;
      for (const id of settled.resumed) this.scheduler.wake(id);
      return (await this.store.sessions.get(actor.ownerId, session.id)) ?? session;
    }
    throw new AppError("CONFLICT", "These tool calls are being answered concurrently; try again");
  }

  private async session(actor: Actor, id: unknown): Promise<Session> {
    const sessionId = parseId("session", id, "sessionId");
    const session = await this.store.sessions.get(actor.ownerId, sessionId);
    if (!session) throw notFound("Session", sessionId);
    return session;
  }

  private async requireImages(actor: Actor, entries: Entry[]): Promise<void> {
    const refs = entries.flatMap((e, i) =>
      "content" in e.answer ? e.answer.content.flatMap((p, j) => (p.type === "image_file" ? [{ id: p.image_id, at: `results[${i}].content[${j}].imageId` }] : [])) : [],
    );
    if (refs.length === 0) return;
    const found = await this.store.images.existing(actor.ownerId, refs.map((r) => r.id));
    const missing = refs.find((r) => !found.has(r.id));
    if (missing) throw new AppError("NOT_FOUND", `Image ${missing.id} not found`, missing.at);
  }
}

function batch(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw validation(field, `${field} must be a list`);
  if (value.length > MAX_BATCH) throw validation(field, `${field} may hold at most ${MAX_BATCH} entries`);
  value.forEach((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw validation(`${field}[${i}]`, "each entry must be an object");
  });
  const ids = value.map((item) => (item as { toolCallId?: unknown }).toolCallId);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) throw validation(`${field}[${i}].toolCallId`, `tool call ${String(id)} is answered twice in this batch`);
  });
  return value;
}

function callId(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "" || value.length > MAX_CALL_ID) {
    throw validation(field, `toolCallId must be a non-empty string of at most ${MAX_CALL_ID} characters`);
  }
  return value;
}
