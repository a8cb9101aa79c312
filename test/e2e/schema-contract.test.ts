// The served schema against SPEC §5, walked through introspection over HTTP:
// every type, field, argument, enum value, input field and union member the
// contract names must exist with exactly that type, nullability and default.
// Extra descriptions and additions are allowed; renames and drops are not.
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { startServer, type TestServer } from "../support/server.js";

// SPEC §5, verbatim.
const CONTRACT = /* GraphQL */ `
scalar DateTime   # RFC 3339
scalar JSON
scalar File       # multipart upload

interface Node { id: ID! }

type Query {
  node(id: ID!): Node
  session(id: ID!): Session                      # null when it does not exist
  sessions(first: Int, after: String, last: Int, before: String, status: SessionStatus, tag: String): SessionConnection!
  message(id: ID!): Message
  models: [Model!]!
}

type Mutation {
  createSession(input: CreateSessionInput): Session!
  updateSession(input: UpdateSessionInput!): Session!     # title, tags, metadata, hints, locale, modelId
  deleteSession(id: ID!): ID!
  createMessage(input: CreateMessageInput!): Message!
  cancelTurn(sessionId: ID!): Session!
  uploadImage(file: File!): Image!
}

type Subscription {
  sessionEvents(sessionId: ID!, after: Int, types: [String!], exclude: [String!]): SessionEvent!
}

enum SessionStatus { STARTED ACTIVE IDLE }
enum MessageRole { SYSTEM USER AGENT TOOL_RESULT }
enum ErrorDisclosure { GENERIC STANDARD DETAILED }

type Session implements Node {
  id: ID!  title: String  status: SessionStatus!  locale: String  modelId: ID
  hints: JSON  tags: [String!]!  metadata: JSON  createdAt: DateTime!  updatedAt: DateTime!
  lastSequence: Int!
  messages(first: Int, after: String, last: Int, before: String, roles: [MessageRole!]): MessageConnection!
  events(after: Int, first: Int, types: [String!]): [SessionEvent!]!
}

type Message implements Node {
  id: ID!  sessionId: ID!  session: Session!  role: MessageRole!  content: [ContentPart!]!
  controls: Controls  externalActor: ExternalActor  metadata: JSON  tags: [String!]!
  phase: MessagePhase  thinking: String  thinkingSignature: String  turnId: ID  sequence: Int!  createdAt: DateTime!
}
enum MessagePhase { COMMENTARY FINAL_ANSWER }

union ContentPart = TextPart | ImagePart | ImageFilePart | ToolCallPart | ToolResultPart
union ToolResultContent = TextPart | ImagePart | ImageFilePart
type TextPart { text: String! }
type ImagePart { url: String  base64: String  mediaType: String }
type ImageFilePart { imageId: ID!  filename: String  image: Image }
type ToolCallPart { id: ID!  name: String!  arguments: JSON! }
type ToolResultPart { toolCallId: ID!  content: [ToolResultContent!]!  isError: Boolean! }

type Controls { modelId: ID  reasoning: Reasoning  errorDisclosure: ErrorDisclosure  hints: JSON  locale: String  maxTokens: Int }
type Reasoning { effort: String }
type ExternalActor { actorId: String!  actorName: String!  metadata: JSON  source: String }
type Image implements Node { id: ID!  filename: String  mediaType: String!  byteSize: Int!  url: String!  createdAt: DateTime! }
type Model implements Node { id: ID!  name: String!  provider: String!  maxErrorDisclosure: ErrorDisclosure! }

type SessionEvent implements Node {
  id: ID!  sessionId: ID!  sequence: Int!  type: String!  ts: DateTime!
  context: EventContext!  data: JSON!
  message: Message          # the derived message, for events that produce one
}
type EventContext { turnId: ID  inputMessageId: ID }

type PageInfo { hasNextPage: Boolean!  hasPreviousPage: Boolean!  startCursor: String  endCursor: String }
type MessageEdge { cursor: String!  node: Message! }
type MessageConnection { edges: [MessageEdge!]!  nodes: [Message!]!  pageInfo: PageInfo!  totalCount: Int! }
type SessionEdge { cursor: String!  node: Session! }
type SessionConnection { edges: [SessionEdge!]!  nodes: [Session!]!  pageInfo: PageInfo!  totalCount: Int! }

input CreateSessionInput { title: String  locale: String  modelId: ID  hints: JSON  tags: [String!]  metadata: JSON }
input UpdateSessionInput { id: ID!  title: String  locale: String  modelId: ID  hints: JSON  tags: [String!]  metadata: JSON }
input CreateMessageInput {
  sessionId: ID!  message: InputMessage!  controls: ControlsInput  externalActor: ExternalActorInput
  metadata: JSON  tags: [String!]
  idempotencyKey: String
}
input InputMessage { role: MessageRole = USER  content: [InputContentPart!]! }
input InputContentPart @oneOf { text: TextInput  image: ImageInput  imageFile: ImageFileInput }
input TextInput { text: String! }
input ImageInput { url: String  base64: String  mediaType: String }
input ImageFileInput { imageId: ID!  filename: String }
input ControlsInput { modelId: ID  reasoning: ReasoningInput  errorDisclosure: ErrorDisclosure  hints: JSON  locale: String  maxTokens: Int }
input ReasoningInput { effort: String }
input ExternalActorInput { actorId: String!  actorName: String  metadata: JSON  source: String }
`;

