// One chaos run on one backend: N cycles of busy sessions → `kill -9` at a
// random moment → restart → the checks of verify.ts. On PGlite one server
// owns a data directory; on PostgreSQL two instances share a database and the
// one running a turn is killed, so the other must take the turn over once its
// lease (TURN_LEASE_MS) runs out. Loopback only; every wait is bounded.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startChild, type ChildServer } from "../../test/support/child.js";
import { call, sleep } from "./client.js";
import { verifySession, type Acked } from "./verify.js";
import { answerWaiting, startWorker } from "./workload.js";

export interface ChaosOptions {
  backend: "pglite" | "postgres";
  cycles: number;
  /** PostgreSQL admin URL (a database is created for the run and dropped after). */
  pgAdminUrl?: string;
  sessionsPerCycle?: number;
  turnLeaseMs?: number;
  /** Stop starting cycles after this long (the run is bounded in time). */
  maxMs?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  backend: string;
  cycles: number;
  acked: number;
  lost: number;
  open: number;
  violations: string[];
  /** Kill → every session settled with the queued work done: on PGlite through the restarted server (its boot included), on PostgreSQL through the survivor, ms. */
  recoveryMs: number[];
  /** Restart → listening (the new process's boot, migrations check included), ms. */
  bootMs: number[];
  /** PostgreSQL: kill → the survivor has closed or re-queued every turn the killed instance held, ms. */
  takeoverMs: number[];
  turnLeaseMs: number;
}

// Replies stream a few words every 15 ms, so a kill often lands mid-turn.
const SERVER_ENV = { HOST: "127.0.0.1", DEMO_DELAY_MS: "15", LOG_LEVEL: "info" };
const SETTLE_TIMEOUT_MS = 120_000;

/** Turns this process started and did not end, from its log lines. */
function openTurns(child: ChildServer): string[] {
  const open = new Set<string>();
  for (const line of child.output().split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string; turnId?: string };
    if (entry.msg === "turn started" && entry.turnId) open.add(entry.turnId);
    if (entry.msg === "turn ended" && entry.turnId) open.delete(entry.turnId);
  }
  return [...open];
}

async function kill(child: ChildServer): Promise<void> {
  child.process.kill("SIGKILL");
  await child.exited;
}

/** Answers waiting calls until every session is idle with a still log; returns false on timeout. */
async function settle(url: string, sessionIds: string[]): Promise<boolean> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const last = new Map<string, number>();
  let quietRounds = 0;
  while (Date.now() < deadline) {
    let quiet = true;
    for (const id of sessionIds) {
      const state = await answerWaiting(url, id);
      const session = await call(url, "GET", `/v1/sessions/${id}`);
      const sequence = session.body?.last_sequence as number | undefined;
      if (!state.reachable || session.status !== 200 || !["idle", "started"].includes(session.body.status) || last.get(id) !== sequence) quiet = false;
      last.set(id, sequence ?? -1);
    }
    quietRounds = quiet ? quietRounds + 1 : 0;
    if (quietRounds >= 2) return true;
    await sleep(200);
  }
  return false;
}

