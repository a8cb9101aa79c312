// The database backends every store/service/e2e test runs on: PGlite in
// memory always, and the local PostgreSQL when it answers — in a database of
// its own per test file, dropped afterwards, so parallel runs never collide.
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/client.js";

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface Backend {
  name: "pglite" | "postgres";
  /** Connection options for a server or a child process; undefined databaseUrl = PGlite. */
  databaseUrl?: string;
  dataDir: string;
  open(): Promise<Database>;
  /** Drops what `open` created. */
  cleanup(): Promise<void>;
}

let pgAvailable: Promise<boolean> | undefined;

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    console.warn(`[tests] PostgreSQL at ${PG_ADMIN_URL} is not reachable (${(error as Error).message}): SKIPPING the PostgreSQL variants of the store, service and e2e tests.`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export function postgresAvailable(): Promise<boolean> {
  return (pgAvailable ??= probePostgres());
}

/** Runs one statement as the PostgreSQL admin (creating and dropping test databases, toggling connections). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function pgliteBackend(): Backend {
  return { name: "pglite", dataDir: "memory://", open: () => openDatabase({ dataDir: "memory://" }), cleanup: async () => {} };
}

/** A fresh, empty PostgreSQL database for one test file. */
export function postgresBackend(): Backend {
  const name = `parley_t_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let created = false;
  return {
    name: "postgres",
    databaseUrl: url.toString(),
    dataDir: "memory://",
    async open() {
      if (!created) {
        await adminQuery(`CREATE DATABASE "${name}"`);
        created = true;
      }
      return openDatabase({ databaseUrl: url.toString(), dataDir: "memory://" });
    },
    async cleanup() {
      if (created) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** PGlite always; PostgreSQL when reachable (a skip is announced once per run). */
export async function backends(): Promise<Backend[]> {
  return (await postgresAvailable()) ? [pgliteBackend(), postgresBackend()] : [pgliteBackend()];
}
