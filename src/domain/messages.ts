// Message reconstruction: which events produce a message, and what it is.
// The store writes this projection in the append transaction and can rebuild
// it from the log with the same function.
import type { StoredMessage, ToolResultContent } from "./content.js";

export interface LoggedEvent {
  id: string;
  sessionId: string;
  sequence: number;
  type: string;
  ts: Date;
  turnId?: string | null;
  data: unknown;
}

export const MESSAGE_EVENT_TYPES = ["input.message", "output.message.completed", "tool.completed"] as const;

export function messageFromEvent(event: LoggedEvent): StoredMessage | null {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case "input.message":
    case "output.message.completed":
      return data.message as StoredMessage;
    case "tool.completed":
      return {
        id: data.message_id as string,
        session_id: event.sessionId,
        role: "tool_result",
        content: [
          {
            type: "tool_result",
            tool_call_id: data.tool_call_id as string,
            content: (data.result as ToolResultContent[] | undefined) ?? [],
            is_error: data.status === "error",
          },
        ],
        phase: null,
        turn_id: event.turnId ?? (data.turn_id as string | undefined) ?? null,
        created_at: event.ts.toISOString(),
      };
    default:
      return null;
  }
}
