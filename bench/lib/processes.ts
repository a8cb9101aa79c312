// Child processes of the bench: the real Parley server (`src/main.ts` through
// parley-entry.ts) and the baseline servers. Each writes its output to a log
// file (so reading it costs the load generator nothing), prints a line with
// its URL when it listens, and answers memory probes over IPC. Every child
// is registered, so an aborted bench still stops what it started.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync, renameSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MemorySample } from "./memory-probe.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Child {
  name: string;
  /** http://127.0.0.1:<port> (no path) */
  url: string;
  pid: number;
  process: ChildProcess;
  logFile: string;
  output(): string;
  /** Memory after a full GC, from inside the process. */
  memory(): Promise<MemorySample>;
  /** SIGTERM, wait for a clean exit (flushes --cpu-prof), SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every child still running; for abort paths. */
export function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  running.clear();
}

export interface SpawnOptions {
  name: string;
  /** Script path relative to the repo root, run with `node --import tsx`. */
  script: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Regex whose first group is the URL the child listens on. */
  ready: RegExp;
  logDir: string;
  timeoutMs?: number;
}

export async function spawnChild(options: SpawnOptions): Promise<Child> {
  const logFile = join(options.logDir, `${options.name}-${Date.now()}.log`);
  const fd = openSync(logFile, "w");
  const child = spawn(process.execPath, ["--expose-gc", ...(options.nodeFlags ?? []), "--import", "tsx", options.script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", fd, fd, "ipc"],
  });
  closeSync(fd);
  running.add(child);
  const exited = new Promise<number | string>((resolveExit) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolveExit(code ?? signal ?? "unknown");
    }),
  );
  const output = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };

  const url = await new Promise<string>((resolveUrl, reject) => {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let done = false;
    const poll = () => {
      if (done) return;
      const match = options.ready.exec(output());
      if (match) {
        done = true;
        resolveUrl(match[1]!);
      } else if (Date.now() > deadline) {
        done = true;
        child.kill("SIGKILL");
        reject(new Error(`${options.name} did not start in time; log ${logFile}:\n${tail(output())}`));
      } else setTimeout(poll, 50);
    };
    void exited.then((code) => {
      if (done) return;
      done = true;
      reject(new Error(`${options.name} exited (${code}) before listening; log ${logFile}:\n${tail(output())}`));
    });
    poll();
  });

  let probeId = 0;
  return {
    name: options.name,
    url,
    pid: child.pid!,
    process: child,
    logFile,
    output,
    memory: () =>
      new Promise<MemorySample>((resolveSample, reject) => {
        const id = ++probeId;
        const timer = setTimeout(() => {
          child.off("message", onMessage);
          reject(new Error(`${options.name}: no memory sample`));
        }, 10_000);
        const onMessage = (message: { type?: string; id?: number; sample?: MemorySample }) => {
          if (message?.type !== "memory" || message.id !== id) return;
          clearTimeout(timer);
          child.off("message", onMessage);
          resolveSample(message.sample!);
        };
        child.on("message", onMessage);
        child.send({ type: "memory", id });
      }),
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((r) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          r();
        }, timeoutMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    },
  };
}

const tail = (text: string, lines = 30) => text.split("\n").slice(-lines).join("\n");

/** Parley's "listening" log line: `"url":"http://127.0.0.1:<port>/graphql"`. */
export const PARLEY_READY = /"url":"(http:\/\/[^"]+)\/graphql"/;
/** The baselines print `{"benchReady":"http://…"}`. */
export const BASELINE_READY = /"benchReady":"(http:\/\/[^"]+)"/;

export interface ParleyOptions {
  name: string;
  logDir: string;
  /** PGlite directory, or a PostgreSQL URL. */
  dataDir?: string;
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Directory for --cpu-prof output; the profile is renamed `<name>.cpuprofile` on stop. */
  profileDir?: string;
}

/** Starts the real server: `node --import tsx src/main.ts` (through parley-entry.ts). */
export async function startParley(options: ParleyOptions): Promise<Child> {
  const nodeFlags = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [];
  const before = options.profileDir && existsSync(options.profileDir) ? new Set(readdirSync(options.profileDir)) : new Set<string>();
  const child = await spawnChild({
    name: options.name,
    script: "bench/lib/parley-entry.ts",
    nodeFlags,
    ready: PARLEY_READY,
    logDir: options.logDir,
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_MS: "2000",
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { DATA_DIR: options.dataDir ?? "memory://" }),
      ...options.env,
    },
  });
  if (!options.profileDir) return child;
  const profileDir = options.profileDir;
  const stop = child.stop;
  return {
    ...child,
    async stop(timeoutMs) {
      await stop(timeoutMs);
      // Node names profiles CPU.<date>.<pid>.<tid>.<seq>.cpuprofile; give ours the scenario's name.
      // One file per thread (tsx's module hooks run on a loader thread): the main thread (tid 0) gets
      // `<name>.cpuprofile`, others `<name>.thread<tid>.cpuprofile`.
      const fresh = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile") && !before.has(f) && f.includes(`.${child.pid}.`));
      for (const file of fresh) {
        const tid = /\.(\d+)\.(\d+)\.cpuprofile$/.exec(file)?.[1] ?? "x";
        renameSync(join(profileDir, file), join(profileDir, tid === "0" ? `${options.name}.cpuprofile` : `${options.name}.thread${tid}.cpuprofile`));
      }
      if (fresh.length === 0) process.stderr.write(`[bench] no CPU profile found for ${options.name} (pid ${child.pid})\n`);
    },
  };
}

export function startBaseline(name: string, script: string, logDir: string, env: Record<string, string> = {}): Promise<Child> {
  return spawnChild({ name, script: resolve(ROOT, script), ready: BASELINE_READY, logDir, env: { PORT: "0", ...env } });
}
