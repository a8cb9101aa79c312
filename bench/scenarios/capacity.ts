// Scenario 6 (issue #18): capacity. N sessions each stream one demo turn
// (DEMO_DELAY_MS=20) to one graphql-ws subscriber each; N rises until the
// p99 append→receipt of the deltas passes the limit, or the turns stop
// keeping their pacing (deltas delivered per second below PACE_SHARE of N ×
// 1000/DEMO_DELAY_MS: turns that fall behind have few deltas in flight, so
// their latency alone would overstate capacity). The baseline is the
// raw ws broadcaster appending the same frames with one hand-written INSERT
// each at the same pacing, to one subscriber per session.
import { gql, openSubscribers, waitFor, type Subscribers } from "../lib/graphql.js";
import { createSession, DeltaMeter, FANOUT_SUBSCRIPTION, parleyBarrier, status, textForDeltas, type FanoutResult } from "./live.js";

export interface CapacityStep {
  n: number;
  result: FanoutResult;
  /** Every subscriber got every delta, p99 ≤ the limit, and delivery kept pace. */
  ok: boolean;
}

export interface CapacityRun {
  steps: CapacityStep[];
  /** Largest N that passed (0 when the first failed). */
  largest: number;
  /** Why it stopped rising: "limit" (p99 or missing deltas), "pace", "budget" or "end of list". */
  stopped: "limit" | "pace" | "budget" | "end of list";
}

/** The share of the paced delivery rate (N × 1000/delayMs deltas/s) a step must reach to pass. */
export const PACE_SHARE = 0.8;

/** The rising loop: `step(n)` for each N until one fails the limit or its pacing, or the time budget is spent. */
export async function rise(ns: number[], limitMs: number, delayMs: number, budgetMs: number, step: (n: number) => Promise<FanoutResult>): Promise<CapacityRun> {
  const steps: CapacityStep[] = [];
  const started = Date.now();
  let largest = 0;
  for (const n of ns) {
    if (steps.length > 0 && Date.now() - started > budgetMs) return { steps, largest, stopped: "budget" };
    const result = await step(n);
    const withinLimit = result.complete === n && result.p99 <= limitMs;
    const keptPace = result.deltasPerSecond >= PACE_SHARE * n * (1000 / delayMs);
    steps.push({ n, result, ok: withinLimit && keptPace });
    if (!withinLimit) return { steps, largest, stopped: "limit" };
    if (!keptPace) return { steps, largest, stopped: "pace" };
    largest = n;
  }
  return { steps, largest, stopped: "end of list" };
}

const CREATE_MESSAGE = `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`;

/**
 * Sessions for the steps, created through Parley's API as N grows and reused
 * by later steps (each step's turns have finished; its message starts a new
 * turn), 10 at a time so the database pool is never swamped.
 */
export class SessionPool {
  readonly ids: string[] = [];
  constructor(private readonly base: string) {}

  async take(n: number): Promise<string[]> {
    while (this.ids.length < n) {
      const batch = Math.min(10, n - this.ids.length);
      this.ids.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => createSession(this.base, `capacity ${this.ids.length + i}`)))));
    }
    return this.ids.slice(0, n);
  }
}

export interface ParleyCapacityStep {
  result: FanoutResult;
  /** The frames session 0's subscriber received (the baseline replays them on every session). */
  payloads: unknown[];
}

/** N sessions, one subscriber each, one message each: every session streams a demo turn of `deltas` deltas. */
export async function parleyCapacity(base: string, sessions: string[], deltas: number, timeoutMs: number): Promise<ParleyCapacityStep> {
  const { text, expected } = textForDeltas(deltas);
  const n = sessions.length;
  const meter = new DeltaMeter(n, expected, true);
  let subs: Subscribers | undefined;
  try {
    subs = await openSubscribers(base, n, (i) => ({ query: FANOUT_SUBSCRIPTION, variables: { id: sessions[i] } }), meter.onNext);
    const live = await Promise.all(sessions.map((id, i) => parleyBarrier(base, id, () => meter.ready[i] === 1)));
    if (!live.every(Boolean)) throw new Error(`only ${live.filter(Boolean).length}/${n} subscribers became live`);
    const started = performance.now();
    await Promise.all(sessions.map((sessionId) => gql(base, CREATE_MESSAGE, { input: { sessionId, message: { content: [{ text: { text } }] } } })));
    await meter.settle(5_000, timeoutMs);
    return { result: meter.result((performance.now() - started) / 1000), payloads: meter.recorded ?? [] };
  } finally {
    await subs?.dispose();
  }
}

/** The baseline: the same sessions' frames, appended by SQL and sent over raw ws, one subscriber per session. */
export async function baselineCapacity(base: string, sessions: string[], payloads: unknown[], delayMs: number, timeoutMs: number): Promise<FanoutResult> {
  const n = sessions.length;
  const meter = new DeltaMeter(n, payloads.length, false);
  let subs: Subscribers | undefined;
  try {
    subs = await openSubscribers(base, n, (i) => ({ query: FANOUT_SUBSCRIPTION, variables: { id: sessions[i] } }), meter.onNext);
    if (!(await waitFor(async () => (await status(base)) === n, 30_000, 50))) throw new Error(`baseline: not all ${n} subscribers registered`);
    const started = performance.now();
    const res = await fetch(`${base}/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ streams: sessions.map((sessionId) => ({ sessionId, payloads })), delayMs }),
    });
    if (!res.ok) throw new Error(`baseline stream: ${res.status} ${await res.text()}`);
    await meter.settle(5_000, timeoutMs);
    return meter.result((performance.now() - started) / 1000);
  } finally {
    await subs?.dispose();
  }
}
