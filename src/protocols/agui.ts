// Parley's log as AG-UI events (@ag-ui/core 1.x), and AG-UI input as Parley
// input. A run is one turn's events from the event that started the run; each
// Parley event gives zero or more frames, numbered `<sequence>.<n>`, so ids
// are unique, ordered and the same on every replay. A run ends where the
// turn waits (turn-waits.ts) or ends; the next run answers the wait with
// tool messages and `resume` entries. One case per event type.
import { EventType, type BaseEvent, type Message as AguiMessage, type ResumeEntry, type RunFinishedOutcome, type Tool as AguiTool } from "@ag-ui/core";
import type { InputPart, JsonObject } from "../domain/content.js";
import { validation } from "../errors.js";
import { answerText, messageOf, str, textParts, toolCallsOf, toolResultText, TURN_END, type LogEvent, type ToolAnswer, type ToolDecision, type TurnSpan } from "./log-event.js";
import { TurnWaits, type WaitingCall } from "./turn-waits.js";

export interface AguiRun extends TurnSpan {
  threadId: string;
  runId: string;
}

export interface AguiFrame {
  /** `<sequence>.<n>`: the Parley event the frame comes from and its index among that event's frames. */
  id: string;
  event: BaseEvent;
}

type Case = (event: LogEvent, state: RunState) => BaseEvent[];

interface RunState {
  run: AguiRun;
  waits: TurnWaits;
  /** The agent message whose TEXT_MESSAGE_START was sent and not yet ended. */
  openText: string | null;
}

/** A run that stops where the turn waits now (its answers left calls open): after the event at `sequence`, with these calls, if the turn has reached its wait by then. */
export interface RunEnd {
  sequence: number;
  waiting: readonly WaitingCall[];
}

/**
 * Folds a turn's events into a run's AG-UI frames. Feed it every event from
 * the turn's input message on (other turns' events are skipped): events
 * before the run's `startSequence` only build up the turn's state. The run
 * ends at the turn's next wait or its end (`finished` turns true), or at
 * `end` when given.
 */
export class AguiRunMapper {
  private readonly state: RunState;
  private started = false;
  finished = false;

  constructor(
    run: AguiRun,
    private readonly end: RunEnd | null = null,
  ) {
    this.state = { run, waits: new TurnWaits(), openText: null };
  }

  map(event: LogEvent): AguiFrame[] {
    const { run } = this.state;
    if (this.finished) return [];
    const ours = event.context.turnId === run.turnId;
    const wait = ours ? this.state.waits.observe(event) : null;
    const cased = ours ? (CASES[event.type]?.(event, this.state) ?? []) : [];
    const events: BaseEvent[] = [];
    if (ours && event.sequence >= run.startSequence) {
      events.push(...this.open(), ...cased);
      if (wait) events.push(...this.finish(wait));
      if (TURN_END.has(event.type)) this.finished = true;
    }
    // Only at a wait: a turn still running the step's server tools goes on to its wait.
    if (this.end && !this.finished && event.sequence >= this.end.sequence && this.state.waits.atWait) events.push(...this.open(), ...this.finish(this.end.waiting));
    return events.map((e, n) => ({ id: frameId(event.sequence, n), event: { ...e, timestamp: event.ts.getTime() } }));
  }

  /** RUN_STARTED, once: the first frame of the run's first event. */
  private open(): BaseEvent[] {
    if (this.started) return [];
    this.started = true;
    return [{ type: EventType.RUN_STARTED, threadId: this.state.run.threadId, runId: this.state.run.runId } as BaseEvent];
  }

  private finish(waiting: readonly WaitingCall[]): BaseEvent[] {
    this.finished = true;
    return [...closeText(this.state), runFinished(this.state, waitOutcome(waiting))];
  }
}

/**
 * A wait as @ag-ui/core's outcome: approvals are interrupts (the client
 * calls stay open beside them); client calls alone are a success with
 * `pendingToolCallIds`.
 */
