// Baseline for live fan-out and idle-subscriber memory: a raw `ws` server
// that speaks just enough of graphql-transport-ws for the real graphql-ws
// client (connection_init → connection_ack, subscribe, complete, ping/pong)
// and broadcasts pre-recorded `next` payloads — the very frames Parley sent,
// same sizes, same count, same pacing — to every subscriber. No GraphQL
// execution, no event log, no bus: the floor for delivering those frames.
//
//   GET  /status     {"subscribers": n}
//   POST /broadcast  {"payloads": [...], "delayMs": n}  each payload's
//        data.sessionEvents.ts is set to the send time (what `ts` is in Parley:
//        the append time), then the frame goes to every subscriber. Answers
//        when the last frame was handed to the sockets.
//   POST /stream     {"streams": [{"sessionId","payloads"}], "delayMs": n}
//        (capacity; only with DATA_DIR or DATABASE_URL) every stream at once:
//        each frame is first appended to its session as an Event row by one
//        hand-written INSERT (bench/lib/floor-db.ts), its ts set to the append
//        time, then sent to the sockets subscribed with `variables.id` equal to
//        the session id; frame k of a stream is due k × delayMs after its start.
import { createServer, type IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocketServer, type WebSocket } from "ws";
import { appendDelta, connectFloorDb } from "../lib/floor-db.js";
import { installMemoryProbe } from "../lib/memory-probe.js";
import { serveBaseline } from "../lib/baseline-server.js";

installMemoryProbe();
const db = await connectFloorDb();

/** Subscription id, and the `id` variable (a session id), per subscribed socket. */
const subscribers = new Map<WebSocket, { id: string; sessionId: unknown }>();

interface Payload {
  data: { sessionEvents: { ts: string } & Record<string, unknown> };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
}

async function broadcast(payloads: Payload[], delayMs: number): Promise<void> {
  for (const [i, payload] of payloads.entries()) {
    if (i > 0 && delayMs > 0) await sleep(delayMs);
    payload.data.sessionEvents.ts = new Date().toISOString();
    // Serialize the payload once; each socket gets its own subscription id around it.
    const body = JSON.stringify(payload);
    for (const [socket, { id }] of subscribers) socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${body}}`);
  }
}

async function stream(sessionId: string, payloads: Payload[], delayMs: number): Promise<void> {
  const start = performance.now();
  for (const [i, payload] of payloads.entries()) {
    const wait = start + i * delayMs - performance.now();
    if (wait > 0) await sleep(wait);
    const ts = new Date();
    await appendDelta(db!, sessionId, payload.data.sessionEvents.data ?? null, ts);
    const body = JSON.stringify({ data: { sessionEvents: { ...payload.data.sessionEvents, ts: ts.toISOString() } } });
    for (const [socket, sub] of subscribers) {
      if (sub.sessionId === sessionId) socket.send(`{"id":${JSON.stringify(sub.id)},"type":"next","payload":${body}}`);
    }
  }
}

const server = createServer(async (req, res) => {
  const send = (status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  try {
    if (req.method === "GET" && req.url === "/status") return send(200, { subscribers: subscribers.size });
    if (req.method === "POST" && req.url === "/broadcast") {
      const input = await readJson(req);
      await broadcast(input.payloads as Payload[], Number(input.delayMs ?? 0));
      return send(200, { sent: (input.payloads as unknown[]).length, subscribers: subscribers.size });
    }
    if (req.method === "POST" && req.url === "/stream" && db) {
      const input = (await readJson(req)) as { streams: { sessionId: string; payloads: Payload[] }[]; delayMs?: number };
      await Promise.all(input.streams.map((st) => stream(st.sessionId, st.payloads, Number(input.delayMs ?? 0))));
      return send(200, { streams: input.streams.length });
    }
    send(404, { error: "not found" });
  } catch (error) {
    send(500, { error: String(error) });
  }
});

const wss = new WebSocketServer({ server, path: "/graphql" });
wss.on("connection", (socket) => {
  socket.on("message", (raw) => {
    const message = JSON.parse(raw.toString()) as { type: string; id?: string; payload?: { variables?: { id?: unknown } } };
    switch (message.type) {
      case "connection_init":
        socket.send(JSON.stringify({ type: "connection_ack" }));
        break;
      case "ping":
        socket.send(JSON.stringify({ type: "pong" }));
        break;
      case "subscribe":
        subscribers.set(socket, { id: message.id!, sessionId: message.payload?.variables?.id });
        break;
      case "complete":
        subscribers.delete(socket);
        break;
    }
  });
  socket.on("close", () => subscribers.delete(socket));
});

serveBaseline(server, () => db?.close());
