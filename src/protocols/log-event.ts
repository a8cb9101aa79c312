// What the protocol mappers read of a stored event (a StoredEvent fits), and
// the small readers of its `data` they share, and the one writer of answers. Mappers are pure: the same run
// of events always gives the same frames, so a replay reproduces ids exactly.
import type { ContentPart, InputPart, JsonObject, ToolResultContent } from "../domain/content.js";
import type { RestMessage } from "../domain/messages.js";

export interface LogEvent {
  sequence: number;
  type: string;
  ts: Date;
  context: { turnId: string | null };
  data: JsonObject;
}

/** The part of a turn a protocol stream covers: its events from `startSequence` on. */
export interface TurnSpan {
  turnId: string;
  /** Sequence of the event that starts the stream (the turn's input.message). */
  startSequence: number;
}

export interface ToolCallData {
  id: string;
  name: string;
  arguments: JsonObject;
}

export const str = (data: JsonObject, key: string): string => (typeof data[key] === "string" ? (data[key] as string) : "");

export const messageOf = (data: JsonObject): RestMessage => data.message as unknown as RestMessage;

export const textParts = (parts: readonly ContentPart[]): string => parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");

export const toolCallsOf = (message: RestMessage): ToolCallData[] =>
  message.content.flatMap((p) => (p.type === "tool_call" ? [{ id: p.id, name: p.name, arguments: p.arguments }] : []));

/** A tool.completed event's result as plain text (its text parts; the error when it failed and said nothing). */
export function toolResultText(data: JsonObject): string {
  const text = textParts((data.result as ToolResultContent[] | undefined) ?? []);
  return text || str(data, "error");
}

/** A client's result for a waiting call, as a protocol's request carries it. */
export interface ToolAnswer {
  toolCallId: string;
  content: InputPart[];
  isError: boolean;
}

export interface ToolDecision {
  toolCallId: string;
  approve: boolean;
  reason: string | null;
}

/** A client's tool answer as Parley content: its text, or the JSON of anything else (content may not be empty). */
export function answerText(value: unknown): InputPart[] {
  return [{ type: "text", text: typeof value === "string" && value !== "" ? value : JSON.stringify(value ?? null) }];
}

/** Types that end a turn's stream. */
export const TURN_END = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);
