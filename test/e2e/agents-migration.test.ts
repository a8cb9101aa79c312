// An existing database (every migration before agents, with a wave 1
// session in it) is migrated on start: the session reads with agentId null,
// runs the default agent, and can be given an agent. Both backends.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, MIGRATIONS_DIR, type SqlRunner } from "../../src/db/migrate.js";
import { PG_ADMIN_URL, postgresAvailable, type Backend } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { sendText, settled } from "../support/fixtures.js";
import { startServer } from "../support/server.js";

/** The folder that adds agents (renumber with it if migrations are reordered). */
const AGENTS_MIGRATION = "0006_agents";
const OLD_SESSION = "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b";
const tmp = mkdtempSync(join(tmpdir(), "parley-agents-migration-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The migrations folder as it was before agents existed. */
function migrationsBeforeAgents(): string {
  const dir = join(tmp, "migrations");
  for (const name of readdirSync(MIGRATIONS_DIR).filter((n) => n < AGENTS_MIGRATION)) cpSync(join(MIGRATIONS_DIR, name), join(dir, name), { recursive: true });
  return dir;
}

/** Brings a database to the pre-agents schema and stores a session the way wave 1 did. */
async function seedOldDatabase(runner: SqlRunner): Promise<void> {
  const applied = await migrate(runner, migrationsBeforeAgents());
  expect(applied).not.toContain(AGENTS_MIGRATION);
  await runner.exec(`INSERT INTO "Session" ("id", "ownerId", "title", "updatedAt") VALUES ('${OLD_SESSION}', 'local', 'from wave 1', now())`);
}

async function pgliteOld(): Promise<Backend> {
  const dataDir = join(tmp, "pglite-data");
  mkdirSync(dataDir, { recursive: true }); // PGlite's own mkdir is not recursive
  const db = new PGlite(resolve(dataDir, "pglite"));
  await seedOldDatabase({ exec: (sql) => db.exec(sql), query: async (sql) => (await db.query(sql)).rows as never[] });
  await db.close();
  return { name: "pglite", dataDir, open: () => Promise.reject(new Error("unused")), cleanup: async () => {} };
}

async function postgresOld(): Promise<Backend> {
  const name = `parley_t_mig_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await seedOldDatabase({ exec: (sql) => client.query(sql), query: async (sql) => (await client.query(sql)).rows });
  await client.end();
  // startServer opens the backend first only to create a database; this one exists already.
  return {
    name: "postgres",
    databaseUrl: url.toString(),
    dataDir: "memory://",
    open: async () => ({ close: async () => {} }) as never,
    cleanup: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

const variants: [string, () => Promise<Backend>][] = [["pglite", pgliteOld]];
if (await postgresAvailable()) variants.push(["postgres", postgresOld]);

for (const [name, seed] of variants) {
  describe(`the agents migration on an existing ${name} database`, () => {
    it("applies on start; old sessions keep working and can name an agent", async () => {
      const backend = await seed();
      const server = await startServer(backend);
      try {
        const { url } = server;
        const old = await gqlData(url, `query($id: ID!) { session(id: $id) { title agentId agent { id } } }`, { id: OLD_SESSION });
        expect(old.session).toEqual({ title: "from wave 1", agentId: null, agent: null });

        const agent = (await gqlData(url, `mutation { createAgent(input: { name: "Late", instructions: "hi" }) { id } }`)).createAgent.id;
        const updated = await gqlData(url, `mutation($s: ID!, $a: ID) { updateSession(input: { id: $s, agentId: $a }) { agent { id } } }`, { s: OLD_SESSION, a: agent });
        expect(updated.updateSession.agent).toEqual({ id: agent });
        await sendText(url, OLD_SESSION, "still here?");
        await settled(url, OLD_SESSION);
        const { session } = await gqlData(url, `query($id: ID!) { session(id: $id) { messages(last: 1) { nodes { content { ... on TextPart { text } } } } } }`, { id: OLD_SESSION });
        expect(session.messages.nodes[0].content[0].text).toMatch(/^\[Late\] You said: "still here\?"/);
      } finally {
        await server.close();
        await backend.cleanup();
      }
    }, 90_000);
  });
}
