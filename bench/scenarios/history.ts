// Scenarios 1 and 2: reading a page of history, `messages(last: 50)` with
// every content part type selected, under autocannon.
import { writeFileSync } from "node:fs";
import { gql } from "../lib/graphql.js";
import { load, type LoadOptions, type LoadResult } from "../lib/http-load.js";

const PARTS = `
  ... on TextPart { text }
  ... on ImagePart { url base64 mediaType }
  ... on ImageFilePart { imageId filename }`;

export const HISTORY_QUERY = `query History($id: ID!, $last: Int!) {
  session(id: $id) {
    messages(last: $last) {
      nodes {
        id
        role
        content {
          __typename${PARTS}
          ... on ToolCallPart { id name arguments }
          ... on ToolResultPart { toolCallId isError content { __typename${PARTS} } }
        }
      }
    }
  }
}`;

export interface HistoryNodes {
  nodes: { id: string; role: string; content: { __typename: string }[] }[];
}

export const historyBody = (sessionId: string, last: number) => JSON.stringify({ query: HISTORY_QUERY, variables: { id: sessionId, last } });

/** One read through GraphQL, checked: the page holds `expected` messages. */
export async function readHistoryOnce(base: string, sessionId: string, last: number, expected = last): Promise<HistoryNodes> {
  const data = await gql<{ session: { messages: HistoryNodes } | null }>(base, HISTORY_QUERY, { id: sessionId, last });
  const page = data.session?.messages;
  if (!page) throw new Error(`session ${sessionId} not found`);
  if (page.nodes.length !== expected) throw new Error(`expected ${expected} messages, got ${page.nodes.length}`);
  return page;
}

export function checkPartTypes(page: HistoryNodes): string[] {
  const seen = new Set(page.nodes.flatMap((n) => n.content.map((p) => p.__typename)));
  return ["TextPart", "ImagePart", "ImageFilePart", "ToolCallPart", "ToolResultPart"].filter((t) => !seen.has(t));
}

export interface LoadShape {
  connections: number;
  durationS: number;
  warmupS: number;
  pid?: number;
  onMeasure?: LoadOptions["onMeasure"];
}

/** autocannon against Parley's /graphql. */
export function loadGraphQL(base: string, sessionId: string, last: number, shape: LoadShape): Promise<LoadResult> {
  return load({ url: `${base}/graphql`, body: historyBody(sessionId, last), ...shape });
}

/** autocannon against the SQL floor's /history. */
export function loadFloor(base: string, sessionId: string, last: number, shape: LoadShape): Promise<LoadResult> {
  return load({ url: `${base}/history`, body: JSON.stringify({ sessionId, last }), ...shape });
}

/** The fixture the yoga baseline serves: what Parley answered. */
export function writeFixture(file: string, page: HistoryNodes): void {
  writeFileSync(file, JSON.stringify({ nodes: page.nodes }));
}

/** The same page asked of the PostGraphile peer (bench/baselines/postgraphile.ts): the newest `last`, with id, role and content. */
export const PEER_HISTORY_QUERY = `query History($id: String!, $last: Int!) {
  allMessages(condition: { sessionId: $id }, orderBy: [SEQUENCE_DESC], first: $last) {
    nodes { id role content }
  }
}`;

/** One read of the peer, checked like Parley's: the page holds `expected` messages. */
export async function readPeerOnce(base: string, sessionId: string, last: number, expected = last): Promise<void> {
  const data = await gql<{ allMessages: { nodes: unknown[] } }>(base, PEER_HISTORY_QUERY, { id: sessionId, last });
  if (data.allMessages.nodes.length !== expected) throw new Error(`PostGraphile: expected ${expected} messages, got ${data.allMessages.nodes.length}`);
}

/** autocannon against the PostGraphile peer's /graphql. */
export function loadPeer(base: string, sessionId: string, last: number, shape: LoadShape): Promise<LoadResult> {
  return load({ url: `${base}/graphql`, body: JSON.stringify({ query: PEER_HISTORY_QUERY, variables: { id: sessionId, last } }), ...shape });
}
