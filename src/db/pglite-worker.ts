// Embedded PGlite in a worker thread (src/db/pglite-worker-thread.ts): its
// WASM runs every statement synchronously, and on the event-loop thread that
// work would hold up every request in flight (a createMessage acknowledgement
// waiting behind ten sessions' streamed deltas). The main thread keeps a
// facade with what our code calls on a PGlite — query, exec, transaction —
// and each call is one message to the worker and one back.
import { Worker } from "node:worker_threads";
import { messages, type QueryOptions, type Results, type Transaction } from "@electric-sql/pglite";
import type { Call, Reply, Request, WireError } from "./pglite-worker-protocol.js";

/** The part of PGlite's API that Prisma's adapter, the direct path and the migration runner use. */
export type PGliteClient = {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string): Promise<Results[]>;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
};

export interface PGliteWorker extends PGliteClient {
  waitReady: Promise<void>;
  ping(): Promise<void>;
  /** Closes PGlite (flushing the data dir), then ends the worker. */
  close(): Promise<void>;
}

// The build (dist/) has plain .js on both sides. From source (tsx, vitest) the
// worker's .ts needs tsx's loader, registered inside the worker before the
// import: Node 20 does not apply a `--import tsx` in a worker's execArgv to
// the worker's own entry file.
const fromSource = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(`./pglite-worker-thread.${fromSource ? "ts" : "js"}`, import.meta.url);

function spawn(dir: string): Worker {
  if (!fromSource) return new Worker(WORKER_URL, { workerData: { dir } });
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData: { dir } });
}

/**
 * Starts PGlite on `dir` in a worker. `onCrash` hears of a worker that dies
 * unasked (then every pending and later call fails with that error).
 */
export function startPGliteWorker(dir: string, onCrash: (error: Error) => void): PGliteWorker {
  const worker = spawn(dir);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;
  let closing = false;

  // Idle, the worker must not keep the process alive (PGlite on the main thread never did).
  worker.unref();

  const die = (error: Error) => {
    if (dead) return;
    dead = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
    if (!closing) onCrash(error);
  };
  worker.on("error", (error) => die(new Error(`PGlite worker crashed: ${error.message}`, { cause: error })));
  worker.on("exit", (code) => die(new Error(`PGlite worker exited (code ${code})`)));
  worker.on("message", ({ id, ...reply }: Reply) => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    if (reply.ok) call.resolve(reply.value);
    else call.reject(fromWire(reply.error));
  });

  function call<T>(request: Request): Promise<T> {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    if (pending.size === 0) worker.ref(); // a reply is awaited: stay alive for it
    worker.postMessage({ ...request, id } satisfies Call);
    return new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (value: unknown) => void, reject }));
  }

  async function query<T>(sql: string, params: unknown[] = [], options: QueryOptions = {}, tx?: number): Promise<Results<T>> {
    // Parsers are functions and cannot cross: their types come back as text and are parsed here.
    const parsers = options.parsers ?? {};
    const raw = Object.keys(parsers).map(Number);
    const rowMode = options.rowMode ?? "object";
    const result = await call<Results<T>>({ op: "query", sql, params, rowMode, raw, tx });
    if (raw.length > 0) applyParsers(result, parsers, rowMode);
    return result;
  }

  const exec = (sql: string, tx?: number) => call<Results[]>({ op: "exec", sql, tx });

  async function transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = await call<number>({ op: "begin" });
    let ending: Promise<void> | undefined;
    const end = (commit: boolean) => (ending ??= call<void>({ op: "end", tx: id, commit }));
    const tx = {
      query: <R>(sql: string, params?: unknown[], options?: QueryOptions) => query<R>(sql, params, options, id),
      exec: (sql: string) => exec(sql, id),
      rollback: () => end(false),
      get closed() {
        return ending !== undefined;
      },
    } as Transaction; // `sql` and `listen` are not used here
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      await end(false).catch(() => {}); // as PGlite does: an error inside rolls back
      throw error;
    }
    await end(true); // after a `rollback()` this is that rollback
    return result;
  }

  return {
    query,
    exec: (sql) => exec(sql),
    transaction,
    waitReady: call<void>({ op: "ready" }),
    ping: async () => void (await query("SELECT 1")),
    async close() {
      if (dead) return;
      await call<void>({ op: "close" });
      closing = true;
      await worker.terminate();
    },
  };
}

function applyParsers(result: Results<unknown>, parsers: NonNullable<QueryOptions["parsers"]>, rowMode: "array" | "object"): void {
  result.fields.forEach((field, index) => {
    const parse = parsers[field.dataTypeID];
    if (!parse) return;
    const key = rowMode === "array" ? index : field.name;
    for (const row of result.rows as Record<string | number, unknown>[]) {
      const text = row[key];
      if (text !== null) row[key] = parse(text as string);
    }
  });
}

/** A worker's error as the main thread's own kind: Prisma's adapter checks `instanceof pglite.messages.DatabaseError`. */
function fromWire(error: WireError): Error {
  if (error.kind === "other") return Object.assign(new Error(error.message), { name: error.name });
  return Object.assign(new messages.DatabaseError(error.message, error.length, error.name as never), error.fields);
}
