// `npm run bench`: starts the real server as a separate process (and the
// baselines, each in its own process), drives them over loopback, prints a
// table and writes bench/results.json. See bench/README.md.
//
// Phases share servers where they can (each start costs ~2–3 s):
//   A  PGlite dir seeded by SQL → Parley: history + scale → SQL floor → yoga-in-memory
//   B  PostgreSQL throwaway db seeded by SQL → Parley: history (+ scale) → SQL floor → PostGraphile peer
//   C  fresh PGlite, DEMO_DELAY_MS small → Parley: memory + fan-out → raw ws broadcaster
//   D  fresh PGlite, DEMO_DELAY_MS=0 → Parley: write path → SQL floor on the same data
//   E  fresh PGlite (+ PostgreSQL like D), DEMO_DELAY_MS=20 → Parley: capacity → SQL + raw ws on the same data
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseOptions, type ScenarioName } from "./lib/options.js";
import { killAll, startBaseline, startParley, type Child } from "./lib/processes.js";
import { Results } from "./lib/results.js";
import { createBenchDatabase, dropAll, probePostgres, type BenchDatabase } from "./lib/postgres.js";
import { eventsForMessages, seedSession, withPglite, withPostgres, type SeededSession } from "./lib/seed.js";
import { checkPartTypes, HISTORY_QUERY, loadFloor, loadGraphQL, loadPeer, readHistoryOnce, readPeerOnce, writeFixture, type HistoryNodes, type LoadShape } from "./scenarios/history.js";
import { baselineFanout, idleMemory, parleyFanout, type FanoutResult, type MemoryResult } from "./scenarios/live.js";
import { createWriteSessions, floorWrite, parleyWrite } from "./scenarios/write.js";
import { baselineCapacity, PACE_SHARE, parleyCapacity, rise, SessionPool, type CapacityRun } from "./scenarios/capacity.js";
import type { LoadResult } from "./lib/http-load.js";
import { gql } from "./lib/graphql.js";

const options = parseOptions(process.argv.slice(2));
const { sizes } = options;
const results = new Results(options);
const work = mkdtempSync(join(tmpdir(), "parley-bench-"));
const logDir = join(work, "logs");
mkdirSync(logDir, { recursive: true });
if (options.profile) mkdirSync(options.profileDir, { recursive: true });
const wanted = (name: ScenarioName) => options.only.has(name);
const t0 = performance.now();
const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);

/** Profile windows per server: which part of a --cpu-prof profile is which load (monotonic µs, the profile's clock). */
const windows = new Map<string, { label: string; fromUs: number; toUs: number }[]>();
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

const warmed = new Set<string>();

/** Load settings for a run against `server`; its first run warms up one second longer (cold JIT, cold caches). */
function shape(server: string, label: string, pid?: number): LoadShape {
  let from = 0;
  const first = !warmed.has(server) && sizes.warmupS > 0;
  warmed.add(server);
  return {
    connections: sizes.connections,
    durationS: sizes.durationS,
    warmupS: sizes.warmupS + (first ? 1 : 0),
    pid,
    onMeasure: (phase) => {
      if (phase === "start") from = nowUs();
      else {
        const list = windows.get(server) ?? [];
        list.push({ label, fromUs: from, toUs: nowUs() });
        windows.set(server, list);
      }
    },
  };
}

async function parley(name: string, env: { dataDir?: string; databaseUrl?: string; extra?: Record<string, string> }): Promise<Child> {
  log(`starting Parley (${name})`);
  const child = await startParley({
    name,
    logDir,
    dataDir: env.dataDir,
    databaseUrl: env.databaseUrl,
    env: env.extra,
    profileDir: options.profile ? options.profileDir : undefined,
  });
  const stop = child.stop;
  return {
    ...child,
    async stop() {
      await stop();
      if (options.profile) writeFileSync(join(options.profileDir, `${name}.windows.json`), `${JSON.stringify(windows.get(name) ?? [], null, 2)}\n`);
    },
  };
}

