// cancelTurn stops a streaming turn: turn.cancelled + session.idled, the
// partial answer kept as the agent message, and the queue goes on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { createApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { LOCAL_OWNER } from "../../src/service/index.js";
import type { StoredEvent } from "../../src/domain/events.js";

const actor = { ownerId: LOCAL_OWNER };
const longText = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ");

for (const backend of await backends()) {
  describe(`cancelTurn on ${backend.name}`, () => {
    let app: App;
    beforeAll(async () => {
      await backend.open().then((db) => db.close());
      app = await createApp(loadConfig({ DATABASE_URL: backend.databaseUrl ?? "", DATA_DIR: "memory://", DEMO_DELAY_MS: "25", LOG_LEVEL: "silent" }));
      await app.runner.start();
    });
    afterAll(async () => {
      await app?.close();
      await backend.cleanup();
    });

    it("cancels mid-stream, keeps the partial answer, then runs the next queued message", async () => {
      const session = await app.services.sessions.create(actor, {});
      const stream = await app.services.events.open(actor, { sessionId: session.id, after: 0 });
      await app.services.messages.create(actor, { sessionId: session.id, message: { content: [{ type: "text", text: longText }] } });
      await app.services.messages.create(actor, { sessionId: session.id, message: { content: [{ type: "text", text: "after cancel" }] } });
      const seen: StoredEvent[] = [];
      let cancelled: Promise<unknown> | undefined;
      const timer = setTimeout(() => void stream.return?.(), 20_000);
      for await (const event of stream) {
        seen.push(event);
        if (event.type === "output.message.delta" && !cancelled) cancelled = app.services.sessions.cancelTurn(actor, session.id);
        if (seen.filter((e) => e.type === "session.idled").length === 2) break;
      }
      clearTimeout(timer);
      const result = (await cancelled) as { result: string; session: { status: string } };
      expect(result.result).toBe("cancelled");

      const types = seen.map((e) => e.type).filter((t) => t !== "output.message.delta");
      const firstIdle = types.indexOf("session.idled");
      expect(types.slice(firstIdle - 2, firstIdle + 1)).toEqual(["output.message.completed", "turn.cancelled", "session.idled"]);
      const deltas = seen.slice(0, seen.findIndex((e) => e.type === "turn.cancelled")).filter((e) => e.type === "output.message.delta");
      const partial = seen.find((e) => e.type === "output.message.completed")!.data.message as { content: { text: string }[]; metadata: unknown };
      expect(partial.metadata).toEqual({ partial: true });
      expect(deltas.map((d) => d.data.delta).join("")).toBe(partial.content[0]!.text);
      expect(partial.content[0]!.text.length).toBeLessThan(longText.length);
      // The queued message still gets its whole turn.
      expect(types.slice(firstIdle + 1)).toContain("turn.completed");
    });
  });
}
