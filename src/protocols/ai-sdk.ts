// Parley's log as the Vercel AI SDK's UI message stream (v1, `ai` 6 chunks),
// and UI messages as Parley input. A turn is one assistant UI message (its id
// is the turn id, so the POST and a resumed GET agree); each model step is a
// step; tools are dynamic tools (their names are known only at run time).
// A response ends where the turn waits for the client (turn-waits.ts); the
// client's answers continue the same message. One case per event type.
import type { UIMessage, UIMessageChunk } from "ai";
import type { InputPart } from "../domain/content.js";
import { validation } from "../errors.js";
import { answerText, messageOf, str, textParts, toolCallsOf, toolResultText, TURN_END, type LogEvent, type ToolAnswer, type ToolDecision, type TurnSpan } from "./log-event.js";
import { TurnWaits } from "./turn-waits.js";

type Case = (event: LogEvent, state: TurnState) => UIMessageChunk[];

interface TurnState {
  span: TurnSpan;
  waits: TurnWaits;
  stepOpen: boolean;
  /** The text part (agent message id) started and not yet ended. */
  openText: string | null;
}

/** Which part of a turn a response streams. */
export interface StreamScope {
  /** Waits at or after this sequence end the stream (the ones before it were over when the request came). */
  waitsFrom: number;
  /** Continue the message after the answers to these calls: chunks start where the turn goes on after their wait. */
  continueAfter?: ReadonlySet<string>;
  /** The turn waits at this sequence now: the stream stops there (if the events show the wait by then; else at the wait). */
  endAt?: number;
}

/**
 * Folds a turn's events into UI message chunks. Feed it every event from the
 * turn's input message on (other turns' events are skipped); `finished`
 * turns true at the turn's end or where it waits for the client.
 */
export class AiSdkTurnMapper {
  private readonly state: TurnState;
  private emitting: boolean;
  private started = false;
  finished = false;

  constructor(
    span: TurnSpan,
    private readonly scope: StreamScope = { waitsFrom: 0 },
  ) {
    this.state = { span, waits: new TurnWaits(), stepOpen: false, openText: null };
    this.emitting = !scope.continueAfter;
  }

  map(event: LogEvent): UIMessageChunk[] {
    const { span, waits } = this.state;
    if (this.finished) return [];
    const out: UIMessageChunk[] = [];
    if (event.context.turnId === span.turnId && event.sequence >= span.startSequence) {
      if (!this.emitting && waits.continues(event, this.scope.continueAfter!)) this.emitting = true;
      const wait = waits.observe(event);
      const chunks = CASES[event.type]?.(event, this.state) ?? [];
      if (this.emitting) {
        out.push(...this.start(), ...chunks);
        if (wait && event.sequence >= this.scope.waitsFrom) out.push(...this.finish());
        if (TURN_END.has(event.type)) this.finished = true;
      }
    }
    // Only at a wait: a turn still running the step's server tools goes on to its wait.
    if (this.scope.endAt !== undefined && !this.finished && event.sequence >= this.scope.endAt && waits.atWait) out.push(...this.start(), ...this.finish());
    return out;
  }

  /** `start`, once: its messageId is the turn, the same on every stream of it. */
  private start(): UIMessageChunk[] {
    if (this.started) return [];
    this.started = true;
    return [{ type: "start", messageId: this.state.span.turnId }];
  }

  /** The turn waits for the client: the message is done for now (the client's answers continue it). */
  private finish(): UIMessageChunk[] {
    this.finished = true;
    return [...closeStep(this.state), { type: "finish", finishReason: "tool-calls" }];
  }
}

const closeText = (state: TurnState): UIMessageChunk[] => {
  if (!state.openText) return [];
  const id = state.openText;
  state.openText = null;
  return [{ type: "text-end", id }];
};

const closeStep = (state: TurnState): UIMessageChunk[] => {
  const out = closeText(state);
  if (state.stepOpen) out.push({ type: "finish-step" });
  state.stepOpen = false;
  return out;
};

