// Crash safety for real: SIGKILL the server in the middle of a streaming turn,
// start it again on the same data, and check the turn is closed as
// `interrupted` + `session.idled`, the queued message runs, nothing is lost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { startChild } from "../support/child.js";
import { collectSse } from "../support/sse.js";

type Ev = { type: string; sequence: number; data: Record<string, unknown> };
const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
};
const say = (text: string) => ({ message: { content: [{ type: "text", text }] } });

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

for (const backend of await backends()) {
  describe(`crash recovery on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it("closes the killed turn as interrupted, then runs the queued message", async () => {
      let env: Record<string, string>;
      if (backend.databaseUrl) {
        await (await backend.open()).close(); // create the database
        env = { DATABASE_URL: backend.databaseUrl, TURN_LEASE_MS: "1000" };
      } else {
        const dir = mkdtempSync(join(tmpdir(), "parley-crash-"));
        dirs.push(dir);
        env = { DATA_DIR: dir };
      }
      const first = await startChild({ ...env, DEMO_DELAY_MS: "300" });
      const session = await post(`${first.url}/v1/sessions`, {});
      const killed = await post(`${first.url}/v1/sessions/${session.id}/messages`, say(Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ")));
      const queued = await post(`${first.url}/v1/sessions/${session.id}/messages`, say("after the crash"));
      // Wait until the first turn streams, then kill without warning.
      await collectSse<Ev>(`${first.url}/v1/sessions/${session.id}/sse?after_sequence=0`, (e) => e.type === "output.message.delta");
      first.process.kill("SIGKILL");
      expect(await first.exited).toBe("SIGKILL");

      const second = await startChild({ ...env, DEMO_DELAY_MS: "0" });
      try {
        const events = await collectSse<Ev>(
          `${second.url}/v1/sessions/${session.id}/sse?after_sequence=0&exclude=output.message.delta`,
          (_, all) => all.filter((e) => e.type === "session.idled").length === 2,
          { timeoutMs: 30_000 },
        );
        const types = events.map((e) => e.type);
        const failed = events.find((e) => e.type === "turn.failed")!;
        expect(failed.data).toMatchObject({ error_code: "interrupted", error_disclosure: "standard" });
        expect(types.slice(types.indexOf("turn.failed"), types.indexOf("turn.failed") + 2)).toEqual(["turn.failed", "session.idled"]);
        const starts = events.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id);
        expect(starts).toEqual([killed.id, queued.id]);
        expect(types.at(-2)).toBe("turn.completed");
        expect(events.map((e) => e.sequence)).toEqual([...events.map((e) => e.sequence)].sort((a, b) => a - b));

        const list = (await (await fetch(`${second.url}/v1/sessions/${session.id}/messages`)).json()) as { data: { id: string; role: string }[] };
        const userIds = list.data.filter((m) => m.role === "user").map((m) => m.id);
        expect(userIds).toEqual([killed.id, queued.id]);
      } finally {
        second.process.kill("SIGTERM");
        await second.exited;
      }
    }, 120_000);
  });
}