async function createSessions(url: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await call(url, "POST", "/v1/sessions", { title: `chaos ${i}` });
    if (res.status !== 201) throw new Error(`could not create a session: ${res.status}`);
    ids.push(res.body.id);
  }
  return ids;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const turnLeaseMs = options.turnLeaseMs ?? 2000;
  const report: ChaosReport = { backend: options.backend, cycles: 0, acked: 0, lost: 0, open: 0, violations: [], recoveryMs: [], bootMs: [], takeoverMs: [], turnLeaseMs };
  const started = Date.now();
  const sessionsPerCycle = options.sessionsPerCycle ?? 3;
  const cleanup: (() => Promise<void>)[] = [];
  const live: ChildServer[] = [];
  try {
    let env: Record<string, string>;
    let admin: pg.Client | null = null;
    if (options.backend === "pglite") {
      const dir = mkdtempSync(join(tmpdir(), "parley-chaos-"));
      cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
      env = { ...SERVER_ENV, DATA_DIR: dir };
    } else {
      const adminUrl = options.pgAdminUrl ?? "postgresql://postgres@127.0.0.1:5432/test";
      const name = `parley_chaos_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const client = admin;
      cleanup.push(async () => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.end();
      });
      env = { ...SERVER_ENV, DATABASE_URL: url.toString(), PUBSUB: "postgres", TURN_LEASE_MS: String(turnLeaseMs) };
    }
    const instances = options.backend === "pglite" ? 1 : 2;
    // The first instance migrates the database alone, then the second joins.
    for (let i = 0; i < instances; i++) live.push(await startChild(env));
    const db = admin && new pg.Client({ connectionString: env.DATABASE_URL });
    if (db) {
      await db.connect();
      cleanup.unshift(() => db.end());
    }

    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      if (options.maxMs && Date.now() - started > options.maxMs) {
        log(`time bound reached after ${cycle - 1} cycles`);
        break;
      }
      const sessionIds = await createSessions(live[0]!.url, sessionsPerCycle);
      const acked = new Map(sessionIds.map((id) => [id, [] as Acked[]]));
      const counter = { n: 0 };
      const workers = sessionIds.map((id) => startWorker(() => live.map((c) => c.url), id, acked.get(id)!, counter));
      await sleep(1000 + Math.random() * 4000);

      // The victim: on PostgreSQL, the instance holding a RUNNING turn's lease (found through its log), so the other must take over.
      let victimIndex = Math.floor(Math.random() * live.length);
      let held: { id: string; leaseOwner: string }[] = [];
      for (let tries = 0; db && tries < 60; tries++) {
        const running = (await db.query(`SELECT id, "leaseOwner" FROM "Turn" WHERE status = 'RUNNING' AND "sessionId" = ANY($1)`, [sessionIds])).rows;
        const index = live.findIndex((c) => openTurns(c).some((id) => running.some((r) => r.id === id)));
        if (index >= 0) {
          victimIndex = index;
          const mine = new Set(openTurns(live[index]!));
          held = running.filter((r) => mine.has(r.id));
          break;
        }
        await sleep(50);
      }
      const victim = live[victimIndex]!;
      const killedAt = performance.now();
      await kill(victim);
      live.splice(victimIndex, 1);
      await Promise.all(workers.map((w) => w.stop()));

      let tookOver: number | null = null;
      if (db && held.length > 0 && live.length > 0) {
        // Takeover: the survivor closes (or re-queues) every turn the victim's lease held.
        const owners = [...new Set(held.map((r) => r.leaseOwner))];
        const ids = held.map((r) => r.id);
        const deadline = Date.now() + SETTLE_TIMEOUT_MS;
        for (;;) {
          const still = await db.query(`SELECT count(*)::int AS n FROM "Turn" WHERE id = ANY($1) AND status = 'RUNNING' AND "leaseOwner" = ANY($2)`, [ids, owners]);
          if (still.rows[0].n === 0) {
            // A turn the victim finished in the instant before the signal landed was not taken over: no sample.
            const ended = await db.query(`SELECT count(*)::int AS n FROM "Turn" WHERE id = ANY($1) AND status IN ('COMPLETED', 'CANCELLED', 'WAITING') AND "leaseOwner" = ANY($2)`, [ids, owners]);
            if (ended.rows[0].n < ids.length) report.takeoverMs.push((tookOver = performance.now() - killedAt));
            break;
          }
          if (Date.now() > deadline) {
            report.violations.push(`cycle ${cycle}: the survivor never took over ${ids.join(", ")}`);
            break;
          }
          await sleep(25);
        }
      }
      // PostgreSQL: the survivor recovers alone, then the victim comes back for the next cycle. PGlite: the restart is the recovery.
      let settled = live.length > 0 && (await settle(live[0]!.url, sessionIds));
      const recoveredAt = performance.now();
      const booting = performance.now();
      live.splice(victimIndex, 0, await startChild(env));
      report.bootMs.push(performance.now() - booting);
      if (!settled) settled = await settle(live[0]!.url, sessionIds);
      report.recoveryMs.push((live.length > 1 ? recoveredAt : performance.now()) - killedAt);
      if (!settled) report.violations.push(`cycle ${cycle}: sessions did not settle within ${SETTLE_TIMEOUT_MS} ms`);
      let cycleAcked = 0;
      for (const id of sessionIds) {
        const found = await verifySession(live[0]!.url, id, acked.get(id)!);
        cycleAcked += found.acked;
        report.acked += found.acked;
        report.lost += found.lost;
        report.open += found.open;
        report.violations.push(...found.violations.map((v) => `cycle ${cycle}: ${v}`));
      }
      report.cycles = cycle;
      log(`${options.backend} cycle ${cycle}: ${cycleAcked} acked, lost ${report.lost}, open ${report.open}, recovery ${Math.round(report.recoveryMs.at(-1)!)} ms${db ? `, takeover ${tookOver !== null ? `${Math.round(tookOver)} ms` : "n/a (no turn in flight)"}` : ""}`);
    }
  } finally {
    for (const child of live) await kill(child).catch(() => {});
    for (const step of cleanup) await step().catch(() => {});
  }
  return report;
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
