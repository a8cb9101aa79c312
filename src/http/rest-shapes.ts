// The seeds' JSON shapes (snake_case, lowercase enums, RFC 3339 times) for
// REST answers and SSE event payloads. Messages and events have theirs next
// to their type in domain/ (events carry the message shape in `data.message`).
import { agentClientTools, type Agent } from "../store/agents.js";
import type { ImageMeta } from "../store/images.js";
import type { Session } from "../store/sessions.js";

export { eventToRest as restEvent } from "../domain/events.js";
export { messageToRest as restMessage } from "../domain/messages.js";

export function restSession(s: Session) {
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
