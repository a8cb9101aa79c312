// Parley's log as the Vercel AI SDK's UI message stream (v1, `ai` 6 chunks),
// and UI messages as Parley input. A turn is one assistant UI message (its id
// is the turn id, so the POST and a resumed GET agree); each model step is a
// step; tools are dynamic tools (their names are known only at run time).
// One case per event type: client tools and approvals are new cases.
import type { UIMessage, UIMessageChunk } from "ai";
import type { InputPart } from "../domain/content.js";
import { validation } from "../errors.js";
import { messageOf, str, textParts, toolCallsOf, toolResultText, TURN_END, type LogEvent, type TurnSpan } from "./log-event.js";

type Case = (event: LogEvent, state: TurnState) => UIMessageChunk[];

interface TurnState {
  span: TurnSpan;
  stepOpen: boolean;
  /** The text part (agent message id) started and not yet ended. */
  openText: string | null;
}

/**
 * Folds a turn's events into UI message chunks. Feed it every event from the
 * turn's input message on (other turns' events are skipped); `finished` turns
 * true at the turn's end.
 */
export class AiSdkTurnMapper {
  private readonly state: TurnState;
  finished = false;

  constructor(span: TurnSpan) {
    this.state = { span, stepOpen: false, openText: null };
  }

  map(event: LogEvent): UIMessageChunk[] {
    const { span } = this.state;
    if (this.finished || event.context.turnId !== span.turnId || event.sequence < span.startSequence) return [];
    const chunks: UIMessageChunk[] = event.sequence === span.startSequence ? [{ type: "start", messageId: span.turnId }] : [];
    chunks.push(...(CASES[event.type]?.(event, this.state) ?? []));
    if (TURN_END.has(event.type)) this.finished = true;
    return chunks;
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

  "tool.completed": (event) => {
    const toolCallId = str(event.data, "tool_call_id");
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