const loadDetails = (r: LoadResult) => ({
  rps: Math.round(r.rps),
  p50: +r.p50.toFixed(3),
  p99: +r.p99.toFixed(3),
  mean: +r.mean.toFixed(3),
  requests: r.requests,
  serverCpuMsPerRequest: +r.cpuMsPerRequest.toFixed(3),
  bytesPerResponse: Math.round(r.bytesPerResponse),
  errors: r.errors,
  non2xx: r.non2xx,
});

function checkLoad(name: ScenarioName, label: string, r: LoadResult): void {
  if (r.errors || r.non2xx) results.note(name, `${label}: ${r.errors} errors, ${r.non2xx} non-2xx of ${r.requests} requests`, "partial");
}

/** Rows comparing a load result against a baseline load result. */
function compareLoads(name: ScenarioName, scenario: string, r: LoadResult, base: LoadResult, baseName: string, what = "req/s"): void {
  results.add(name, { scenario, metric: what, unit: "", value: r.rps, better: "higher", baseline: { name: baseName, value: base.rps } });
  results.add(name, { scenario, metric: "p50 latency", unit: "ms", value: r.p50, better: "lower", baseline: { name: baseName, value: base.p50 } });
  results.add(name, { scenario, metric: "p99 latency", unit: "ms", value: r.p99, better: "lower", baseline: { name: baseName, value: base.p99 } });
}

async function guarded(names: ScenarioName[], what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    log(`${what} failed: ${(error as Error).stack ?? error}`);
    for (const name of names) results.note(name, `${what} failed: ${(error as Error).message.split("\n")[0]}`, "failed");
  }
}

/**
 * A migrated PGlite directory. PGlite's initdb costs ~5 s here, so it runs
 * once, into a template, and every server gets a copy (~0.2 s).
 */
