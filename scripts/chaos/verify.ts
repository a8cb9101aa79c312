// What must hold for a session after any crash (SPEC §4, §8, §11): every
// acknowledged message is stored; sequences run 1..N with no gap; every turn
// has exactly one turn.started and exactly one terminal event, and the event
// right after the terminal one is session.idled; every acknowledged message's
// turn ran (a queued message is not forgotten).
import { call, eventsOf } from "./client.js";

export interface Acked {
  messageId: string;
  turnId: string;
}

export interface Findings {
  acked: number;
  lost: number;
  /** Turns with no terminal event (or not exactly one). */
  open: number;
  /** Anything else out of order: gaps, a terminal not followed by session.idled, a turn closed without starting. */
  violations: string[];
}

const TERMINAL = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);

export async function verifySession(url: string, sessionId: string, acked: readonly Acked[]): Promise<Findings> {
  const findings: Findings = { acked: acked.length, lost: 0, open: 0, violations: [] };
  const events = await eventsOf(url, sessionId);
  events.forEach((event, i) => {
    if (event.sequence !== i + 1) findings.violations.push(`${sessionId}: sequence ${event.sequence} at position ${i + 1}`);
  });

  const listed = await call(url, "GET", `/v1/sessions/${sessionId}/messages?limit=1000`, undefined, 30_000);
  if (listed.status !== 200) throw new Error(`could not list the messages of ${sessionId}: ${listed.status}`);
  const stored = new Set((listed.body.data as { id: string }[]).map((m) => m.id));
  if (listed.body.total > 1000) findings.violations.push(`${sessionId}: more than 1000 messages, the check saw only 1000`);
  findings.lost = acked.filter((a) => !stored.has(a.messageId)).length;

  // Every turn any event names, plus every acknowledged one (a turn that never started must still end).
  const turns = new Set([...acked.map((a) => a.turnId), ...events.flatMap((e) => (typeof e.data.turn_id === "string" ? [e.data.turn_id] : []))]);
  for (const turnId of turns) {
    const mine = events.filter((e) => e.data.turn_id === turnId);
    const terminals = mine.filter((e) => TERMINAL.has(e.type));
    const starts = mine.filter((e) => e.type === "turn.started");
    if (terminals.length !== 1) {
      findings.open++;
      if (terminals.length > 1) findings.violations.push(`${turnId}: ${terminals.length} terminal events`);
      continue;
    }
    const terminal = terminals[0]!;
    if (starts.length !== 1) findings.violations.push(`${turnId}: ${starts.length} turn.started before ${terminal.type}`);
    const next = events[terminal.sequence]; // sequence n is at index n-1, so this is n+1
    if (next?.type !== "session.idled") findings.violations.push(`${turnId}: ${terminal.type} followed by ${next?.type ?? "nothing"}`);
  }
  return findings;
}
