// The server and the keys CLI as real processes (SPEC §7): one process per
// PGlite directory (a second one exits at once with one line; a SIGKILLed
// owner's lock is taken over), graceful shutdown on SIGTERM in the middle of
// a streaming turn (exit 0, sockets closed with 1001, nothing acknowledged
// lost after a restart), and the keys CLI against a running server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.js";
import { DataDirLockedError } from "../../src/db/lock.js";
import { backends, postgresAvailable, postgresBackend, type Backend } from "../support/backends.js";
import { startChild, runToExit, type ChildServer } from "../support/child.js";
import { eventually, subscribeWs, wsClient } from "../support/clients.js";
import { rest } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { collectSse } from "../support/sse.js";
import { withTimeout } from "../support/wait.js";

type Ev = { type: string; sequence: number; data: Record<string, unknown> };

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "parley-process-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** PGlite in a directory of its own (DATABASE_URL blanked, in case the shell sets one). */
const pgliteEnv = (dir: string) => ({ DATA_DIR: dir, DATABASE_URL: "" });

/** Lines a process wrote, without the empty last one. */
const lines = (text: string) => text.split("\n").filter((line) => line.length > 0);

async function stop(child: ChildServer | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill(signal);
  await child.exited;
}

describe("one process per PGlite directory", () => {
  let dir: string;
  let first: ChildServer | undefined;
  let sessionId: string;

  beforeAll(async () => {
    dir = tempDir();
    first = await startChild(pgliteEnv(dir));
    const created = await rest(first.url, "POST", "/v1/sessions", { title: "kept" });
    expect(created.status).toBe(201);
    sessionId = created.body.id;
  });
  afterAll(() => stop(first));

  it("a second server on the same directory exits non-zero with one stderr line naming the directory", async () => {
    const second = await runToExit(["src/main.ts"], { ...pgliteEnv(dir), PORT: "0" });
    expect(second.code).not.toBe(0);
    expect(lines(second.stderr), second.stderr).toHaveLength(1);
    expect(second.stderr).toContain(dir);
    expect(second.stdout).not.toContain("listening");
  });

  it("keys list on the same directory exits non-zero with one stderr line naming the directory", async () => {
    const cli = await runToExit(["src/cli/keys.ts", "list"], pgliteEnv(dir));
    expect(cli.code).not.toBe(0);
    expect(lines(cli.stderr), cli.stderr).toHaveLength(1);
    expect(cli.stderr).toContain(dir);
    expect(cli.stdout).toBe("");
  });

  it("the first server still serves, with its data intact", async () => {
    const res = await rest(first!.url, "GET", `/v1/sessions/${sessionId}`);
    expect(res.status).toBe(200);
    expect(res.body.title).toBe("kept");
    expect((await fetch(`${first!.url}/ready`)).status).toBe(200);
  });

  it("after the owner is SIGKILLed, a new server takes the stale lock over and has the data", async () => {
    first!.process.kill("SIGKILL");
    expect(await first!.exited).toBe("SIGKILL");
    const next = await startChild(pgliteEnv(dir));
    try {
      const res = await rest(next.url, "GET", `/v1/sessions/${sessionId}`);
      expect(res.body.title).toBe("kept");
    } finally {
      await stop(next);
    }
    expect(await next.exited).toBe(0);
  });
});

describe("one PGlite per directory inside a process too", () => {
  it("a second open of a directory this process holds is refused, and works again once the first is closed", async () => {
    const dir = tempDir();
    const first = await openDatabase({ dataDir: dir });
    try {
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DataDirLockedError);
      await first.prisma.session.count(); // the holder is unharmed
    } finally {
      await first.close();
    }
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });
});

for (const backend of await backends()) {
  describe(`SIGTERM during a streaming turn on ${backend.name}`, () => {
    const SHUTDOWN_TIMEOUT_MS = 1000;
    let env: Record<string, string>;
    let first: ChildServer | undefined;
    let second: ChildServer | undefined;

    beforeAll(async () => {
      if (backend.databaseUrl) {
        await (await backend.open()).close(); // creates the database
        env = { DATABASE_URL: backend.databaseUrl, TURN_LEASE_MS: "1000" };
      } else {
        env = pgliteEnv(tempDir());
      }
    });
    afterAll(async () => {
      await stop(first, "SIGKILL");
      await stop(second);
      await backend.cleanup();
    });

    it("drains, closes sockets with 1001, exits 0; after a restart the turn is closed and the user message is there", async () => {
      first = await startChild({ ...env, DEMO_DELAY_MS: "100", SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
      const url = first.url;
      const session = (await rest(url, "POST", "/v1/sessions", {})).body.id as string;
      const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
      const sent = await rest(url, "POST", `/v1/sessions/${session}/messages`, { message: { content: [{ type: "text", text: long }] } });
      expect(sent.status).toBe(201); // acknowledged: must survive whatever follows

      // A graphql-ws client watching the turn.
      const client = wsClient(url);
      const closeCode = new Promise<number>((resolve) => client.on("closed", (event) => resolve((event as { code: number }).code)));
      const sub = subscribeWs(client, `subscription($s: ID!) { sessionEvents(sessionId: $s, after: 0) { type } }`, { s: session });
      await sub.until((r) => r.some((x: any) => x.data?.sessionEvents.type === "output.message.delta"), 20_000);

      const exitedAt = first.exited;
      first.process.kill("SIGTERM");

      // Best effort: once the server says it is shutting down, /ready is never 200
      // (503 while the socket still accepts, or refused once it stopped listening).
      await eventually(() => first!.output().includes("shutting down"), 10_000, "the shutdown log line");
      const ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) }).then(
        (res) => res.status,
        () => "refused",
      );
      expect([503, "refused"]).toContain(ready);

      expect(await withTimeout(closeCode, SHUTDOWN_TIMEOUT_MS + 15_000, "the socket to close")).toBe(1001);
      expect(await withTimeout(exitedAt, SHUTDOWN_TIMEOUT_MS + 15_000, "the process to exit")).toBe(0);
      expect(first.output()).not.toMatch(/"level":(50|60)/); // no error logged while shutting down
      await client.dispose();

      second = await startChild({ ...env, DEMO_DELAY_MS: "0" });
      const events = await collectSse<Ev>(
        `${second.url}/v1/sessions/${session}/sse?after_sequence=0&exclude=output.message.delta`,
        (e) => e.type === "session.idled",
        { timeoutMs: 30_000 },
      );
      const types = events.map((e) => e.type);
      const ending = types.at(-2);
      expect(["turn.completed", "turn.failed"]).toContain(ending);
      if (ending === "turn.failed") expect(events.at(-2)!.data).toMatchObject({ error_code: "interrupted" });
      expect(types.at(-1)).toBe("session.idled");
      expect(types.filter((t) => t === "turn.started")).toHaveLength(1);

      const messages = await rest(second.url, "GET", `/v1/sessions/${session}/messages`);
      expect(messages.body.data.filter((m: { role: string }) => m.role === "user").map((m: { id: string }) => m.id)).toEqual([sent.body.id]);
      expect(messages.body.data[0].content[0].text).toBe(long);
    }, 120_000);
  });
}

