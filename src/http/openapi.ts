// GET /v1/openapi.json (SPEC §14): an OpenAPI 3.1 description of every REST
// route, so a team can generate a client or browse the API. Written as data
// next to the routes it describes; test/e2e/openapi.test.ts checks that every
// documented operation is served and every served REST route is documented.
import type { Route } from "./server.js";
import { sendJson } from "./health.js";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
const errors = {
  "400": { $ref: "#/components/responses/Error" },
  "401": { $ref: "#/components/responses/Error" },
  "403": { $ref: "#/components/responses/Error" },
  "404": { $ref: "#/components/responses/Error" },
  "409": { $ref: "#/components/responses/Error" },
  "413": { $ref: "#/components/responses/Error" },
  "422": { $ref: "#/components/responses/Error" },
  "429": { $ref: "#/components/responses/Error" },
  "500": { $ref: "#/components/responses/Error" },
};
const idParam = (name: string, prefix: string) => ({ name, in: "path", required: true, schema: { type: "string", pattern: `^${prefix}_[0-9a-f]{32}$` } });
const query = (name: string, schema: object, description: string) => ({ name, in: "query", required: false, schema, description });
const body = (schema: object, type = "application/json") => ({ required: true, content: { [type]: { schema } } });
const list = (item: string) => ({ type: "object", required: ["data", "total"], properties: { data: { type: "array", items: ref(item) }, total: { type: "integer" } } });
const sse = (description: string) => ({ description, content: { "text/event-stream": { schema: { type: "string" } } } });

const SESSION = idParam("session_id", "session");
const AGENT = idParam("agent_id", "agent");
const IMAGE = idParam("image_id", "img");
const jsonObject = { type: ["object", "null"], additionalProperties: true };

