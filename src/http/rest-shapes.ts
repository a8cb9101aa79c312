// The seeds' JSON shapes (snake_case, lowercase enums, RFC 3339 times) for
// REST answers and SSE event payloads. Messages and events have theirs next
// to their type in domain/ (events carry the message shape in `data.message`).
import type { PendingCall } from "../domain/pending-calls.js";
import { agentClientTools } from "../domain/agents.js";
import type { Agent } from "../store/agents.js";
import type { ImageMeta } from "../store/images.js";
import type { Session } from "../store/sessions.js";

export { eventToRest as restEvent } from "../domain/events.js";
export { messageToRest as restMessage } from "../domain/messages.js";

/** A waiting call in the Everruns shape (SPEC §11). */
export function restPendingCall(c: PendingCall) {
  return {
    tool_call: c.toolCall,
    kind: c.kind,
    turn_id: c.turnId,
    requested_at: c.requestedAt.toISOString(),
    expires_at: c.expiresAt.toISOString(),
  };
}

/** `pending` holds the calls the session waits for ([] unless it waits). */
export function restSession(s: Session, pending: readonly PendingCall[] = []) {
  return {
    id: s.id,
    title: s.title,
    status: s.status.toLowerCase(),
    locale: s.locale,
    model_id: s.modelId,
    hints: s.hints ?? null,
    tags: s.tags,
    metadata: s.metadata ?? null,
    agent_id: s.agentId,
    last_sequence: s.lastSequence,
    forked_from_session_id: s.forkedFromSessionId ?? null,
    forked_from_sequence: s.forkedFromSequence ?? null,
    pending_tool_calls: pending.map(restPendingCall),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

export function restAgent(a: Agent) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    instructions: a.instructions,
    model_id: a.modelId,
    tools: a.tools,
    approval_required: a.approvalRequired,
    client_tools: agentClientTools(a),
    max_iterations: a.maxIterations,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

export function restImage(image: ImageMeta, url: string) {
  return {
    id: image.id,
    filename: image.filename,
    media_type: image.mediaType,
    byte_size: image.byteSize,
    url,
    created_at: image.createdAt.toISOString(),
  };
}
