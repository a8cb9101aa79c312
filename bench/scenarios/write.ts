// Scenario 4: the write path. Each autocannon connection owns one session and
// posts createMessage as fast as it is acknowledged; every message queues a
// demo turn (no delay) that streams its reply, so acknowledgements compete
// with streaming turns for the database. Events appended per second are read
// from the sessions' lastSequence before and after the measured run.
import { gql } from "../lib/graphql.js";
import { load, type LoadResult } from "../lib/http-load.js";
import type { LoadShape } from "./history.js";
import { createSession } from "./live.js";

// Letters only: the demo driver quotes it (no calculator, no clock).
export const WRITE_TEXT = "Please summarise the latest figures for the quarterly report and list the open questions.";

const CREATE_MESSAGE = `mutation Send($input: CreateMessageInput!) { createMessage(input: $input) { id sequence } }`;

export async function createWriteSessions(base: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await createSession(base, `write ${i}`));
  return ids;
}

async function lastSequences(base: string, sessionIds: string[]): Promise<number> {
  const fields = sessionIds.map((id, i) => `s${i}: session(id: "${id}") { lastSequence }`).join(" ");
  const data = await gql<Record<string, { lastSequence: number } | null>>(base, `{ ${fields} }`);
  return Object.values(data).reduce((sum, s) => sum + (s?.lastSequence ?? 0), 0);
}

export interface WriteResult {
  ack: LoadResult;
  eventsAppended: number;
  eventsPerSecond: number;
}

export async function parleyWrite(base: string, sessionIds: string[], shape: LoadShape): Promise<WriteResult> {
  let before = 0;
  let after = 0;
  let t0 = 0;
  let t1 = 0;
  const ack = await load({
    url: `${base}/graphql`,
    bodyFor: (c) => JSON.stringify({ query: CREATE_MESSAGE, variables: { input: { sessionId: sessionIds[c % sessionIds.length], message: { content: [{ text: { text: WRITE_TEXT } }] } } } }),
    connections: sessionIds.length,
    durationS: shape.durationS,
    warmupS: shape.warmupS,
    pid: shape.pid,
    onMeasure: async (phase) => {
      await shape.onMeasure?.(phase);
      if (phase === "start") {
        before = await lastSequences(base, sessionIds);
        t0 = performance.now();
      } else {
        t1 = performance.now();
        after = await lastSequences(base, sessionIds);
      }
    },
  });
  const eventsAppended = after - before;
  return { ack, eventsAppended, eventsPerSecond: eventsAppended / ((t1 - t0) / 1000) };
}

export interface FloorWriteResult {
  createMessage: LoadResult;
  append: LoadResult;
}

/** The same writes as hand-written single statements (bench/baselines/sql-floor.ts). */
export async function floorWrite(base: string, sessionIds: string[], shape: LoadShape): Promise<FloorWriteResult> {
  const common = { connections: sessionIds.length, durationS: shape.durationS, warmupS: shape.warmupS, pid: shape.pid };
  const createMessage = await load({
    url: `${base}/create-message`,
    bodyFor: (c) => JSON.stringify({ sessionId: sessionIds[c % sessionIds.length], text: WRITE_TEXT }),
    ...common,
  });
  const append = await load({
    url: `${base}/append`,
    bodyFor: (c) => JSON.stringify({ sessionId: sessionIds[c % sessionIds.length] }),
    ...common,
  });
  return { createMessage, append };
}
