// Opens the database: embedded PGlite in DATA_DIR by default, a PostgreSQL
// server when DATABASE_URL is set. Migrates, then hands back one PrismaClient.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { migrate } from "./migrate.js";
import { lockDataDir } from "./lock.js";
import { directPg, directPGlite, type DirectSql } from "./direct.js";
import { pgliteWithLanes } from "./pglite-lanes.js";
import { startPGliteWorker, type PGliteClient } from "./pglite-worker.js";
import { ANALYZE_EVERY_MS, keepStatistics } from "./pglite-statistics.js";

export type Prisma = PrismaClient;

export interface Database {
  prisma: PrismaClient;
  /** Fixed SQL straight to the same driver, for the store's hottest statements (src/db/direct.ts). */
  sql: DirectSql;
  /**
   * PostgreSQL: a small pool of its own for the turn runner's writes, so a
   * caller's statements (a createMessage acknowledgement) never queue behind
   * other sessions' streaming for a connection. PGlite has one connection and
   * puts callers first with lanes instead (src/db/lanes.ts).
   */
  background?: Pick<Database, "prisma" | "sql">;
  kind: "pglite" | "postgres";
  /** Where the data lives, for logs (never the password). */
  location: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** pg pool size for PostgreSQL (callers), and of the turn runner's own pool. */
  poolSize?: number;
  backgroundPoolSize?: number;
  /** Called with every SQL statement sent, by Prisma or the direct path (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
  /** PGlite: how often its planner statistics are refreshed (src/db/pglite-statistics.ts). */
  analyzeEveryMs?: number;
  /** Told of background maintenance that failed (it is retried on its next round). */
  onWarning?: (message: string, error: unknown) => void;
  /** PGlite: its worker thread died after opening; every query fails from then on. */
  onCrash?: ((error: Error) => void) | undefined;
}

/**
 * A PrismaClient over the adapter; with `onQuery`, Prisma's query events feed it.
 * On PGlite an interactive transaction waits its turn on the one connection
 * behind queued statements: Prisma's default 2 s to start one would give up
 * while the transaction is still queued, and the late transaction would then
 * hold the connection with nobody to commit it. There it may wait as long as
 * it takes (a pool timeout on PostgreSQL is the pool's own).
 */
function prismaClient(adapter: PrismaPg | PrismaPGlite, onQuery?: (sql: string) => void): PrismaClient {
  const transactionOptions = adapter instanceof PrismaPGlite ? { maxWait: 60_000 } : undefined;
  if (!onQuery) return new PrismaClient({ adapter, transactionOptions });
  const prisma = new PrismaClient({ adapter, transactionOptions, log: [{ emit: "event", level: "query" }] });
  prisma.$on("query", (event) => onQuery(event.query));
  return prisma as unknown as PrismaClient;
}

// An arbitrary constant: one migrator at a time across instances.
const MIGRATION_LOCK_KEY = 7_274_319_001;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10, options.backgroundPoolSize ?? 4, options.onQuery)
    : openPGlite(options);
}

async function openPostgres(connectionString: string, max: number, backgroundMax: number, onQuery?: (sql: string) => void): Promise<Database> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migrate({ exec: (sql) => client.query(sql), query: async (sql) => (await client.query(sql)).rows });
  } finally {
    await client.end(); // also releases the advisory lock
  }
  // One pool for Prisma and the direct path, and one for the turn runner.
  const pools = [new pg.Pool({ connectionString, max }), new pg.Pool({ connectionString, max: backgroundMax })];
  // An idle connection the server ends (a restart, an administrator) leaves the
  // pool; the next query opens a new one. Without a listener it would crash us.
  for (const pool of pools) pool.on("error", () => {});
  const [prisma, background] = pools.map((pool) => prismaClient(new PrismaPg(pool), onQuery)) as [PrismaClient, PrismaClient];
  const url = new URL(connectionString);
  return {
    prisma,
    sql: directPg(pools[0]!, onQuery),
    background: { prisma: background, sql: directPg(pools[1]!, onQuery) },
    kind: "postgres",
    location: `${url.host}${url.pathname}`,
    ping: async () => void (await prisma.$queryRawUnsafe("SELECT 1")),
    close: async () => {
      await Promise.all([prisma.$disconnect(), background.$disconnect()]);
      for (const pool of pools) if (!pool.ended) await pool.end();
    },
  };
}

async function openPGlite({ dataDir, onQuery, analyzeEveryMs = ANALYZE_EVERY_MS, onWarning, onCrash }: DatabaseOptions): Promise<Database> {
  const inMemory = dataDir.startsWith("memory://");
  const dir = inMemory ? dataDir : resolve(dataDir, "pglite");
  // PGlite's own mkdir is not recursive.
  if (!inMemory) mkdirSync(dir, { recursive: true });
  const unlock = inMemory ? () => {} : lockDataDir(resolve(dataDir));
  // Statements run in a worker thread, off the event loop (src/db/pglite-worker.ts).
  // A failure while opening reaches the caller as the open's error instead.
  let opened = false;
  const pglite = startPGliteWorker(dir, (error) => opened && onCrash?.(error));
  let laned: PGliteClient;
  let stopStatistics: () => Promise<void>;
  try {
    await pglite.waitReady;
    await migrate({ exec: (sql) => pglite.exec(sql), query: async (sql) => (await pglite.query(sql)).rows as never[] });
    // Requests go ahead of the turns' writes on PGlite's one connection (src/db/lanes.ts).
    laned = pgliteWithLanes(pglite);
    stopStatistics = await keepStatistics(laned, analyzeEveryMs, (error) => onWarning?.("refreshing PGlite's planner statistics failed", error));
  } catch (error) {
    await pglite.close().catch(() => {});
    unlock();
    throw error;
  }
  opened = true;
  // The adapter is typed for a PGlite; it calls only what the facade has (query, exec, transaction).
  const prisma = prismaClient(new PrismaPGlite(laned as PGlite), onQuery);
  return {
    prisma,
    sql: directPGlite(laned, onQuery),
    kind: "pglite",
    location: dir,
    ping: () => pglite.ping(),
    close: async () => {
      await stopStatistics();
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}