const schemas = {
  Error: { type: "object", required: ["error", "status"], properties: { error: { type: "string" }, status: { type: "integer" } } },
  Session: {
    type: "object",
    properties: {
      id: { type: "string" }, title: { type: ["string", "null"] },
      status: { enum: ["started", "active", "idle", "waiting_for_tool_results"] },
      locale: { type: ["string", "null"] }, model_id: { type: ["string", "null"] }, agent_id: { type: ["string", "null"] },
      hints: jsonObject, tags: { type: "array", items: { type: "string" } }, metadata: jsonObject,
      last_sequence: { type: "integer" },
      pending_tool_calls: { type: "array", items: ref("PendingToolCall"), description: "In request order; [] unless waiting_for_tool_results" },
      forked_from_session_id: { type: ["string", "null"] }, forked_from_sequence: { type: ["integer", "null"] },
      created_at: { type: "string", format: "date-time" }, updated_at: { type: "string", format: "date-time" },
    },
  },
  SessionInput: {
    type: "object",
    properties: {
      title: { type: ["string", "null"] }, locale: { type: ["string", "null"] }, model_id: { type: ["string", "null"] },
      agent_id: { type: ["string", "null"] }, hints: jsonObject, tags: { type: "array", items: { type: "string" } }, metadata: jsonObject,
    },
  },
  ContentPart: {
    oneOf: [
      { type: "object", required: ["type", "text"], properties: { type: { const: "text" }, text: { type: "string" } } },
      { type: "object", required: ["type"], properties: { type: { const: "image" }, url: { type: "string" }, base64: { type: "string" }, media_type: { enum: ["image/png", "image/jpeg", "image/gif", "image/webp"] } } },
      { type: "object", required: ["type", "image_id"], properties: { type: { const: "image_file" }, image_id: { type: "string" }, filename: { type: "string" } } },
      { type: "object", required: ["type", "id", "name", "arguments"], properties: { type: { const: "tool_call" }, id: { type: "string" }, name: { type: "string" }, arguments: { type: "object" } } },
      { type: "object", required: ["type", "tool_call_id", "content", "is_error"], properties: { type: { const: "tool_result" }, tool_call_id: { type: "string" }, content: { type: "array", items: { type: "object" } }, is_error: { type: "boolean" } } },
    ],
  },
  Message: {
    type: "object",
    properties: {
      id: { type: "string" }, session_id: { type: "string" }, role: { enum: ["system", "user", "agent", "tool_result"] },
      content: { type: "array", items: ref("ContentPart") }, controls: jsonObject, external_actor: jsonObject, metadata: jsonObject,
      tags: { type: "array", items: { type: "string" } }, phase: { enum: ["commentary", "final_answer", null] },
      thinking: { type: ["string", "null"] }, thinking_signature: { type: ["string", "null"] }, turn_id: { type: ["string", "null"], description: "For a steered message, the turn it joined" },
      delivery: { enum: ["started", "queued", "steered", null], description: "A user message's delivery: started (its turn was next), queued (others were ahead), steered (it joined the running turn); null on other roles" },
      sequence: { type: "integer" }, created_at: { type: "string", format: "date-time" },
    },
  },
  MessageWaited: {
    description: "The message, and where its turn is after the wait (?wait=true)",
    allOf: [
      ref("Message"),
      {
        type: "object",
        required: ["turn_status", "turn_messages"],
        properties: {
          turn_status: { enum: ["queued", "running", "completed", "failed", "cancelled", "waiting_for_tool_results"] },
          turn_messages: { type: "array", items: ref("Message"), description: "What the turn appended after the user message so far" },
        },
      },
    ],
  },
  MessageInput: {
    type: "object",
    required: ["message"],
    properties: {
      message: { type: "object", required: ["content"], properties: { role: { const: "user" }, content: { type: "array", minItems: 1, maxItems: 100, items: ref("ContentPart") } } },
      controls: {
        type: "object",
        properties: {
          model_id: { type: "string" }, reasoning: { type: "object", properties: { effort: { enum: ["low", "medium", "high"] } } },
          error_disclosure: { enum: ["generic", "standard", "detailed"] }, hints: { type: "object" }, locale: { type: "string" },
          max_tokens: { type: "integer", minimum: 1 }, client_tools: { type: "array", items: ref("ClientTool") },
          approval_required: { type: "array", items: { type: "string" } },
        },
      },
      external_actor: { type: "object", required: ["actor_id"], properties: { actor_id: { type: "string" }, actor_name: { type: "string" }, metadata: { type: "object" }, source: { type: "string" } } },
      metadata: { type: "object" }, tags: { type: "array", maxItems: 64, items: { type: "string", maxLength: 256 } },
      client_message_id: { type: "string", description: "Idempotency key: the same key and body again returns the first message" },
      delivery: { enum: ["queue", "steer", "interrupt", "reject"], description: "What happens when a turn runs or waits (default queue)" },
    },
  },
  Event: {
    type: "object",
    properties: {
      id: { type: "string" }, session_id: { type: "string" }, sequence: { type: "integer" }, type: { type: "string" },
      ts: { type: "string", format: "date-time" }, context: { type: "object", properties: { turn_id: { type: ["string", "null"] }, input_message_id: { type: ["string", "null"] } } },
      data: { type: "object" },
    },
  },
  PendingToolCall: {
    type: "object",
    required: ["tool_call", "kind", "turn_id", "requested_at", "expires_at"],
    properties: {
      tool_call: { type: "object", required: ["id", "name", "arguments"], properties: { id: { type: "string" }, name: { type: "string" }, arguments: { type: "object" } } },
      kind: { enum: ["client", "approval"] }, turn_id: { type: "string" },
      requested_at: { type: "string", format: "date-time" }, expires_at: { type: "string", format: "date-time" },
    },
  },
  ClientTool: { type: "object", required: ["name"], properties: { name: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" }, description: { type: ["string", "null"] }, parameters: { type: "object" } } },
  Agent: {
    type: "object",
    properties: {
      id: { type: "string" }, name: { type: "string" }, description: { type: ["string", "null"] }, instructions: { type: ["string", "null"] },
      model_id: { type: ["string", "null"] }, tools: { type: "array", items: { type: "string" } }, approval_required: { type: "array", items: { type: "string" } },
      client_tools: { type: "array", items: ref("ClientTool") }, max_iterations: { type: "integer", minimum: 1, maximum: 50 },
      created_at: { type: "string", format: "date-time" }, updated_at: { type: "string", format: "date-time" },
    },
  },
  AgentInput: {
    type: "object",
    properties: {
      name: { type: "string" }, description: { type: ["string", "null"] }, instructions: { type: ["string", "null"] }, model_id: { type: ["string", "null"] },
      tools: { type: "array", items: { type: "string" } }, approval_required: { type: "array", items: { type: "string" } },
      client_tools: { type: "array", items: ref("ClientTool") }, max_iterations: { type: "integer", minimum: 1, maximum: 50 },
    },
  },
  Image: {
    type: "object",
    properties: { id: { type: "string" }, filename: { type: ["string", "null"] }, media_type: { type: "string" }, byte_size: { type: "integer" }, url: { type: "string", format: "uri" }, created_at: { type: "string", format: "date-time" } },
  },
};

const paths = {
  "/v1/sessions": {
    post: { summary: "Create a session", requestBody: body(ref("SessionInput")), responses: { "201": json(ref("Session"), "Created"), ...errors } },
    get: {
      summary: "List sessions, newest first",
      parameters: [query("limit", { type: "integer", minimum: 0, maximum: 500 }, "page size (default 20)"), query("after", { type: "string" }, "cursor"), query("status", { enum: ["started", "active", "idle", "waiting_for_tool_results"] }, "filter"), query("tag", { type: "string" }, "filter")],
      responses: { "200": json(list("Session")), ...errors },
    },
  },
  "/v1/sessions/{session_id}": {
    parameters: [SESSION],
    get: { summary: "Read a session", responses: { "200": json(ref("Session")), ...errors } },
    patch: { summary: "Update a session (replaces the given fields)", requestBody: body(ref("SessionInput")), responses: { "200": json(ref("Session")), ...errors } },
    delete: { summary: "Delete a session with its log", responses: { "200": json({ type: "object", properties: { id: { type: "string" }, deleted: { const: true } } }), ...errors } },
  },
  "/v1/sessions/{session_id}/messages": {
    parameters: [SESSION],
    post: {
      summary: "Post a user message (starts, queues, steers into or interrupts a turn)",
      parameters: [
        query("wait", { enum: ["true", "false"] }, "wait mode: answer once the message's turn has ended or waits for tool results, or after timeout_ms"),
        query("timeout_ms", { type: "integer", minimum: 0, maximum: 600000 }, "wait mode's bound (default 30000)"),
      ],
      requestBody: body(ref("MessageInput")),
      responses: { "201": json({ anyOf: [ref("MessageWaited"), ref("Message")] }, "Created (with turn_status and turn_messages when ?wait=true)"), ...errors },
    },
    get: {
      summary: "Read the conversation, oldest first",
      parameters: [query("limit", { type: "integer", minimum: 0 }, "page size"), query("after", { type: "string" }, "cursor"), query("role", { type: "string" }, "roles, repeatable or comma-separated (tool = tool_result)")],
      responses: { "200": json(list("Message")), ...errors },
    },
  },
  "/v1/sessions/{session_id}/cancel": {
    parameters: [SESSION],
    post: { summary: "Cancel the running turn (idempotent)", responses: { "200": json({ type: "object", properties: { status: { enum: ["cancelled", "no_op"] } } }), ...errors } },
  },
  "/v1/sessions/{session_id}/fork": {
    parameters: [SESSION],
    post: {
      summary: "Fork the session's log up to a boundary into a new session",
      requestBody: { required: false, content: { "application/json": { schema: { type: "object", properties: { at_sequence: { type: "integer" }, title: { type: "string" } } } } } },
      responses: { "201": json(ref("Session"), "Created"), ...errors },
    },
  },
  "/v1/sessions/{session_id}/tool-results": {
    parameters: [SESSION],
    post: {
      summary: "Answer waiting client-tool calls",
      requestBody: body({ type: "object", required: ["tool_results"], properties: { tool_results: { type: "array", items: { type: "object", required: ["tool_call_id", "content"], properties: { tool_call_id: { type: "string" }, content: { type: "array", items: ref("ContentPart") }, is_error: { type: "boolean" } } } } } }),
      responses: { "200": json(ref("Session")), ...errors },
    },
  },
  "/v1/sessions/{session_id}/tool-approvals": {
    parameters: [SESSION],
    post: {
      summary: "Decide waiting approval calls",
      requestBody: body({ type: "object", required: ["decisions"], properties: { decisions: { type: "array", items: { type: "object", required: ["tool_call_id", "decision"], properties: { tool_call_id: { type: "string" }, decision: { enum: ["allow", "reject"] }, reason: { type: "string" } } } } } }),
      responses: { "200": json(ref("Session")), ...errors },
    },
  },
  "/v1/sessions/{session_id}/sse": {
    parameters: [SESSION],
    get: {
      summary: "The session's events as Server-Sent Events (event: <type>, id: <event id>)",
      parameters: [
        { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" }, description: "resume after this event" },
        query("since_id", { type: "string" }, "resume after this event id"), query("after_sequence", { type: "integer" }, "resume after this sequence"),
        query("types", { type: "string" }, "event types or prefixes ending in *"), query("exclude", { type: "string" }, "event types or prefixes to leave out"),
      ],
      responses: { "200": sse("One event per frame, data = the event JSON"), ...errors },
    },
  },
  "/v1/agents": {
    post: { summary: "Create an agent", requestBody: body(ref("AgentInput")), responses: { "201": json(ref("Agent"), "Created"), ...errors } },
    get: { summary: "List agents, newest first", parameters: [query("limit", { type: "integer" }, "page size"), query("after", { type: "string" }, "cursor")], responses: { "200": json(list("Agent")), ...errors } },
  },
  "/v1/agents/{agent_id}": {
    parameters: [AGENT],
    get: { summary: "Read an agent", responses: { "200": json(ref("Agent")), ...errors } },
    patch: { summary: "Update an agent (replaces the given fields)", requestBody: body(ref("AgentInput")), responses: { "200": json(ref("Agent")), ...errors } },
    delete: { summary: "Delete an agent (its sessions fall back to the default agent)", responses: { "200": json({ type: "object", properties: { id: { type: "string" }, deleted: { const: true } } }), ...errors } },
  },
  "/v1/images": {
    post: {
      summary: "Upload an image (multipart field `file`)",
      requestBody: body({ type: "object", properties: { file: { type: "string", format: "binary" } } }, "multipart/form-data"),
      responses: { "201": json(ref("Image"), "Created"), ...errors },
    },
  },
  "/v1/images/{image_id}": { parameters: [IMAGE], get: { summary: "Read an image's metadata", responses: { "200": json(ref("Image")), ...errors } } },
  "/v1/images/{image_id}/content": {
    parameters: [IMAGE],
    get: {
      summary: "The image bytes (a signed URL needs no key)",
      parameters: [query("expires", { type: "integer" }, "signed URL expiry (unix seconds)"), query("signature", { type: "string" }, "signed URL signature")],
      responses: { "200": { description: "The bytes", content: { "image/*": { schema: { type: "string", format: "binary" } } } }, ...errors },
    },
  },
  "/v1/ag-ui": {
    post: {
      summary: "AG-UI: run an agent turn (RunAgentInput in, AG-UI events out)",
      description:
        "A run ends where the turn ends or waits: RUN_FINISHED outcome success (with pendingToolCallIds when client tools wait), interrupt (approvals), cancelled; RUN_ERROR when it failed. " +
        "`tools` are client tools for the posted message's turn; `role: \"tool\"` messages answer waiting client calls; `resume` entries decide approvals.",
      requestBody: body({
        type: "object",
        required: ["threadId", "runId", "messages"],
        description: "@ag-ui/core RunAgentInput",
        properties: {
          threadId: { type: "string" },
          runId: { type: "string" },
          messages: { type: "array", items: { type: "object" } },
          tools: { type: "array", items: { type: "object", required: ["name"], properties: { name: { type: "string" }, description: { type: "string" }, parameters: { type: "object" } } } },
          resume: {
            type: "array",
            description: "interruptId = the tool call id; status resolved with payload.approve not false approves, anything else rejects (payload.reason)",
            items: { type: "object", required: ["interruptId", "status"], properties: { interruptId: { type: "string" }, status: { type: "string", enum: ["resolved", "cancelled"] }, payload: {} } },
          },
        },
      }),
      responses: { "200": sse("AG-UI events, id: <sequence>.<n>"), ...errors },
    },
  },
  "/v1/ai-sdk/chat": {
    post: {
      summary: "Vercel AI SDK UI message stream v1 (useChat / DefaultChatTransport)",
      description:
        "Posts the newest unsent user message, or applies the tool answers of the last (assistant) message: tool parts in state output-available / output-error answer client calls, approval-responded decides approvals. " +
        "The stream ends where the turn ends or waits (a tool-approval-request for an approval, finish with finishReason tool-calls).",
      requestBody: body({
        type: "object",
        required: ["id", "messages"],
        properties: {
          id: { type: "string" },
          messages: { type: "array", items: { type: "object" } },
          trigger: { type: "string" },
          messageId: { type: "string" },
          clientTools: { type: "array", description: "Client tools for the posted message's turn", items: ref("ClientTool") },
        },
      }),
      responses: { "200": sse("UI message stream chunks, then [DONE]"), ...errors },
    },
  },
  "/v1/ai-sdk/chat/{chat_id}/stream": {
    parameters: [{ name: "chat_id", in: "path", required: true, schema: { type: "string" } }],
    get: { summary: "Resume the running turn's UI message stream", responses: { "200": sse("The turn's stream from its start, then live"), "204": { description: "No turn is running or waiting" }, ...errors } },
  },
};

export const OPENAPI_PATH = "/v1/openapi.json";

export const openApiDocument = {
  openapi: "3.1.0",
  info: { title: "Parley REST API", version: "1.0.0", description: "The Everruns-style REST and SSE API beside Parley's GraphQL endpoint (/graphql). Errors are {error, status}." },
  components: {
    schemas,
    responses: { Error: json(ref("Error"), "An error: {error, status}") },
    securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "With AUTH=api_key: Authorization: Bearer <key>" } },
  },
  security: [{}, { apiKey: [] }],
  paths,
};

export function openApiRoute(): Route {
  const text = JSON.stringify(openApiDocument);
  return (req, res, path) => {
    if (path !== OPENAPI_PATH || (req.method !== "GET" && req.method !== "HEAD")) return false;
    sendJson(res, 200, JSON.parse(text));
    return true;
  };
}
