// Agent turns as a frontend sees them: createMessage over HTTP, events over
// graphql-ws. The exact order of SPEC §4 for a plain and a tool turn, three
// back-to-back messages queued, and cancelTurn mid-stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { backends } from "../support/backends.js";
import { startServer, type TestServer } from "../support/server.js";
import { gqlData, subscribeWs, wsClient, type Result } from "../support/clients.js";
import { createSession, sendText } from "../support/fixtures.js";

type Ev = { sequence: number; type: string; data: Record<string, any>; message: { role: string; phase: string | null } | null };
const WATCH = `subscription($id: ID!) { sessionEvents(sessionId: $id, after: 0) { sequence type data message { role phase } } }`;

const events = (results: Result<{ sessionEvents: Ev }>[]) => results.map((r) => r.data!.sessionEvents);
const idled = (n: number) => (results: Result<{ sessionEvents: Ev }>[]) => events(results).filter((e) => e.type === "session.idled").length >= n;
const withoutDeltas = (evs: Ev[]) => evs.filter((e) => e.type !== "output.message.delta").map((e) => e.type);
const text = (e: Ev) => (e.data.message.content as { type: string; text?: string }[]).filter((p) => p.type === "text").map((p) => p.text).join("");

for (const backend of await backends()) {
  describe(`agent turns over graphql-ws on ${backend.name}`, () => {
    let server: TestServer;
    let client: Client;
    beforeAll(async () => {
      server = await startServer(backend, { DEMO_DELAY_MS: "5" });
      client = wsClient(server.url);
    });
    afterAll(async () => {
      await client?.dispose();
      await server?.close();
      await backend.cleanup();
    });

    const watch = async (sessionId: string) => subscribeWs<{ sessionEvents: Ev }>(client, WATCH, { id: sessionId });

    it("streams a plain turn in SPEC order; the deltas add up to the agent message", async () => {
      const sessionId = await createSession(server.url);
      const sub = await watch(sessionId);
      await sendText(server.url, sessionId, "tell me something nice about streams");
      const evs = events(await sub.until(idled(1)));
      sub.stop();
      expect(withoutDeltas(evs)).toEqual([
        "session.started", "input.message", "turn.started", "session.activated",
        "output.message.started", "output.message.completed", "turn.completed", "session.idled",
      ]);
      expect(evs.map((e) => e.sequence)).toEqual(evs.map((_, i) => i + 1));
      const completed = evs.find((e) => e.type === "output.message.completed")!;
      const deltas = evs.filter((e) => e.type === "output.message.delta");
      expect(deltas.length).toBeGreaterThan(2);
      expect(deltas.map((d) => d.data.delta).join("")).toBe(text(completed));
      expect(completed.message).toEqual({ role: "AGENT", phase: "FINAL_ANSWER" });
      expect(evs.find((e) => e.type === "input.message")!.message).toEqual({ role: "USER", phase: null });
      const started = evs.find((e) => e.type === "output.message.started")!.data;
      expect(started).toMatchObject({ model: "demo", iteration: 1, message_id: completed.data.message.id });
    });

    it("runs a tool turn: calculator call, result, then the answer with 84", async () => {
      const sessionId = await createSession(server.url);
      const sub = await watch(sessionId);
      await sendText(server.url, sessionId, "what is 12*(3+4)?");
      const evs = events(await sub.until(idled(1)));
      sub.stop();
      expect(withoutDeltas(evs).slice(2)).toEqual([
        "turn.started", "session.activated",
        "output.message.started", "output.message.completed", "tool.started", "tool.completed",
        "output.message.started", "output.message.completed", "turn.completed", "session.idled",
      ]);
      const [first, final] = evs.filter((e) => e.type === "output.message.completed");
      expect(first!.message).toEqual({ role: "AGENT", phase: "COMMENTARY" });
      expect(evs.find((e) => e.type === "tool.completed")!.message).toEqual({ role: "TOOL_RESULT", phase: null });
      expect(evs.find((e) => e.type === "tool.completed")!.data).toMatchObject({ tool_name: "calculator", status: "success", result: [{ type: "text", text: "84" }] });
      expect(text(final!)).toContain("84");
      const secondStepDeltas = evs.slice(evs.indexOf(evs.filter((e) => e.type === "output.message.started")[1]!)).filter((e) => e.type === "output.message.delta");
      expect(secondStepDeltas.map((d) => d.data.delta).join("")).toBe(text(final!));
      expect(evs.find((e) => e.type === "turn.completed")!.data).toMatchObject({ iterations: 2, final_message_id: final!.data.message.id });
    });

    it("queues three back-to-back messages and runs their turns one at a time, in order", async () => {
      const sessionId = await createSession(server.url);
      const sub = await watch(sessionId);
      const sent = await Promise.all(["one", "two", "three"].map(async (t, i) => {
        await new Promise((r) => setTimeout(r, i * 5));
        return sendText(server.url, sessionId, t);
      }));
      const evs = events(await sub.until(idled(3), 30_000));
      sub.stop();
      const bySequence = [...sent].sort((a, b) => a.sequence - b.sequence).map((m) => m.id);
      expect(evs.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id)).toEqual(bySequence);
      const lifecycle = evs.filter((e) => e.type === "turn.started" || e.type === "session.idled").map((e) => e.type);
      expect(lifecycle).toEqual(["turn.started", "session.idled", "turn.started", "session.idled", "turn.started", "session.idled"]);
      expect(evs.filter((e) => e.type === "turn.completed")).toHaveLength(3);
    });

    it("cancels a streaming turn with cancelTurn: turn.cancelled then session.idled, partial answer kept", async () => {
      const sessionId = await createSession(server.url);
      const sub = await watch(sessionId);
      await sendText(server.url, sessionId, Array.from({ length: 120 }, (_, i) => `w${i}`).join(" "));
      await sub.until((rs) => events(rs).some((e) => e.type === "output.message.delta"));
      const cancelled = await gqlData(server.url, `mutation($id: ID!) { cancelTurn(sessionId: $id) { id status } }`, { id: sessionId });
      expect(cancelled.cancelTurn.id).toBe(sessionId);
      const evs = events(await sub.until(idled(1)));
      sub.stop();
      expect(withoutDeltas(evs).slice(-3)).toEqual(["output.message.completed", "turn.cancelled", "session.idled"]);
      const partial = evs.find((e) => e.type === "output.message.completed")!;
      expect(partial.data.message.metadata).toEqual({ partial: true });
      expect(evs.filter((e) => e.type === "output.message.delta").map((d) => d.data.delta).join("")).toBe(text(partial));
      const again = await gqlData(server.url, `mutation($id: ID!) { cancelTurn(sessionId: $id) { status } }`, { id: sessionId });
      expect(again.cancelTurn.status).toBe("IDLE");
    });
  });
}
