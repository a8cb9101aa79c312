// Scenarios 3 and 5: live fan-out over graphql-ws and idle-subscriber memory,
// against Parley and against the raw `ws` broadcaster (bench/baselines/ws-broadcast.ts).
// The same graphql-ws client library receives in both cases, so the
// difference is the server's.
import { wordDeltas } from "../../src/agent/drivers/demo.js";
import type { Child } from "../lib/processes.js";
import { gql, openSubscribers, waitFor, type Subscribers } from "../lib/graphql.js";
import type { MemorySample } from "../lib/memory-probe.js";
import { mean, percentile } from "../lib/stats.js";

/** What the fan-out subscribers select: the deltas, plus session.updated as the readiness barrier. */
export const FANOUT_SUBSCRIPTION = `subscription Live($id: ID!) {
  sessionEvents(sessionId: $id, types: ["output.message.delta", "session.updated"]) { id sequence type ts data }
}`;

/** An idle subscriber: a whole session's live events, as a chat UI would open it. */
export const IDLE_SUBSCRIPTION = `subscription Idle($id: ID!) {
  sessionEvents(sessionId: $id) { id sequence type ts data }
}`;

const WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec " +
  "romeo sierra tango uniform victor whiskey xray yankee zulu amber basil cedar dune ember fjord grove harbor")
  .split(" ");

// The demo driver's reply to a plain text (src/agent/drivers/demo.ts `quote`); only used to size the text.
const demoQuote = (text: string) =>
  `You said: "${text.trim()}". I am the demo agent: I can do arithmetic (try "what is 12*(3+4)?") and tell the time.`;

/**
 * A user text whose demo reply streams exactly `deltas` deltas (3 words each):
 * letters only, so it asks for neither the calculator nor the time.
 */
export function textForDeltas(deltas: number): { text: string; expected: number } {
  let words = Math.max(1, deltas * 3 - 19);
  const make = (n: number) => Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]).join(" ");
  while (wordDeltas(demoQuote(make(words))).length > deltas && words > 1) words--;
  while (wordDeltas(demoQuote(make(words))).length < deltas) words++;
  const text = make(words);
  return { text, expected: wordDeltas(demoQuote(text)).length };
}

export interface FanoutResult {
  subscribers: number;
  expectedPerSubscriber: number;
  delivered: number;
  /** Append (event ts) → receipt, ms. */
  p50: number;
  p99: number;
  mean: number;
  /** Deltas delivered per second, all subscribers together, first append → last receipt. */
  deltasPerSecond: number;
  /** Subscribers that got every delta. */
  complete: number;
  seconds: number;
}

/** Receives deltas for `n` subscribers and measures them. */
export class DeltaMeter {
  readonly counts: Int32Array;
  readonly ready: Uint8Array;
  private readonly latencies: Float64Array;
  private size = 0;
  firstTs = Number.POSITIVE_INFINITY;
  lastReceipt = 0;
  lastActivity = Date.now();
  recorded: unknown[] | null;

  constructor(
    readonly n: number,
    readonly expected: number,
    record: boolean,
  ) {
    this.counts = new Int32Array(n);
    this.ready = new Uint8Array(n);
    this.latencies = new Float64Array(n * expected + 16);
    this.recorded = record ? [] : null;
  }

  onNext = (i: number, payload: { data?: { sessionEvents?: { type: string; ts: string } } }) => {
    const event = payload.data?.sessionEvents;
    if (!event) return;
    if (event.type !== "output.message.delta") {
      this.ready[i] = 1;
      return;
    }
    const now = performance.timeOrigin + performance.now();
    const ts = Date.parse(event.ts);
    if (this.size < this.latencies.length) this.latencies[this.size++] = now - ts;
    if (ts < this.firstTs) this.firstTs = ts;
    this.lastReceipt = now;
    this.lastActivity = Date.now();
    this.counts[i]! += 1;
    if (i === 0 && this.recorded) this.recorded.push(payload);
  };

  allReady = () => this.ready.every((r) => r === 1);
  done = () => this.counts.every((c) => c >= this.expected);

  /** Waits until every subscriber has every delta, or nothing arrived for `idleMs`, or the deadline. */
  async settle(idleMs: number, timeoutMs: number): Promise<void> {
    this.lastActivity = Date.now();
    await waitFor(() => this.done() || Date.now() - this.lastActivity > idleMs, timeoutMs, 25);
  }

  result(seconds: number): FanoutResult {
    const values = this.latencies.subarray(0, this.size);
    const delivered = this.counts.reduce((a, b) => a + b, 0);
    return {
      subscribers: this.n,
      expectedPerSubscriber: this.expected,
      delivered,
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      mean: mean(values),
      deltasPerSecond: delivered / Math.max(0.001, (this.lastReceipt - this.firstTs) / 1000),
      complete: this.counts.filter((c) => c >= this.expected).length,
      seconds,
    };
  }
}

export async function createSession(base: string, title: string): Promise<string> {
  const data = await gql<{ createSession: { id: string } }>(base, `mutation($t: String) { createSession(input: { title: $t }) { id } }`, { t: title });
  return data.createSession.id;
}