const CASES: Record<string, Case> = {
  // A step spans the model's answer and the tools it called, so it ends when the next one starts.
  "output.message.started": (_event, state) => {
    const out = closeStep(state);
    state.stepOpen = true;
    return [...out, { type: "start-step" }];
  },

  // text-start waits for the first delta, so a step that only calls tools has no empty text part.
  "output.message.delta": (event, state) => {
    const id = str(event.data, "message_id");
    const start: UIMessageChunk[] = state.openText === id ? [] : [...closeText(state), { type: "text-start", id }];
    state.openText = id;
    return [...start, { type: "text-delta", id, delta: str(event.data, "delta") }];
  },

  "output.message.completed": (event, state) => {
    const message = messageOf(event.data);
    const out: UIMessageChunk[] = [];
    if (state.openText === message.id) out.push(...closeText(state));
    else {
      const text = textParts(message.content);
      if (text) out.push({ type: "text-start", id: message.id }, { type: "text-delta", id: message.id, delta: text }, { type: "text-end", id: message.id });
    }
    for (const call of toolCallsOf(message)) {
      out.push({ type: "tool-input-available", toolCallId: call.id, toolName: call.name, input: call.arguments, dynamic: true });
    }
    return out;
  },

  // An approval wait: the tool part asks the person (approvalId = the call id).
  "tool.call_requested": (event) => {
    const call = event.data.tool_call as { id: string };
    return event.data.kind === "approval" ? [{ type: "tool-approval-request", approvalId: call.id, toolCallId: call.id }] : [];
  },

  "tool.completed": (event, state) => {
    const toolCallId = str(event.data, "tool_call_id");
    const rejected = state.waits.kindOf(toolCallId) === "approval" && str(event.data, "error").startsWith("rejected");
    if (rejected) return [{ type: "tool-output-denied", toolCallId }];
    if (event.data.status === "error") return [{ type: "tool-output-error", toolCallId, errorText: toolResultText(event.data), dynamic: true }];
    return [{ type: "tool-output-available", toolCallId, output: toolResultText(event.data), dynamic: true }];
  },

  "turn.completed": (_event, state) => [...closeStep(state), { type: "finish", finishReason: "stop" }],
  "turn.cancelled": (event, state) => [...closeStep(state), { type: "abort", reason: str(event.data, "reason") || "cancelled" }],
  "turn.failed": (event, state) => [...closeStep(state), { type: "error", errorText: str(event.data, "error") || "The turn failed." }],
};

/** The newest user message of a chat request, or null. */
export function newestUserMessage(messages: readonly UIMessage[]): { id: string; content: InputPart[] } | null {
  const index = messages.findLastIndex((m) => m.role === "user");
  if (index < 0) return null;
  const message = messages[index]!;
  const field = `messages[${index}].parts`;
  const content = message.parts.flatMap((part, i): InputPart[] => {
    if (part.type === "text") return part.text ? [{ type: "text", text: part.text }] : [];
    if (part.type === "file") {
      if (!part.mediaType.startsWith("image/")) throw validation(`${field}[${i}]`, `Only image files are supported, got ${part.mediaType}`);
      return [{ type: "image", url: part.url }];
    }
    return []; // step markers, reasoning, sources and data parts carry nothing to send
  });
  if (content.length === 0) throw validation(field, "The newest user message has no text or image part");
  return { id: message.id, content };
}

type ToolPart = Extract<UIMessage["parts"][number], { toolCallId: string }>;

/**
 * The answers a chat request carries in its last message when that is the
 * assistant's: tool parts in state `output-available` / `output-error`
 * (client results) and `approval-responded` (decisions). `ids` are every
 * answered part's call, to find the wait a resent request continues.
 */
export function toolAnswersOf(messages: readonly UIMessage[]): { results: ToolAnswer[]; decisions: ToolDecision[]; ids: string[] } {
  const last = messages.at(-1);
  const out = { results: [] as ToolAnswer[], decisions: [] as ToolDecision[], ids: [] as string[] };
  if (!last || last.role !== "assistant") return out;
  last.parts.forEach((p) => {
    if (p.type !== "dynamic-tool" && !p.type.startsWith("tool-")) return;
    const part = p as ToolPart;
    if (part.state === "output-available") out.results.push({ toolCallId: part.toolCallId, content: answerText(part.output), isError: false });
    else if (part.state === "output-error") out.results.push({ toolCallId: part.toolCallId, content: answerText(part.errorText), isError: true });
    else if (part.state === "approval-responded") {
      out.decisions.push({ toolCallId: part.toolCallId, approve: part.approval.approved, reason: part.approval.reason || null });
    } else return;
    out.ids.push(part.toolCallId);
  });
  return out;
}