async function pgliteDir(name: string): Promise<string> {
  const template = join(work, "pglite-template");
  if (!existsSync(template)) {
    log("creating the PGlite template (initdb + migrations, once)");
    await withPglite(template, async () => {});
  }
  const dir = join(work, name);
  cpSync(template, dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------- phase A: PGlite reads

interface ReadSeed {
  history: SeededSession;
  small: SeededSession;
  large: SeededSession;
}

async function seedReads(db: Parameters<Parameters<typeof withPglite>[1]>[0], withScale: boolean): Promise<ReadSeed> {
  const history = await seedSession(db, eventsForMessages(sizes.historyMessages), "history");
  const small = withScale ? await seedSession(db, sizes.scaleEvents[0], "scale small") : history;
  const large = withScale ? await seedSession(db, sizes.scaleEvents[1], "scale large") : history;
  return { history, small, large };
}

let yogaFixture: HistoryNodes | null = null;
/** Parley's history numbers per backend, compared with the yoga upper bound at the end. */
const parleyHistory: { backend: string; scenario: string; result: LoadResult }[] = [];

async function readPhase(backend: "pglite" | "postgres", target: { dataDir?: string; databaseUrl?: string }, seed: ReadSeed, withScale: boolean) {
  const last = sizes.pageSize;
  const scenario = `history ${backend}: ${fmtCount(seed.history.messages)} msgs, last ${last}`;
  let mine: LoadResult | undefined;
  const server = await parley(`reads-${backend}`, target);
  try {
    if (wanted("history")) {
      await guarded(["history"], `history on ${backend}`, async () => {
        const page = await readHistoryOnce(server.url, seed.history.id, last, Math.min(last, seed.history.messages));
        const missing = checkPartTypes(page);
        if (missing.length) results.note("history", `page lacks part types ${missing.join(", ")}`);
        yogaFixture ??= page;
        log(`history (${backend}): Parley, ${seed.history.messages} messages, last ${last}`);
        const r = await loadGraphQL(server.url, seed.history.id, last, shape(`reads-${backend}`, "history", server.pid));
        checkLoad("history", `Parley ${backend}`, r);
        results.scenario("history").details[`parley_${backend}`] = { session: seed.history, ...loadDetails(r) };
        parleyHistory.push({ backend, scenario, result: r });
        mine = r;
      });
    }
    if (withScale) {
      await guarded(["scale"], `scale on ${backend}`, async () => {
        await readHistoryOnce(server.url, seed.small.id, last, Math.min(last, seed.small.messages));
        await readHistoryOnce(server.url, seed.large.id, last, Math.min(last, seed.large.messages));
        log(`scale (${backend}): ${seed.small.events} events`);
        const small = await loadGraphQL(server.url, seed.small.id, last, shape(`reads-${backend}`, "scale-small", server.pid));
        log(`scale (${backend}): ${seed.large.events} events`);
        const large = await loadGraphQL(server.url, seed.large.id, last, shape(`reads-${backend}`, "scale-large", server.pid));
        checkLoad("scale", `${backend} small`, small);
        checkLoad("scale", `${backend} large`, large);
        const scenario = `scale ${backend}: ${fmtCount(seed.large.events)} vs ${fmtCount(seed.small.events)} events`;
        compareLoads("scale", scenario, large, small, `${fmtCount(seed.small.events)} events`);
        results.scenario("scale").details[backend] = { small: { session: seed.small, ...loadDetails(small) }, large: { session: seed.large, ...loadDetails(large) } };
      });
    }
  } finally {
    await server.stop();
  }

  const ph = mine;
  if (wanted("history") && ph) {
    await guarded(["history"], `SQL floor on ${backend}`, async () => {
      log(`history (${backend}): SQL floor`);
      const floor = await startBaseline(`sql-floor-${backend}`, "bench/baselines/sql-floor.ts", logDir, target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : { DATA_DIR: target.dataDir! });
      try {
        const r = await loadFloor(floor.url, seed.history.id, last, shape(`floor-${backend}`, "history", floor.pid));
        checkLoad("history", `SQL floor ${backend}`, r);
        compareLoads("history", scenario, ph, r, `SQL floor, ${backend}`);
        results.scenario("history").details[`floor_${backend}`] = loadDetails(r);
      } finally {
        await floor.stop();
      }
    });
  }
  if (wanted("history") && ph && target.databaseUrl) {
    await guarded(["history"], "PostGraphile peer", async () => {
      log(`history (${backend}): PostGraphile 5 peer`);
      const peer = await startBaseline("postgraphile", "bench/baselines/postgraphile.ts", logDir, { DATABASE_URL: target.databaseUrl! });
      try {
        await readPeerOnce(peer.url, seed.history.id, last, Math.min(last, seed.history.messages));
        const r = await loadPeer(peer.url, seed.history.id, last, shape("postgraphile", "history", peer.pid));
        checkLoad("history", "PostGraphile", r);
        compareLoads("history", scenario, ph, r, "PostGraphile 5");
        if (Number.isFinite(ph.cpuMsPerRequest) && Number.isFinite(r.cpuMsPerRequest)) {
          results.add("history", { scenario, metric: "server CPU per request", unit: "ms", value: ph.cpuMsPerRequest, better: "lower", baseline: { name: "PostGraphile 5", value: r.cpuMsPerRequest } });
        }
        results.scenario("history").details.postgraphile = loadDetails(r);
      } finally {
        await peer.stop();
      }
    });
  }
}

const fmtCount = (n: number) => n.toLocaleString("en-US");

async function yogaPhase() {
  if (!yogaFixture || parleyHistory.length === 0) return;
  const fixtureFile = join(work, "history-fixture.json");
  writeFixture(fixtureFile, yogaFixture);
  await guarded(["history"], "yoga in-memory baseline", async () => {
    log("history: bare yoga, same JSON from memory");
    const yoga = await startBaseline("yoga-static", "bench/baselines/yoga-static.ts", logDir, { BENCH_FIXTURE: fixtureFile });
    try {
      // Same document, same answer, byte for byte.
      const data = await gql<{ session: { messages: HistoryNodes } }>(yoga.url, HISTORY_QUERY, { id: "x", last: sizes.pageSize });
      if (JSON.stringify(data.session.messages.nodes) !== JSON.stringify(yogaFixture!.nodes)) throw new Error("the yoga baseline does not answer the same JSON");
      const r = await loadGraphQL(yoga.url, "session_00000000000000000000000000000000", sizes.pageSize, shape("yoga", "history", yoga.pid));
      checkLoad("history", "yoga baseline", r);
      results.scenario("history").details.yoga_in_memory = loadDetails(r);
      for (const { scenario, result } of parleyHistory) {
        compareLoads("history", scenario, result, r, "yoga, in memory");
        // CPU per request is steadier than req/s on a shared machine (neighbours steal time, not cycles).
        if (Number.isFinite(result.cpuMsPerRequest) && Number.isFinite(r.cpuMsPerRequest)) {
          results.add("history", { scenario, metric: "server CPU per request", unit: "ms", value: result.cpuMsPerRequest, better: "lower", baseline: { name: "yoga, in memory", value: r.cpuMsPerRequest } });
        }
      }
    } finally {
      await yoga.stop();
    }
  });
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  log(`mode ${options.mode}; scenarios ${[...options.only].join(", ")}; work dir ${work}`);
  const reads = wanted("history") || wanted("scale");

  // A: PGlite reads.
  if (reads) {
    const dataDir = await pgliteDir("pglite-reads");
    log(`seeding PGlite (${fmtCount(sizes.historyMessages)} messages${wanted("scale") ? `; ${sizes.scaleEvents.map(fmtCount).join(" and ")} events` : ""})`);
    const seed = await withPglite(dataDir, (db) => seedReads(db, wanted("scale")));
    await readPhase("pglite", { dataDir }, seed, wanted("scale"));
  }

  // B: PostgreSQL reads.
  if (reads && sizes.postgres) {
    const why = await probePostgres(options.pgAdminUrl);
    if (why) {
      for (const name of ["history", "scale"] as const) if (wanted(name)) results.note(name, `PostgreSQL skipped: ${why}`);
    } else {
      let db: BenchDatabase | undefined;
      try {
        db = await createBenchDatabase(options.pgAdminUrl);
        const pgScale = wanted("scale") && options.mode === "long";
        log(`seeding PostgreSQL database ${db.name}`);
        const seed = await withPostgres(db.url, (d) => seedReads(d, pgScale));
        await readPhase("postgres", { databaseUrl: db.url }, seed, pgScale);
      } catch (error) {
        results.note("history", `PostgreSQL run failed: ${(error as Error).message}`, "partial");
      } finally {
        await db?.drop().catch((error) => log(`could not drop ${db?.name}: ${(error as Error).message}`));
      }
    }
  } else if (reads && wanted("history")) {
    results.note("history", `PostgreSQL not run (${options.mode === "smoke" ? "--smoke" : "--no-postgres"})`);
  }

  // The in-memory yoga upper bound, once, compared with each backend's Parley numbers.
  if (wanted("history")) await yogaPhase();

  // C: live fan-out and idle memory.
  if (wanted("fanout") || wanted("memory")) await livePhase();

  // D: write path.
  if (wanted("write")) await writePhase();

  // E: capacity.
  if (wanted("capacity")) await capacityPhase();
}

async function livePhase(): Promise<void> {
  const timeoutMs = options.mode === "smoke" ? 20_000 : options.mode === "long" ? 300_000 : 60_000;
  const dataDir = await pgliteDir("pglite-live");
  const parleyRuns: { n: number; result: FanoutResult; payloads: unknown[] }[] = [];
  const memory = new Map<number, MemoryResult>();

  const server = await parley("live-pglite", { dataDir, extra: { DEMO_DELAY_MS: String(sizes.fanoutDelayMs) } });
  try {
    if (wanted("memory")) {
      await guarded(["memory"], "Parley idle memory", async () => {
        for (const n of sizes.memorySubscribers) {
          log(`memory: ${n} idle graphql-ws subscribers on Parley`);
          const m = await idleMemory(server, server.url, n, "parley");
          memory.set(n, m);
          results.scenario("memory").details[`parley_${n}`] = m;
        }
      });
    }
    if (wanted("fanout")) {
      for (const { subscribers: n, deltas } of sizes.fanout) {
        await guarded(["fanout"], `Parley fan-out to ${n}`, async () => {
          log(`fanout: ${n} subscriber(s), ${deltas} deltas, DEMO_DELAY_MS=${sizes.fanoutDelayMs} (Parley)`);
          const from = nowUs();
          const run = await parleyFanout(server.url, n, deltas, timeoutMs);
          windows.set("live-pglite", [...(windows.get("live-pglite") ?? []), { label: `fanout-${n}`, fromUs: from, toUs: nowUs() }]);
          // The baseline replays the frames subscriber 0 received.
          parleyRuns.push({ n, result: run.parley, payloads: run.payloads });
          if (run.parley.complete < n) results.note("fanout", `Parley, ${n} subscribers: only ${run.parley.complete} got all ${run.parley.expectedPerSubscriber} deltas in time`, "partial");
        });
      }
    }
  } finally {
    await server.stop();
  }

  const ws = await startBaseline("ws-broadcast", "bench/baselines/ws-broadcast.ts", logDir);
  try {
    for (const [n, pm] of wanted("memory") ? memory : []) {
      await guarded(["memory"], "raw ws idle memory", async () => {
        log(`memory: ${n} idle subscribers on the raw ws server`);
        const base = await idleMemory(ws, ws.url, n, "baseline");
        results.scenario("memory").details[`raw_ws_${n}`] = base;
        const scenario = `memory: ${fmtCount(n)} idle subscribers`;
        results.add("memory", { scenario, metric: "heap per subscriber", unit: "bytes", value: pm.heapPerSubscriber, better: "lower", baseline: { name: "raw ws", value: base.heapPerSubscriber } });
        results.add("memory", { scenario, metric: "RSS per subscriber", unit: "bytes", value: pm.rssPerSubscriber, better: "lower", baseline: { name: "raw ws", value: base.rssPerSubscriber } });
        const leaked = pm.after.heapUsed - pm.before.heapUsed;
        if (leaked > 0.2 * (pm.with.heapUsed - pm.before.heapUsed)) {
          results.note("memory", `Parley heap after the subscribers left is ${(leaked / 1024).toFixed(0)} KiB above the start (possible leak)`);
        }
      });
    }
    if (wanted("fanout")) {
      for (const { n, result, payloads } of parleyRuns) {
        if (payloads.length === 0) continue;
        await guarded(["fanout"], `raw ws fan-out to ${n}`, async () => {
          log(`fanout: ${n} subscriber(s), same ${payloads.length} frames (raw ws)`);
          const base = await baselineFanout(ws.url, n, payloads, sizes.fanoutDelayMs, timeoutMs);
          const scenario = `fanout: ${fmtCount(n)} subscriber${n === 1 ? "" : "s"} × ${result.expectedPerSubscriber} deltas`;
          results.add("fanout", { scenario, metric: "p50 append→receipt", unit: "ms", value: result.p50, better: "lower", baseline: { name: "raw ws", value: base.p50 } });
          results.add("fanout", { scenario, metric: "p99 append→receipt", unit: "ms", value: result.p99, better: "lower", baseline: { name: "raw ws", value: base.p99 } });
          results.add("fanout", { scenario, metric: "deltas/s delivered", unit: "", value: result.deltasPerSecond, better: "higher", baseline: { name: "raw ws", value: base.deltasPerSecond } });
          results.scenario("fanout").details[`n${n}`] = { parley: result, raw_ws: base };
        });
      }
    }
  } finally {
    await ws.stop();
  }
  if (wanted("fanout")) results.scenario("fanout").details.delayMs = sizes.fanoutDelayMs;
}

async function writePhase(): Promise<void> {
  const backends = await writeBackends("write", "pglite-write");
  for (const backend of backends) {
    try {
      await guarded(["write"], `write path on ${backend.name}`, async () => {
        const name = `write-${backend.name}`;
        const server = await parley(name, { ...backend.target, extra: { DEMO_DELAY_MS: "0" } });
        let sessions: string[] = [];
        let parleyResult: Awaited<ReturnType<typeof parleyWrite>>;
        try {
          sessions = await createWriteSessions(server.url, sizes.writeSessions);
          log(`write (${backend.name}): createMessage on ${sessions.length} sessions in parallel, demo turns with no delay`);
          parleyResult = await parleyWrite(server.url, sessions, { ...shape(name, "write", server.pid), connections: sessions.length });
          checkLoad("write", `Parley ${backend.name}`, parleyResult.ack);
        } finally {
          await server.stop();
        }
        log(`write (${backend.name}): SQL floor on the same database`);
        const floor = await startBaseline(`sql-floor-write-${backend.name}`, "bench/baselines/sql-floor.ts", logDir, backend.target.databaseUrl ? { DATABASE_URL: backend.target.databaseUrl } : { DATA_DIR: backend.target.dataDir! });
        try {
          const f = await floorWrite(floor.url, sessions, { connections: sessions.length, durationS: sizes.durationS, warmupS: sizes.warmupS, pid: floor.pid });
          checkLoad("write", `SQL floor ${backend.name}`, f.createMessage);
          checkLoad("write", `SQL floor append ${backend.name}`, f.append);
          const scenario = `write ${backend.name}: ${sessions.length} sessions`;
          const base = { name: `SQL floor, ${backend.name}` };
          results.add("write", { scenario, metric: "createMessage p50 ack", unit: "ms", value: parleyResult.ack.p50, better: "lower", baseline: { ...base, value: f.createMessage.p50 } });
          results.add("write", { scenario, metric: "createMessage p99 ack", unit: "ms", value: parleyResult.ack.p99, better: "lower", baseline: { ...base, value: f.createMessage.p99 } });
          results.add("write", { scenario, metric: "createMessage/s", unit: "", value: parleyResult.ack.rps, better: "higher", baseline: { ...base, value: f.createMessage.rps } });
          results.add("write", { scenario, metric: "events appended/s", unit: "", value: parleyResult.eventsPerSecond, better: "higher", baseline: { name: `1-event appends, SQL floor, ${backend.name}`, value: f.append.rps } });
          // PGlite runs the database inside the server process, so its CPU counts everything; on PostgreSQL
          // both sides count their own process only (the database's CPU is the PostgreSQL server's).
          if (Number.isFinite(parleyResult.cpuMsPerMessageAndTurn) && Number.isFinite(f.createMessage.cpuMsPerRequest)) {
            results.add("write", { scenario, metric: "server CPU per message (+ its turn)", unit: "ms", value: parleyResult.cpuMsPerMessageAndTurn, better: "lower", baseline: { ...base, value: f.createMessage.cpuMsPerRequest } });
          }
          results.scenario("write").details[backend.name] = {
            parley: {
              ack: loadDetails(parleyResult.ack),
              eventsAppended: parleyResult.eventsAppended,
              eventsPerSecond: Math.round(parleyResult.eventsPerSecond),
              serverCpuMsPerMessageAndTurn: Math.round(parleyResult.cpuMsPerMessageAndTurn * 100) / 100,
            },
            floor: { createMessage: loadDetails(f.createMessage), append: loadDetails(f.append) },
          };
        } finally {
          await floor.stop();
        }
      });
    } finally {
      await backend.db?.drop().catch((error) => log(`could not drop ${backend.db?.name}: ${(error as Error).message}`));
    }
  }
}

/** PGlite, plus PostgreSQL when the sizes allow it (the write path's rule). */
async function writeBackends(name: ScenarioName, dir: string): Promise<{ name: "pglite" | "postgres"; target: { dataDir?: string; databaseUrl?: string }; db?: BenchDatabase }[]> {
  const backends: Awaited<ReturnType<typeof writeBackends>> = [{ name: "pglite", target: { dataDir: await pgliteDir(dir) } }];
  if (sizes.writeOnPostgres) {
    const why = await probePostgres(options.pgAdminUrl);
    if (why) results.note(name, `PostgreSQL skipped: ${why}`);
    else {
      const db = await createBenchDatabase(options.pgAdminUrl);
      backends.push({ name: "postgres", target: { databaseUrl: db.url }, db });
    }
  } else results.note(name, `PostgreSQL not run (${options.mode === "smoke" ? "--smoke" : "--no-postgres, or a default run of everything: use --only"})`);
  return backends;
}

async function capacityPhase(): Promise<void> {
  const c = sizes.capacity;
  const timeoutMs = Math.max(20_000, c.deltas * c.delayMs * 10);
  const summary = (run: CapacityRun) => run.steps.map((s) => ({ n: s.n, ok: s.ok, p50: +s.result.p50.toFixed(2), p99: +s.result.p99.toFixed(2), complete: s.result.complete, delivered: s.result.delivered, deltasPerSecond: Math.round(s.result.deltasPerSecond) }));
  for (const backend of await writeBackends("capacity", "pglite-capacity")) {
    try {
      await guarded(["capacity"], `capacity on ${backend.name}`, async () => {
        const name = `capacity-${backend.name}`;
        const server = await parley(name, { ...backend.target, extra: { DEMO_DELAY_MS: String(c.delayMs), TURN_CONCURRENCY: String(Math.max(...c.sessions)) } });
        // TURN_CONCURRENCY (default 16) would queue the turns: all N must stream at once.
        // The baseline appends to the same session rows after Parley stops.
        const pool = new SessionPool(server.url);
        let payloads: unknown[] = [];
        let mine: CapacityRun;
        try {
          // Warm-up (cold JIT and caches), not measured: the smallest N once.
          log(`capacity (${backend.name}): warm-up, ${c.sessions[0]} sessions (Parley)`);
          await parleyCapacity(server.url, await pool.take(c.sessions[0]!), c.deltas, timeoutMs);
          mine = await rise(c.sessions, c.limitMs, c.delayMs, c.budgetS * 1000, async (n) => {
            log(`capacity (${backend.name}): ${n} sessions × 1 subscriber, ${c.deltas} deltas at DEMO_DELAY_MS=${c.delayMs} (Parley)`);
            const sessions = await pool.take(n);
            const from = nowUs();
            const step = await parleyCapacity(server.url, sessions, c.deltas, timeoutMs);
            windows.set(name, [...(windows.get(name) ?? []), { label: `capacity-${n}`, fromUs: from, toUs: nowUs() }]);
            if (step.payloads.length) payloads = step.payloads;
            log(`capacity (${backend.name}): N=${n} p99 ${step.result.p99.toFixed(1)} ms, ${step.result.complete}/${n} complete`);
            return step.result;
          });
          // The baseline may rise further than Parley did.
          await pool.take(Math.max(...c.sessions));
        } finally {
          await server.stop();
        }
        if (payloads.length === 0) throw new Error("Parley delivered no deltas to replay");
        const ws = await startBaseline(`ws-sql-${backend.name}`, "bench/baselines/ws-broadcast.ts", logDir, backend.target.databaseUrl ? { DATABASE_URL: backend.target.databaseUrl } : { DATA_DIR: backend.target.dataDir! });
        let base: CapacityRun;
        try {
          await baselineCapacity(ws.url, pool.ids.slice(0, c.sessions[0]!), payloads, c.delayMs, timeoutMs);
          base = await rise(c.sessions, c.limitMs, c.delayMs, c.budgetS * 1000, async (n) => {
            log(`capacity (${backend.name}): ${n} sessions, SQL insert per delta + raw ws`);
            return baselineCapacity(ws.url, pool.ids.slice(0, n), payloads, c.delayMs, timeoutMs);
          });
        } finally {
          await ws.stop();
        }
        const scenario = `capacity ${backend.name}: sessions × 1 subscriber, ${payloads.length} deltas at ${c.delayMs} ms`;
        const baseName = `SQL insert + raw ws, ${backend.name}`;
        const atMost = (run: CapacityRun) => (run.stopped === "limit" || run.stopped === "pace" ? "" : ` (${run.stopped}: ≥)`);
        results.add("capacity", { scenario, metric: `largest N with p99 ≤ ${c.limitMs} ms${atMost(mine)}`, unit: "", value: mine.largest, better: "higher", baseline: { name: `${baseName}${atMost(base)}`, value: base.largest } });
        // Latency at the largest N both passed (or the first N), same sessions, same frames.
        const both = mine.steps.filter((s) => base.steps.some((b) => b.n === s.n));
        const at = [...both].reverse().find((s) => s.ok) ?? both[0];
        const bAt = at && base.steps.find((b) => b.n === at.n);
        if (at && bAt) {
          results.add("capacity", { scenario, metric: `p99 append→receipt at N=${at.n}`, unit: "ms", value: at.result.p99, better: "lower", baseline: { name: baseName, value: bAt.result.p99 } });
        }
        for (const run of [mine, base]) {
          const failed = run.steps.find((s) => !s.ok && s.result.complete < s.n);
          if (failed) results.note("capacity", `${run === mine ? "Parley" : "baseline"} ${backend.name}, N=${failed.n}: only ${failed.result.complete}/${failed.n} subscribers got every delta`);
          const slow = run.stopped === "pace" ? run.steps.at(-1) : undefined;
          if (slow) results.note("capacity", `${run === mine ? "Parley" : "baseline"} ${backend.name}, N=${slow.n}: ${Math.round(slow.result.deltasPerSecond)} deltas/s delivered, below ${PACE_SHARE * 100}% of the paced ${Math.round(slow.n * (1000 / c.delayMs))}/s`);
        }
        results.scenario("capacity").details[backend.name] = { parley: { largest: mine.largest, stopped: mine.stopped, steps: summary(mine) }, baseline: { largest: base.largest, stopped: base.stopped, steps: summary(base) } };
      });
    } finally {
      await backend.db?.drop().catch((error) => log(`could not drop ${backend.db?.name}: ${(error as Error).message}`));
    }
  }
  results.scenario("capacity").details.sizes = c;
}

let exitCode = 0;
const onSignal = (signal: string) => {
  log(`${signal}: stopping children, dropping bench databases`);
  killAll();
  const timer = setTimeout(() => process.exit(130), 5_000);
  void dropAll().finally(() => {
    clearTimeout(timer);
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

try {
  await main();
} catch (error) {
  exitCode = 1;
  log(`bench failed: ${(error as Error).stack ?? error}`);
} finally {
  killAll();
  await dropAll();
  for (const name of options.only) if (!results.scenarios.has(name)) results.note(name, "did not run", "failed");
  const seconds = (performance.now() - t0) / 1000;
  results.write(options.out, { seconds: Math.round(seconds), profileDir: options.profile ? options.profileDir : null });
  process.stdout.write(`\n${results.table()}\n\nresults: ${options.out} (${seconds.toFixed(0)} s)\n`);
  if (options.profile) process.stdout.write(`profiles: ${options.profileDir} (summarise: npx tsx bench/profile-summary.ts ${options.profileDir}/<name>.cpuprofile)\n`);
  if (exitCode === 0 && [...results.scenarios.values()].some((s) => s.status === "failed")) exitCode = 1;
  if (exitCode === 0) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work} (logs in ${logDir})`);
}
process.exit(exitCode);