const cliBackends = await backends();

describe("keys CLI", () => {
  const keys = (args: string[], env: Record<string, string>) => runToExit(["src/cli/keys.ts", ...args], env);

  for (const backend of cliBackends) {
    describe(`on ${backend.name}`, () => {
      let env: Record<string, string>;
      beforeAll(async () => {
        if (backend.databaseUrl) {
          await (await backend.open()).close();
          env = { DATABASE_URL: backend.databaseUrl };
        } else {
          env = pgliteEnv(tempDir());
        }
      });
      afterAll(() => backend.cleanup());

      it("create prints one JSON line {id, name, key}; list prints the keys without secrets; revoke sets revokedAt", async () => {
        const created = await keys(["create", "--name", "ci bot"], env);
        expect(created.code, created.stderr).toBe(0);
        expect(lines(created.stdout)).toHaveLength(1);
        const key = JSON.parse(created.stdout) as { id: string; name: string; key: string };
        expect(Object.keys(key).sort()).toEqual(["id", "key", "name"]);
        expect(key).toMatchObject({ id: expect.stringMatching(/^key_[0-9a-f]{32}$/), name: "ci bot" });
        expect(key.key.length).toBeGreaterThanOrEqual(32);

        const listed = await keys(["list"], env);
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout).not.toContain(key.key);
        const rows = lines(listed.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
        const row = rows.find((r) => r.id === key.id);
        expect(row).toEqual({ id: key.id, name: "ci bot", createdAt: expect.any(String), revokedAt: null });
        for (const r of rows) expect(Object.keys(r).sort()).toEqual(["createdAt", "id", "name", "revokedAt"]);

        const revoked = await keys(["revoke", "--id", key.id], env);
        expect(revoked.code, revoked.stderr).toBe(0);
        expect(JSON.parse(revoked.stdout)).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
        const after = lines((await keys(["list"], env)).stdout).map((line) => JSON.parse(line) as { id: string; revokedAt: string | null });
        expect(after.find((r) => r.id === key.id)?.revokedAt).toEqual(expect.any(String));
      }, 120_000); // four CLI processes, each a cold tsx start

      it("bad arguments and unknown ids exit non-zero, saying why on stderr", async () => {
        for (const args of [["create"], ["revoke", "--id", "nope"], ["revoke", "--id", "key_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b"], ["frobnicate"]]) {
          const res = await keys(args, env);
          expect(res.code, args.join(" ")).not.toBe(0);
          expect(res.stdout, args.join(" ")).toBe("");
          expect(res.stderr, args.join(" ")).toMatch(/^keys: /);
        }
      }, 120_000);
    });
  }

  describe("against a running server on PostgreSQL", () => {
    let skip: string | null = null;
    const backend: Backend = postgresBackend();
    let server: TestServer | undefined;

    beforeAll(async () => {
      if (!(await postgresAvailable())) {
        skip = "PostgreSQL is not reachable (with PGlite the CLI cannot open the directory a server holds)";
        console.warn(`[tests] SKIPPING the keys CLI against a running server: ${skip}`);
        return;
      }
      server = await startServer(backend, { AUTH: "api_key" });
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("a key made by the CLI authenticates at once, and stops working at once after keys revoke", async (ctx) => {
      if (skip) ctx.skip();
      const env = { DATABASE_URL: backend.databaseUrl! };
      const created = await runToExit(["src/cli/keys.ts", "create", "--name", "live"], env);
      expect(created.code, created.stderr).toBe(0);
      const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
      const headers = { authorization: `Bearer ${key}` };

      const made = await rest(server!.url, "POST", "/v1/sessions", { title: "via CLI key" }, headers);
      expect(made.status).toBe(201);
      expect((await rest(server!.url, "GET", `/v1/sessions/${made.body.id}`, undefined, headers)).status).toBe(200);

      const revoked = await runToExit(["src/cli/keys.ts", "revoke", "--id", id], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      const refused = await rest(server!.url, "GET", `/v1/sessions/${made.body.id}`, undefined, headers);
      expect({ status: refused.status, body: refused.body }).toEqual({ status: 401, body: { error: expect.any(String), status: 401 } });
    });
  });
});
