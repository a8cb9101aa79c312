// Scenario 4: the write path. Each autocannon connection owns one session and
// posts createMessage as fast as it is acknowledged; every message queues a
// demo turn (no delay) that streams its reply, so acknowledgements compete
// with streaming turns for the database. Events appended per second are read
// from the sessions' lastSequence before and after the measured run, which
// starts once the warm-up's turns have run; the CPU a message and its turn
// cost is counted until the window's turns have all run too.
import { gql } from "../lib/graphql.js";
import { cpuMs, load, type LoadResult } from "../lib/http-load.js";
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

/** Resolves once no turn is queued or running (the server's own gauges on /metrics). */
async function drained(base: string): Promise<void> {
  const gauge = (text: string, name: string) => Number(text.split("\n").find((line) => line.startsWith(`${name} `))?.split(" ")[1] ?? Number.NaN);
  // Every 200 ms: the CPU a /metrics scrape costs the server counts in the message + turn figure.
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    const text = await (await fetch(`${base}/metrics`)).text();
    if (gauge(text, "turns_queued") === 0 && gauge(text, "turns_running") === 0) return;
  }
  throw new Error("the write path's turns did not drain within 5 minutes");
}

export interface WriteResult {
  ack: LoadResult;
  eventsAppended: number;
  eventsPerSecond: number;
  /**
   * Server CPU from the window's start until every turn of its messages has
   * run, per message: what a message and its turn cost (the window's own CPU
   * per ack counts only the turns that kept up).
   */
  cpuMsPerMessageAndTurn: number;
}

export async function parleyWrite(base: string, sessionIds: string[], shape: LoadShape): Promise<WriteResult> {
  let before = 0;
  let after = 0;
  let t0 = 0;
  let t1 = 0;
  let cpu0 = Number.NaN;
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
        await drained(base); // the warm-up's turns are not the window's
        before = await lastSequences(base, sessionIds);
        cpu0 = cpuMs(shape.pid);
        t0 = performance.now();
      } else {
        t1 = performance.now();
        after = await lastSequences(base, sessionIds);
      }
    },
  });
  const eventsAppended = after - before;
  await drained(base);
  const cpuMsPerMessageAndTurn = ack.requests ? (cpuMs(shape.pid) - cpu0) / ack.requests : Number.NaN;
  return { ack, eventsAppended, eventsPerSecond: eventsAppended / ((t1 - t0) / 1000), cpuMsPerMessageAndTurn };
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
