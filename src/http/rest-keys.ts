// REST's spelling of input, in one table per object of a request: the REST
// body key → the service's input key. The REST parser renames keys with these
// tables, and the REST error responder uses the same tables backwards, so a
// validation error names `controls.model_id`, `external_actor.metadata` or
// `client_message_id` — not the service's camelCase — and speaks lowercase
// enum values (src/domain/enums.ts). GraphQL errors keep GraphQL's names.
import { ENUM_TABLES } from "../domain/enums.js";
import { AppError } from "../errors.js";

export const REST_KEYS = {
  /** Path parameters. */
  path: { session_id: "sessionId", image_id: "imageId", agent_id: "agentId" },
  /** POST /v1/sessions and PATCH /v1/sessions/{id}. */
  session: { title: "title", locale: "locale", model_id: "modelId", agent_id: "agentId", hints: "hints", tags: "tags", metadata: "metadata" },
  /** POST /v1/agents and PATCH /v1/agents/{id}. */
  agent: {
    name: "name",
    description: "description",
    instructions: "instructions",
    model_id: "modelId",
    tools: "tools",
    approval_required: "approvalRequired",
    client_tools: "clientTools",
    max_iterations: "maxIterations",
  },
  /** POST /v1/sessions/{id}/fork. */
  fork: { at_sequence: "atSequence", title: "title" },
  /** POST /v1/sessions/{id}/messages. */
  createMessage: {
    message: "message",
    controls: "controls",
    external_actor: "externalActor",
    metadata: "metadata",
    tags: "tags",
    client_message_id: "idempotencyKey",
    delivery: "delivery",
  },
  controls: {
    model_id: "modelId",
    reasoning: "reasoning",
    error_disclosure: "errorDisclosure",
    hints: "hints",
    locale: "locale",
    max_tokens: "maxTokens",
    client_tools: "clientTools",
    approval_required: "approvalRequired",
  },
  /** POST /v1/sessions/{id}/tool-results and tool-approvals entries. */
  toolAnswer: { tool_call_id: "toolCallId", is_error: "isError", content: "content", decision: "decision", reason: "reason" },
  externalActor: { actor_id: "actorId", actor_name: "actorName", metadata: "metadata", source: "source" },
  /** Content parts arrive in their stored (REST) shape; validation names their fields in camelCase. */
  contentPart: { image_id: "imageId", media_type: "mediaType" },
} as const satisfies Record<string, Record<string, string>>;

type KeyTable = Readonly<Record<string, string>>;

/** The keys of `body` a table knows, renamed to the service's names (unknown keys are dropped). */
export function fromRestKeys(body: Record<string, unknown>, table: KeyTable): Record<string, unknown> {
  return Object.fromEntries(Object.entries(table).filter(([rest]) => rest in body).map(([rest, service]) => [service, body[rest]]));
}

/** Service key → REST key, over every table (a service key has one REST spelling). */
const TO_REST = new Map<string, string>();
for (const table of Object.values(REST_KEYS) as KeyTable[]) {
  for (const [rest, service] of Object.entries(table)) {
    const known = TO_REST.get(service);
    if (known !== undefined && known !== rest) throw new Error(`REST_KEYS spells ${service} both ${known} and ${rest}`);
    if (rest !== service) TO_REST.set(service, rest);
  }
}

/** GraphQL enum name → REST spelling, over every enum table. */
const ENUM_TO_REST = new Map<string, string>(ENUM_TABLES.flatMap((table) => Object.entries(table)));

const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;
// Quoted text in a message is the client's own value ("got \"USER\""): never rewritten.
const QUOTED = /("(?:[^"\\]|\\.)*")/;

/** A field path or a message in REST's spelling: renamed keys, lowercase enum values. */
export function restSpelling(text: string): string {
  return text
    .split(QUOTED)
    .map((piece, i) => (i % 2 === 1 ? piece : piece.replace(WORD, (word) => TO_REST.get(word) ?? ENUM_TO_REST.get(word) ?? word)))
    .join("");
}

/** What a REST client reads for a domain error: its message (prefixed with the field when it does not name it), in REST's spelling. */
export function restErrorMessage(error: AppError): string {
  const field = error.field ? restSpelling(error.field) : undefined;
  const message = restSpelling(error.message);
  return field && !message.includes(field) ? `${field}: ${message}` : message;
}