/** Every requirement of the contract as one line, e.g. "Query.sessions(first: Int)". */
function requirements(contract: GraphQLSchema): string[] {
  const lines: string[] = [];
  const arg = (a: GraphQLArgument | GraphQLInputField) => `${a.name}: ${String(a.type)}${a.defaultValue === undefined ? "" : ` = ${JSON.stringify(a.defaultValue)}`}`;
  for (const type of Object.values(contract.getTypeMap()).filter((t) => !t.name.startsWith("__"))) {
    lines.push(`${kindOf(type)} ${type.name}`);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const i of type.getInterfaces()) lines.push(`${type.name} implements ${i.name}`);
      for (const field of Object.values(type.getFields())) {
        lines.push(`${type.name}.${field.name}: ${String(field.type)}`);
        for (const a of field.args) lines.push(`${type.name}.${field.name}(${arg(a)})`);
      }
    } else if (isInputObjectType(type)) {
      if (type.isOneOf) lines.push(`input ${type.name} @oneOf`);
      for (const field of Object.values(type.getFields())) lines.push(`${type.name}.${arg(field)}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) lines.push(`${type.name}.${value.name}`);
    } else if (isUnionType(type)) {
      for (const member of type.getTypes()) lines.push(`${type.name} = … | ${member.name}`);
    }
  }
  return lines;
}

function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return "type";
  if (isInterfaceType(type)) return "interface";
  if (isInputObjectType(type)) return "input";
  if (isEnumType(type)) return "enum";
  if (isUnionType(type)) return "union";
  return "scalar";
}

// SPEC §10 (agents and tools), verbatim: it extends the types above.
const AGENTS_CONTRACT = /* GraphQL */ `
type Agent implements Node {
  id: ID!                      # agent_…
  name: String!
  description: String
  instructions: String         # the system prompt, sent first in every model step
  modelId: ID                  # null: the session's model, else the server default
  model: Model
  tools: [String!]!            # server tools it may call: exact names or prefixes ending in '*'; default ["*"]
  approvalRequired: [String!]! # server tools (same patterns) that wait for a person's decision (§11); default []
  clientTools: [ClientTool!]!  # tools the frontend runs (§11)
  maxIterations: Int!          # default MAX_ITERATIONS
  createdAt: DateTime!  updatedAt: DateTime!
}
type ClientTool { name: String!  description: String  parameters: JSON! }   # parameters: a JSON Schema object
type Tool { name: String!  description: String  parameters: JSON!  source: ToolSource!  server: String }
enum ToolSource { BUILTIN MCP CLIENT }   # CLIENT: reserved for listings of a turn's client tools

extend type Query {
  agents(first: Int, after: String, last: Int, before: String): AgentConnection!   # newest first
  agent(id: ID!): Agent
  tools: [Tool!]!              # the server tools this deployment offers (built-in and MCP), sorted by name
}
extend type Mutation {
  createAgent(input: CreateAgentInput!): Agent!
  updateAgent(input: UpdateAgentInput!): Agent!   # replaces the fields it is given
  deleteAgent(id: ID!): ID!                        # sessions that named it fall back to the default agent
}
extend type Session { agentId: ID  agent: Agent }
extend input CreateSessionInput { agentId: ID }
extend input UpdateSessionInput { agentId: ID }
type AgentEdge { cursor: String!  node: Agent! }
type AgentConnection { edges: [AgentEdge!]!  nodes: [Agent!]!  pageInfo: PageInfo!  totalCount: Int! }
input ClientToolInput { name: String!  description: String  parameters: JSON }   # parameters default {"type":"object"}
input CreateAgentInput { name: String!  description: String  instructions: String  modelId: ID
  tools: [String!]  approvalRequired: [String!]  clientTools: [ClientToolInput!]  maxIterations: Int }
input UpdateAgentInput { id: ID!  name: String  description: String  instructions: String  modelId: ID
  tools: [String!]  approvalRequired: [String!]  clientTools: [ClientToolInput!]  maxIterations: Int }
`;

// SPEC §11 "Fork", verbatim.
const FORK_CONTRACT = /* GraphQL */ `
input ForkSessionInput { sessionId: ID!  atSequence: Int  title: String }
extend type Mutation { forkSession(input: ForkSessionInput!): Session! }
extend type Session { forkedFrom: Session  forkedFromSequence: Int }
`;

// SPEC §11 "People in the loop", verbatim.
const LOOP_CONTRACT = /* GraphQL */ `
extend enum SessionStatus { WAITING_FOR_TOOL_RESULTS }
enum PendingKind { CLIENT APPROVAL }
type PendingToolCall { toolCall: ToolCallPart!  kind: PendingKind!  turnId: ID!  requestedAt: DateTime!  expiresAt: DateTime! }
extend type Session { pendingToolCalls: [PendingToolCall!]! }    # in request order; [] unless WAITING_FOR_TOOL_RESULTS
input ToolResultInput { toolCallId: ID!  content: [InputContentPart!]!  isError: Boolean = false }
input ToolDecisionInput { toolCallId: ID!  approve: Boolean!  reason: String }
extend type Mutation {
  submitToolResults(sessionId: ID!, results: [ToolResultInput!]!): Session!
  decideToolCalls(sessionId: ID!, decisions: [ToolDecisionInput!]!): Session!
}
extend input ControlsInput { clientTools: [ClientToolInput!]  approvalRequired: [String!] }
`;

/** Every part of the contract the server implements so far. */
const FULL_CONTRACT = `${CONTRACT}\n${AGENTS_CONTRACT}\n${FORK_CONTRACT}\n${LOOP_CONTRACT}`;

describe("GraphQL schema contract (SPEC §5)", () => {
  const backend = pgliteBackend();
  let server: TestServer;
  let served: GraphQLSchema;

  beforeAll(async () => {
    server = await startServer(backend);
    served = buildClientSchema(await gqlData<IntrospectionQuery>(server.url, getIntrospectionQuery({ inputValueDeprecation: true, oneOf: true })));
  });
  afterAll(async () => {
    await server?.close();
    await backend.cleanup();
  });

  it("serves every type, field, argument, enum value, input field and union member of §5", () => {
    const wanted = requirements(buildSchema(FULL_CONTRACT));
    const have = new Set(requirements(served));
    expect(wanted.length).toBeGreaterThan(200); // the contract parsed whole
    expect(wanted.filter((line) => !have.has(line))).toEqual([]);
  });

  it("has no extra root fields beyond the contract", () => {
    const contract = buildSchema(FULL_CONTRACT);
    for (const root of ["Query", "Mutation", "Subscription"] as const) {
      const names = (schema: GraphQLSchema) => Object.keys((schema.getType(root) as { getFields(): object }).getFields()).sort();
      expect(names(served), root).toEqual(names(contract));
    }
  });
});
