// The worker side of src/db/pglite-worker.ts: owns the PGlite instance, so its
// WASM work (every statement) runs here instead of on the event-loop thread
// that serves requests. Requests run as they arrive; PGlite itself runs one
// statement at a time and holds plain queries back while a transaction is open.
import { parentPort, workerData } from "node:worker_threads";
import { messages, PGlite, type Transaction } from "@electric-sql/pglite";
import { DATABASE_ERROR_FIELDS, type Call, type Reply, type Request, type WireError } from "./pglite-worker-protocol.js";

const port = parentPort!;
const pglite = new PGlite((workerData as { dir: string }).dir);

/** Open transactions by number: each waits in PGlite's `transaction()` for the main thread's `end`. */
const transactions = new Map<number, { tx: Transaction; end: (commit: boolean) => void; done: Promise<unknown> }>();
let nextTransaction = 1;

/** Identity parsers that leave the given types as PostgreSQL's text (cached: the adapter always sends the same list). */
const rawParsers = new Map<string, Record<number, (text: string) => string>>();
function rawFor(oids: number[]) {
  const key = oids.join(",");
  let parsers = rawParsers.get(key);
  if (!parsers) rawParsers.set(key, (parsers = Object.fromEntries(oids.map((oid) => [oid, (text: string) => text]))));
  return parsers;
}

function target(tx: number | undefined): Pick<Transaction, "query" | "exec"> {
  if (tx === undefined) return pglite;
  const open = transactions.get(tx);
  if (!open) throw new Error("Transaction is closed");
  return open.tx;
}

function begin(): Promise<number> {
  return new Promise((opened, failed) => {
    const id = nextTransaction++;
    const done = pglite.transaction(async (tx) => {
      const commit = await new Promise<boolean>((end) => {
        transactions.set(id, { tx, end, done });
        opened(id);
      });
      if (!commit && !tx.closed) await tx.rollback();
    });
    done.catch(failed); // BEGIN itself failed; later failures reach `end`
  });
}

async function end(id: number, commit: boolean): Promise<void> {
  const open = transactions.get(id);
  if (!open) throw new Error("Transaction is closed");
  transactions.delete(id);
  open.end(commit);
  await open.done;
}

async function run(request: Request): Promise<unknown> {
  switch (request.op) {
    case "ready":
      return void (await pglite.waitReady);
    case "query": {
      const { rows, fields, affectedRows } = await target(request.tx).query(request.sql, request.params, {
        rowMode: request.rowMode,
        parsers: rawFor(request.raw),
      });
      return { rows, fields, affectedRows };
    }
    case "exec":
      return (await target(request.tx).exec(request.sql)).map(({ rows, fields, affectedRows }) => ({ rows, fields, affectedRows }));
    case "begin":
      return begin();
    case "end":
      return end(request.tx, request.commit);
    case "close":
      return pglite.close();
  }
}

function wireError(error: unknown): WireError {
  if (error instanceof messages.DatabaseError) {
    const fields = Object.fromEntries(DATABASE_ERROR_FIELDS.map((field) => [field, error[field]]));
    return { kind: "database", message: error.message, length: error.length, name: error.name, fields };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: "other", message: e.message, name: e.name };
}

port.on("message", (call: Call) => {
  run(call).then(
    (value) => port.postMessage({ id: call.id, ok: true, value } satisfies Reply),
    (error: unknown) => port.postMessage({ id: call.id, ok: false, error: wireError(error) } satisfies Reply),
  );
});
