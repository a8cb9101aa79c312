// A throwaway PostgreSQL database for the bench: parley_bench_<random> on the
// admin server, dropped at the end (WITH (FORCE): a killed server may still
// hold connections).
import { randomBytes } from "node:crypto";
import pg from "pg";

/** null when the server answers; otherwise why not. */
export async function probePostgres(adminUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return `PostgreSQL at ${redact(adminUrl)} does not answer (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const live = new Set<BenchDatabase>();

/** Drops every bench database still there (abort paths). */
export async function dropAll(): Promise<void> {
  await Promise.allSettled([...live].map((db) => db.drop()));
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `parley_bench_${randomBytes(4).toString("hex")}`;
  await admin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  const db: BenchDatabase = {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      live.delete(db);
      await admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
  live.add(db);
  return db;
}

export const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
