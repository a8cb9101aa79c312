// Where a turn waits, read from its events alone (src/protocols/turn-waits.ts):
// a step waits once each call is requested or a completed server tool and a
// requested call is still open; the continuation point after a wait.
import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../src/protocols/log-event.js";
import { TurnWaits } from "../../src/protocols/turn-waits.js";

let sequence = 0;
const event = (type: string, data: Record<string, unknown>): LogEvent => ({ sequence: ++sequence, type, ts: new Date(0), context: { turnId: "turn_1" }, data: data as never });
const step = (...calls: string[]) =>
  event("output.message.completed", { message: { id: "m", content: calls.map((id) => ({ type: "tool_call", id, name: `tool_${id}`, arguments: {} })) } });
const requested = (id: string, kind: "client" | "approval") => event("tool.call_requested", { tool_call: { id, name: `tool_${id}`, arguments: {} }, kind, expires_at: "2030-01-01T00:00:00.000Z" });
const started = (id: string) => event("tool.started", { tool_call: { id, name: `tool_${id}`, arguments: {} } });
const completed = (id: string) => event("tool.completed", { tool_call_id: id, status: "success", result: [] });

const run = (waits: TurnWaits, events: LogEvent[]) => events.map((e) => waits.observe(e)?.map((c) => `${c.kind}:${c.id}`) ?? null);

describe("TurnWaits", () => {
  it("a step of requested calls waits after the last tool.call_requested, with every open call", () => {
    expect(run(new TurnWaits(), [step("a", "b"), requested("a", "approval"), requested("b", "client")])).toEqual([null, null, ["approval:a", "client:b"]]);
  });

  it("with server tools beside them, the wait starts when the last server tool completes", () => {
    const seen = run(new TurnWaits(), [step("a", "s1", "s2"), requested("a", "client"), started("s1"), completed("s1"), started("s2"), completed("s2")]);
    expect(seen).toEqual([null, null, null, null, null, ["client:a"]]);
  });

  it("a call answered while the server tools still ran leaves nothing to wait for; answers after the wait start nothing new", () => {
    expect(run(new TurnWaits(), [step("a", "s"), requested("a", "client"), completed("a"), started("s"), completed("s")]).every((w) => w === null)).toBe(true);
    const waits = new TurnWaits();
    expect(run(waits, [step("a"), requested("a", "approval"), started("a"), completed("a")])).toEqual([null, ["approval:a"], null, null]);
  });

  it("atWait holds from the wait until the turn goes on, through answers that leave calls open", () => {
    const waits = new TurnWaits();
    const seen = [step("a", "b", "s"), requested("a", "client"), requested("b", "client"), started("s"), completed("s"), completed("a"), event("turn.resumed", {})].map((e) => {
      waits.observe(e);
      return waits.atWait;
    });
    expect(seen).toEqual([false, false, false, false, true, true, false]);
  });

  it("steps without waiting calls never wait; kinds are remembered per call", () => {
    const waits = new TurnWaits();
    expect(run(waits, [step("s"), started("s"), completed("s")]).every((w) => w === null)).toBe(true);
    run(waits, [step("c"), requested("c", "client")]);
    expect([waits.kindOf("c"), waits.kindOf("s")]).toEqual(["client", null]);
  });

  it("a continuation starts at the first event after the answered step's wait: an answer, an approved tool's start or turn.resumed", () => {
    const waits = new TurnWaits();
    const answered = new Set(["a"]);
    const before = [step("a", "s"), requested("a", "approval"), started("s"), completed("s")];
    for (const e of before) {
      expect(waits.continues(e, answered)).toBe(false);
      waits.observe(e);
    }
    expect(waits.continues(started("a"), answered)).toBe(true);
    expect(waits.continues(event("turn.resumed", {}), answered)).toBe(true);
    expect(waits.continues(started("s"), answered)).toBe(false); // a server tool of that step is no answer
    expect(waits.continues(started("a"), new Set(["unknown"]))).toBe(false);
  });
});