export function waitOutcome(waiting: readonly WaitingCall[]): RunFinishedOutcome {
  const approvals = waiting.filter((c) => c.kind === "approval");
  if (approvals.length > 0) {
    return { type: "interrupt", interrupts: approvals.map((c) => ({ id: c.id, reason: "tool_approval", toolCallId: c.id, expiresAt: c.expiresAt })) } as RunFinishedOutcome;
  }
  return { type: "success", ...(waiting.length > 0 ? { pendingToolCallIds: waiting.map((c) => c.id) } : {}) } as RunFinishedOutcome;
}

const closeText = (state: RunState): BaseEvent[] => {
  if (!state.openText) return [];
  const messageId = state.openText;
  state.openText = null;
  return [{ type: EventType.TEXT_MESSAGE_END, messageId } as BaseEvent];
};

const runFinished = (state: RunState, outcome: RunFinishedOutcome, extra: Record<string, unknown> = {}): BaseEvent =>
  ({ type: EventType.RUN_FINISHED, threadId: state.run.threadId, runId: state.run.runId, outcome, ...extra }) as BaseEvent;

const CASES: Record<string, Case> = {
  // TEXT_MESSAGE_START waits for the first delta, so a step that only calls tools sends no empty message.
  "output.message.delta": (event, state) => {
    const messageId = str(event.data, "message_id");
    const start: BaseEvent[] = state.openText === messageId ? [] : [...closeText(state), { type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" } as BaseEvent];
    state.openText = messageId;
    return [...start, { type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: str(event.data, "delta") } as BaseEvent];
  },

  "output.message.completed": (event, state) => {
    const message = messageOf(event.data);
    const out: BaseEvent[] = [];
    if (state.openText === message.id) out.push(...closeText(state));
    else {
      // A driver that answered without streaming: the whole text as one delta.
      const text = textParts(message.content);
      if (text) {
        out.push(
          { type: EventType.TEXT_MESSAGE_START, messageId: message.id, role: "assistant" } as BaseEvent,
          { type: EventType.TEXT_MESSAGE_CONTENT, messageId: message.id, delta: text } as BaseEvent,
          { type: EventType.TEXT_MESSAGE_END, messageId: message.id } as BaseEvent,
        );
      }
    }
    for (const call of toolCallsOf(message)) {
      out.push(
        { type: EventType.TOOL_CALL_START, toolCallId: call.id, toolCallName: call.name, parentMessageId: message.id } as BaseEvent,
        { type: EventType.TOOL_CALL_ARGS, toolCallId: call.id, delta: JSON.stringify(call.arguments) } as BaseEvent,
        { type: EventType.TOOL_CALL_END, toolCallId: call.id } as BaseEvent,
      );
    }
    return out;
  },

  // A client call's result is the client's own tool message: no TOOL_CALL_RESULT to echo it back.
  "tool.completed": (event, state) => state.waits.kindOf(str(event.data, "tool_call_id")) === "client" ? [] : [
    {
      type: EventType.TOOL_CALL_RESULT,
      messageId: str(event.data, "message_id"),
      toolCallId: str(event.data, "tool_call_id"),
      content: toolResultText(event.data),
      role: "tool",
    } as BaseEvent,
  ],

  "turn.completed": (event, state) => [...closeText(state), runFinished(state, { type: "success" }, usageOf(event.data))],
  "turn.cancelled": (_event, state) => [...closeText(state), runFinished(state, { type: "cancelled" })],
  "turn.failed": (event, state) => [
    ...closeText(state),
    { type: EventType.RUN_ERROR, message: str(event.data, "error") || "The turn failed.", code: str(event.data, "error_code") || undefined } as BaseEvent,
  ],
};

function usageOf(data: JsonObject): { usage?: { inputTokens: number; outputTokens: number; totalTokens: number }[] } {
  const usage = data.usage as { input_tokens?: number; output_tokens?: number } | undefined;
  if (!usage || typeof usage.input_tokens !== "number" || typeof usage.output_tokens !== "number") return {};
  return { usage: [{ inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.input_tokens + usage.output_tokens }] };
}

/** A run that posts nothing: RUN_STARTED then RUN_FINISHED (its outcome the session's wait, if any), numbered after `sequence` (the session's head). */
export function emptyRun(threadId: string, runId: string, sequence: number, waiting: readonly WaitingCall[] = [], ts = new Date()): AguiFrame[] {
  const timestamp = ts.getTime();
  return [
    { id: frameId(sequence, 0), event: { type: EventType.RUN_STARTED, threadId, runId, timestamp } as BaseEvent },
    { id: frameId(sequence, 1), event: { type: EventType.RUN_FINISHED, threadId, runId, outcome: waitOutcome(waiting), timestamp } as BaseEvent },
  ];
}

export const frameId = (sequence: number, n: number) => `${sequence}.${n}`;

/** A `Last-Event-ID` value as [sequence, n]; VALIDATION_FAILED when it is not one of our frame ids. */
export function parseFrameId(value: string): [number, number] {
  const match = /^(\d{1,10})\.(\d{1,6})$/.exec(value.trim());
  if (!match) throw validation("Last-Event-ID", `Last-Event-ID must be a frame id <sequence>.<n>, got ${JSON.stringify(value.slice(0, 40))}`);
  return [Number(match[1]), Number(match[2])];
}

/** True when frame id `a` comes after `b`. */
export function frameAfter(a: string, b: [number, number]): boolean {
  const [s, n] = parseFrameId(a);
  return s > b[0] || (s === b[0] && n > b[1]);
}

/** The newest user message of a RunAgentInput's messages, or null. */
export function newestUserMessage(messages: readonly AguiMessage[]): { id: string; index: number; content: InputPart[] } | null {
  const index = messages.findLastIndex((m) => m.role === "user");
  if (index < 0) return null;
  const message = messages[index] as Extract<AguiMessage, { role: "user" }>;
  return { id: message.id, index, content: userContent(message.content, `messages[${index}].content`) };
}

/** AG-UI user content (a string or parts) as Parley input parts. */
function userContent(content: string | readonly { type: string; [key: string]: unknown }[], field: string): InputPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((part, i) => {
    if (part.type === "text") return { type: "text", text: String(part.text ?? "") };
    const source = part.source as { type: string; value: string; mimeType?: string } | undefined;
    if (part.type === "image" && source?.type === "url") return { type: "image", url: source.value };
    if (part.type === "image" && source?.type === "data") return { type: "image", base64: source.value, ...(source.mimeType ? { media_type: source.mimeType } : {}) };
    throw validation(`${field}[${i}]`, `Unsupported content part: ${part.type}${source ? ` with a ${source.type} source` : ""} (text and image url/data parts are)`);
  });
}

/** `role: "tool"` messages as client results (a message with `error` is an error result). Which of them answer a waiting call is the service's to judge. */
export function toolResultsOf(messages: readonly AguiMessage[]): ToolAnswer[] {
  return messages.flatMap((m): ToolAnswer[] => {
    if (m.role !== "tool") return [];
    const text = typeof m.content === "string" ? m.content : m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
    const isError = typeof m.error === "string";
    return [{ toolCallId: m.toolCallId, content: answerText(text || (isError ? m.error : text)), isError }];
  });
}

/** `resume` entries as decisions: `resolved` with `payload.approve` not false approves; anything else rejects, `payload.reason` the reason. */
export function decisionsOf(resume: readonly ResumeEntry[] | undefined): ToolDecision[] {
  return (resume ?? []).map((entry) => {
    const payload = (typeof entry.payload === "object" && entry.payload !== null ? entry.payload : {}) as { approve?: unknown; reason?: unknown };
    const approve = entry.status === "resolved" && payload.approve !== false;
    const reason = !approve && typeof payload.reason === "string" && payload.reason !== "" ? payload.reason : null;
    return { toolCallId: entry.interruptId, approve, reason };
  });
}

/** RunAgentInput `tools` as the turn's client tools (`parameters` default to an empty object schema). */
export const clientToolsOf = (tools: readonly AguiTool[]) =>
  tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters ?? { type: "object" } }));
