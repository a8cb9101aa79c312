// HTTP load through autocannon (in this process; the server under test runs
// in its own process, so on two cores each side gets one). A short warm-up
// run is discarded first (JIT, connection pools, caches).
import { readFileSync } from "node:fs";
import autocannon, { type Client, type Result } from "autocannon";
import { mean, percentile } from "./stats.js";

export interface LoadOptions {
  url: string;
  /** JSON body (POST); or a per-connection body through `bodyFor`. */
  body?: string;
  /** Body for the n-th connection (0-based), e.g. one session per connection. */
  bodyFor?: (connection: number) => string;
  connections: number;
  durationS: number;
  warmupS: number;
  headers?: Record<string, string>;
  /** The server's pid: its CPU time over the measured run is reported per request (Linux /proc). */
  pid?: number;
  /** Called right before and right after the measured run (after the warm-up). */
  onMeasure?: (phase: "start" | "end") => void | Promise<void>;
}

export interface LoadResult {
  /** Completed requests per second over the measured run. */
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  requests: number;
  /** Server CPU (user + system) per completed request, ms; NaN when unknown. */
  cpuMsPerRequest: number;
  /** Mean response size (body and headers). */
  bytesPerResponse: number;
  errors: number;
  non2xx: number;
  durationS: number;
}

/** Runs autocannon; `latencies` gets every 2xx response time in fractional ms (its own histogram keeps whole ms). */
function run(options: LoadOptions, durationS: number, latencies: number[] = []): Promise<Result> {
  let connection = 0;
  const instance = autocannon({
    url: options.url,
    method: "POST",
    connections: options.connections,
    duration: durationS,
    timeout: 30,
    headers: { "content-type": "application/json", accept: "application/json", ...options.headers },
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.bodyFor ? { setupClient: (client: Client) => client.setBody(options.bodyFor!(connection++)) } : {}),
  });
  instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  return Promise.resolve(instance);
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupS > 0) await run(options, options.warmupS);
  const latencies: number[] = [];
  await options.onMeasure?.("start");
  const cpu0 = cpuMs(options.pid);
  const result = await run(options, options.durationS, latencies);
  const cpu1 = cpuMs(options.pid);
  await options.onMeasure?.("end");
  const requests = result.requests.total;
  return {
    rps: requests / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: mean(latencies),
    requests,
    cpuMsPerRequest: requests ? (cpu1 - cpu0) / requests : Number.NaN,
    bytesPerResponse: requests ? result.throughput.total / requests : 0,
    errors: result.errors,
    non2xx: result.non2xx,
    durationS: result.duration,
  };
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat; NaN elsewhere. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