/**
 * Parley: subscribers are live once each has seen a `session.updated`
 * appended after it subscribed; re-poked until all have (a subscription
 * registers asynchronously after the socket's `subscribe` message).
 */
export async function parleyBarrier(base: string, sessionId: string, allReady: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let k = 0; Date.now() < deadline; k++) {
    await gql(base, `mutation($id: ID!, $t: String) { updateSession(input: { id: $id, title: $t }) { id } }`, { id: sessionId, t: `barrier ${k}` });
    if (await waitFor(allReady, 1_000, 10)) return true;
  }
  return false;
}

export interface FanoutRun {
  parley: FanoutResult;
  /** The frames subscriber 0 received (for the baseline to replay). */
  payloads: unknown[];
}

/** One streamed turn of `deltas` deltas watched by `n` graphql-ws subscribers on Parley. */
export async function parleyFanout(base: string, n: number, deltas: number, timeoutMs: number): Promise<FanoutRun> {
  const { text, expected } = textForDeltas(deltas);
  const sessionId = await createSession(base, `fanout ${n}`);
  const meter = new DeltaMeter(n, expected, true);
  let subs: Subscribers | undefined;
  try {
    subs = await openSubscribers(base, n, { query: FANOUT_SUBSCRIPTION, variables: { id: sessionId } }, meter.onNext);
    if (!(await parleyBarrier(base, sessionId, meter.allReady))) {
      throw new Error(`only ${meter.ready.filter((r) => r === 1).length}/${n} subscribers became live`);
    }
    const started = performance.now();
    await gql(base, `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id } }`, {
      input: { sessionId, message: { content: [{ text: { text } }] } },
    });
    await meter.settle(5_000, timeoutMs);
    return { parley: meter.result((performance.now() - started) / 1000), payloads: meter.recorded ?? [] };
  } finally {
    await subs?.dispose();
  }
}

export async function status(base: string): Promise<number> {
  const res = await fetch(`${base}/status`);
  return ((await res.json()) as { subscribers: number }).subscribers;
}

/** The same frames, same pacing, through the raw ws broadcaster to `n` graphql-ws clients. */
export async function baselineFanout(base: string, n: number, payloads: unknown[], delayMs: number, timeoutMs: number): Promise<FanoutResult> {
  const meter = new DeltaMeter(n, payloads.length, false);
  let subs: Subscribers | undefined;
  try {
    subs = await openSubscribers(base, n, { query: FANOUT_SUBSCRIPTION, variables: { id: "baseline" } }, meter.onNext);
    if (!(await waitFor(async () => (await status(base)) === n, 30_000, 50))) throw new Error(`baseline: not all ${n} subscribers registered`);
    const started = performance.now();
    const res = await fetch(`${base}/broadcast`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payloads, delayMs }),
    });
    if (!res.ok) throw new Error(`baseline broadcast: ${res.status} ${await res.text()}`);
    await meter.settle(5_000, timeoutMs);
    return meter.result((performance.now() - started) / 1000);
  } finally {
    await subs?.dispose();
  }
}

export interface MemoryResult {
  subscribers: number;
  before: MemorySample;
  with: MemorySample;
  after: MemorySample;
  heapPerSubscriber: number;
  rssPerSubscriber: number;
}

/**
 * Memory of `n` idle subscribers: sample (after GC) with none, with n live,
 * and after they left (a leak shows as `after` well above `before`).
 */
export async function idleMemory(
  server: Child,
  base: string,
  n: number,
  kind: "parley" | "baseline",
): Promise<MemoryResult> {
  const sessionId = kind === "parley" ? await createSession(base, "idle") : "baseline";
  const ready = new Uint8Array(n);
  const onNext = (i: number) => void (ready[i] = 1);
  const live = async (count: number) => {
    const subs = await openSubscribers(base, count, { query: IDLE_SUBSCRIPTION, variables: { id: sessionId } }, onNext);
    const ok =
      kind === "parley"
        ? await parleyBarrier(base, sessionId, () => ready.subarray(0, count).every((r) => r === 1))
        : await waitFor(async () => (await status(base)) === count, 30_000, 50);
    if (!ok) throw new Error(`${kind}: not all ${count} idle subscribers became live`);
    return subs;
  };
  // Warm the code paths (JIT, lazy modules) before the first sample.
  await (await live(Math.min(n, 20))).dispose();
  ready.fill(0);
  await new Promise((r) => setTimeout(r, 200));
  const before = await server.memory();
  const subs = await live(n);
  const withSubs = await server.memory();
  await subs.dispose();
  await waitFor(async () => kind === "parley" || (await status(base)) === 0, 10_000, 50);
  await new Promise((r) => setTimeout(r, 500));
  const after = await server.memory();
  return {
    subscribers: n,
    before,
    with: withSubs,
    after,
    heapPerSubscriber: (withSubs.heapUsed - before.heapUsed) / n,
    rssPerSubscriber: (withSubs.rss - before.rss) / n,
  };
}
