// Baseline (upper bound) for the history read: a bare graphql-yoga server
// with the same types for the fields the bench selects, answering the same
// document with the same JSON from memory. No database, no Pothos, no
// DataLoaders, no logging: what is left is HTTP + yoga + graphql-js
// execution of the same selection. BENCH_FIXTURE names a JSON file holding
// `data.session.messages.nodes` as Parley answered them (with __typename,
// which graphql-js' default type resolver uses for the unions).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createSchema, createYoga } from "graphql-yoga";
import { JSONResolver } from "graphql-scalars";
import { installMemoryProbe } from "../lib/memory-probe.js";
import { serveBaseline } from "../lib/baseline-server.js";

installMemoryProbe();

const fixture = JSON.parse(readFileSync(process.env.BENCH_FIXTURE!, "utf8")) as { nodes: unknown[] };

const typeDefs = /* GraphQL */ `
  scalar JSON
  enum MessageRole { SYSTEM USER AGENT TOOL_RESULT }
  type Query { session(id: ID!): Session }
  type Session { id: ID! messages(first: Int, after: String, last: Int, before: String): MessageConnection! }
  type MessageConnection { nodes: [Message!]! }
  type Message { id: ID! role: MessageRole! content: [ContentPart!]! }
  union ContentPart = TextPart | ImagePart | ImageFilePart | ToolCallPart | ToolResultPart
  union ToolResultContent = TextPart | ImagePart | ImageFilePart
  type TextPart { text: String! }
  type ImagePart { url: String base64: String mediaType: String }
  type ImageFilePart { imageId: ID! filename: String }
  type ToolCallPart { id: ID! name: String! arguments: JSON! }
  type ToolResultPart { toolCallId: ID! content: [ToolResultContent!]! isError: Boolean! }
`;

const yoga = createYoga({
  schema: createSchema({
    typeDefs,
    resolvers: {
      JSON: JSONResolver,
      Query: { session: (_root: unknown, { id }: { id: string }) => ({ id }) },
      Session: { messages: () => ({ nodes: fixture.nodes }) },
    },
  }),
  logging: false,
  landingPage: false,
  graphiql: false,
});

const server = createServer(yoga);
serveBaseline(server);
