// Busy sessions for the chaos run: each worker keeps one session busy with
// plain replies, calculator tool turns, client-tool calls that wait for an
// answer, and bursts of messages that queue behind a running turn, against
// whichever instances are up. Only 201 answers count as acknowledged. A
// responder answers every waiting client call, before and after a crash.
import { call, sleep } from "./client.js";
import type { Acked } from "./verify.js";

export const PROBE_TOOL = { name: "chaos_probe", description: "A client tool the chaos run answers", parameters: { type: "object", properties: { n: { type: "integer" } } } };

const say = (text: string, controls?: object) => ({ message: { content: [{ type: "text", text }] }, ...(controls ? { controls } : {}) });

function nextMessage(n: number) {
  const kind = Math.floor(Math.random() * 4);
  if (kind === 0) return say(`chaos ${n}: ${Array.from({ length: 12 + (n % 20) }, (_, i) => `word${i}`).join(" ")}`);
  if (kind === 1) return say(`chaos ${n}: what is ${n}*(3+4)?`);
  return say(`call chaos_probe {"n": ${n}}`, { client_tools: [PROBE_TOOL] });
}

/** Answers the session's waiting client calls once; false when the server did not answer. */
export async function answerWaiting(url: string, sessionId: string): Promise<{ reachable: boolean; status?: string }> {
  const session = await call(url, "GET", `/v1/sessions/${sessionId}`);
  if (session.status !== 200) return { reachable: false };
  const pending = (session.body.pending_tool_calls ?? []) as { tool_call: { id: string }; kind: string }[];
  const client = pending.filter((p) => p.kind === "client");
  if (client.length > 0) {
    const tool_results = client.map((p) => ({ tool_call_id: p.tool_call.id, content: [{ type: "text", text: "probed" }], is_error: false }));
    await call(url, "POST", `/v1/sessions/${sessionId}/tool-results`, { tool_results }); // a 409 (superseded meanwhile) is fine
  }
  return { reachable: true, status: session.body.status };
}

export interface Worker {
  stop(): Promise<void>;
}

/** Runs one session's traffic against `urls()` (read each time: instances come and go) until stopped. */
export function startWorker(urls: () => string[], sessionId: string, acked: Acked[], counter: { n: number }): Worker {
  let running = true;
  const pick = () => {
    const list = urls();
    return list[Math.floor(Math.random() * list.length)]!;
  };
  const send = async () => {
    while (running) {
      const burst = Math.random() < 0.25 ? 2 + Math.floor(Math.random() * 2) : 1;
      for (let i = 0; i < burst && running; i++) {
        const res = await call(pick(), "POST", `/v1/sessions/${sessionId}/messages`, nextMessage(++counter.n));
        if (res.status === 201) acked.push({ messageId: res.body.id, turnId: res.body.turn_id });
      }
      await sleep(50 + Math.random() * 250);
    }
  };
  const respond = async () => {
    while (running) {
      await answerWaiting(pick(), sessionId);
      await sleep(100);
    }
  };
  const done = Promise.all([send(), respond()]);
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}
