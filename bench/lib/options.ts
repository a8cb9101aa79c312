// Command line of `npm run bench -- [flags]` and the sizes each mode uses.
import { resolve } from "node:path";
import { ROOT } from "./processes.js";

export const SCENARIOS = ["history", "scale", "fanout", "write", "memory", "capacity"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type Mode = "default" | "long" | "smoke";

export interface Sizes {
  /** Messages in the history session (scenario 1). */
  historyMessages: number;
  /** `messages(last: N)`. */
  pageSize: number;
  /** Events in the small and the large session (scenario 2). */
  scaleEvents: [number, number];
  /** autocannon connections for HTTP scenarios. */
  connections: number;
  /** Measured seconds per HTTP load run, after a discarded warm-up. */
  durationS: number;
  warmupS: number;
  /** Fan-out runs (scenario 3): subscribers, and deltas the streamed turn produces. */
  fanout: { subscribers: number; deltas: number }[];
  /** DEMO_DELAY_MS of the fan-out server (pause between deltas). */
  fanoutDelayMs: number;
  /** Sessions writing in parallel (scenario 4). */
  writeSessions: number;
  /** Idle-subscriber counts for the memory scenario, each measured on Parley and on raw ws. */
  memorySubscribers: number[];
  /** Capacity (scenario 6): rising session counts, deltas per streamed turn, DEMO_DELAY_MS, the p99 limit, and the time budget per backend after which N stops rising. */
  capacity: { sessions: number[]; deltas: number; delayMs: number; limitMs: number; budgetS: number };
  /** Backends for history reads and for the write path and capacity (PGlite always; PostgreSQL unless --smoke, --no-postgres or a default run of everything). */
  postgres: boolean;
  writeOnPostgres: boolean;
}

export const SIZES: Record<Mode, Sizes> = {
  default: {
    historyMessages: 10_000,
    pageSize: 50,
    scaleEvents: [1_000, 100_000],
    connections: 10,
    durationS: 3,
    warmupS: 1,
    // 1,000 × 500 deltas is 500,000 deliveries, ~50 s here: the default streams 100 to 1,000 (--long: 500).
    fanout: [
      { subscribers: 1, deltas: 500 },
      { subscribers: 100, deltas: 500 },
      { subscribers: 1_000, deltas: 100 },
      { subscribers: 10_000, deltas: 20 },
    ],
    fanoutDelayMs: 2,
    writeSessions: 10,
    memorySubscribers: [1_000, 10_000],
    capacity: { sessions: [10, 25, 50, 100, 200, 400], deltas: 50, delayMs: 20, limitMs: 100, budgetS: 30 },
    postgres: true,
    writeOnPostgres: true,
  },
  long: {
    historyMessages: 10_000,
    pageSize: 50,
    scaleEvents: [1_000, 100_000],
    connections: 10,
    durationS: 20,
    warmupS: 3,
    fanout: [
      { subscribers: 1, deltas: 500 },
      { subscribers: 100, deltas: 500 },
      { subscribers: 1_000, deltas: 500 },
      { subscribers: 10_000, deltas: 50 },
    ],
    fanoutDelayMs: 2,
    writeSessions: 10,
    memorySubscribers: [1_000, 10_000],
    capacity: { sessions: [10, 25, 50, 100, 200, 400, 800], deltas: 100, delayMs: 20, limitMs: 100, budgetS: 120 },
    postgres: true,
    writeOnPostgres: true,
  },
  smoke: {
    historyMessages: 200,
    pageSize: 50,
    scaleEvents: [300, 3_000],
    connections: 2,
    durationS: 1,
    warmupS: 0,
    fanout: [
      { subscribers: 1, deltas: 20 },
      { subscribers: 3, deltas: 20 },
    ],
    fanoutDelayMs: 1,
    writeSessions: 2,
    memorySubscribers: [50],
    capacity: { sessions: [2, 4], deltas: 10, delayMs: 20, limitMs: 100, budgetS: 10 },
    postgres: false,
    writeOnPostgres: false,
  },
};

export interface Options {
  mode: Mode;
  only: Set<ScenarioName>;
  profile: boolean;
  out: string;
  profileDir: string;
  sizes: Sizes;
  pgAdminUrl: string;
}

const HELP = `npm run bench -- [flags]

  --only=a,b     scenarios to run: ${SCENARIOS.join(", ")} (default: all)
  --long         longer runs (20 s per HTTP load instead of 4 s; write path on PostgreSQL too)
  --smoke        seconds-long run with tiny sizes, PGlite only (what the test suite runs)
  --profile      run the Parley servers under node --cpu-prof (into bench/profiles/)
  --no-postgres  skip the PostgreSQL runs
  --out=FILE     where to write the results (default bench/results.json)
  --help

  BENCH_PG_URL   admin URL of the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/test);
                 a throwaway database parley_bench_<random> is created there and dropped at the end.`;

export function parseOptions(argv: string[]): Options {
  let mode: Mode = "default";
  let only: ScenarioName[] = [...SCENARIOS];
  let profile = false;
  let noPostgres = false;
  let out = resolve(ROOT, "bench/results.json");
  for (const arg of argv) {
    const [flag, value] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    switch (flag) {
      case "--long":
        mode = "long";
        break;
      case "--smoke":
        mode = "smoke";
        break;
      case "--profile":
        profile = true;
        break;
      case "--no-postgres":
        noPostgres = true;
        break;
      case "--only": {
        const names = (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
        if (unknown.length || names.length === 0) throw new Error(`--only: unknown scenario(s) ${unknown.join(", ") || "(none)"}; known: ${SCENARIOS.join(", ")}`);
        only = names as ScenarioName[];
        break;
      }
      case "--out":
        if (!value) throw new Error("--out needs a file name");
        out = resolve(value);
        break;
      case "--help":
      case "-h":
        process.stdout.write(`${HELP}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${arg}\n\n${HELP}`);
    }
  }
  const sizes = { ...SIZES[mode] };
  if (noPostgres) sizes.postgres = sizes.writeOnPostgres = false;
  // A default run of every scenario has no room left in its 2-minute budget for the write path on PostgreSQL (~25 s).
  if (mode === "default" && only.length === SCENARIOS.length) sizes.writeOnPostgres = false;
  return {
    mode,
    only: new Set(only),
    profile,
    out,
    profileDir: resolve(ROOT, "bench/profiles"),
    sizes,
    pgAdminUrl: process.env.BENCH_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test",
  };
}
