// Baseline (the database floor): a plain node:http server that answers each
// request with ONE hand-written SQL statement and JSON.stringify of its rows —
// no GraphQL, no Prisma, no validation, no logging (the database handle:
// bench/lib/floor-db.ts).
//
//   POST /history        {"sessionId","last"}  the newest `last` messages: id, role, content
//   POST /create-message {"sessionId","text"}  createMessage's writes: bump the session,
//                                                insert event + message + queued turn
//   POST /append         {"sessionId"}          one output.message.delta event appended
import { createServer, type IncomingMessage } from "node:http";
import { appendDelta, connectFloorDb, floorId as id } from "../lib/floor-db.js";
import { installMemoryProbe } from "../lib/memory-probe.js";
import { serveBaseline } from "../lib/baseline-server.js";

installMemoryProbe();

const HISTORY_SQL = `SELECT "id", "role", "content" FROM "Message" WHERE "sessionId" = $1 ORDER BY "sequence" DESC LIMIT $2`;

const CREATE_MESSAGE_SQL = `
WITH seq AS (
  UPDATE "Session" SET "lastSequence" = "lastSequence" + 1, "messageCount" = "messageCount" + 1, "updatedAt" = now()
   WHERE "id" = $1 RETURNING "lastSequence" AS s
), ev AS (
  INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
  SELECT $2, $1, seq.s, 'input.message', now(), $4, $3, $5::jsonb FROM seq
), tu AS (
  INSERT INTO "Turn" ("id", "sessionId", "inputMessageId", "status") SELECT $4, $1, $3, 'QUEUED' FROM seq
)
INSERT INTO "Message" ("id", "sessionId", "eventId", "sequence", "role", "content", "tags", "turnId", "createdAt")
SELECT $3, $1, $2, seq.s, 'USER', $6::jsonb, ARRAY[]::text[], $4, now() FROM seq
RETURNING "id", "sequence"`;

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
}

const db = (await connectFloorDb())!;

const server = createServer(async (req, res) => {
  try {
    const input = await body(req);
    let result: unknown;
    if (req.url === "/history") {
      const rows = await db.query(HISTORY_SQL, [input.sessionId, input.last ?? 50]);
      result = { data: { session: { messages: { nodes: rows.reverse() } } } };
    } else if (req.url === "/create-message") {
      const [eventId, messageId, turnId] = [id("event"), id("message"), id("turn")];
      const content = [{ type: "text", text: input.text }];
      const message = { id: messageId, session_id: input.sessionId, role: "user", content, turn_id: turnId, created_at: new Date().toISOString() };
      const rows = await db.query(CREATE_MESSAGE_SQL, [input.sessionId, eventId, messageId, turnId, JSON.stringify({ message }), JSON.stringify(content)]);
      result = { data: { createMessage: rows[0] } };
    } else if (req.url === "/append") {
      const rows = await appendDelta(db, input.sessionId as string, { delta: "three more words " });
      result = { data: rows[0] };
    } else {
      res.writeHead(404).end();
      return;
    }
    const json = JSON.stringify(result);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    res.end(json);
  } catch (error) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String((error as Error).message));
  }
});

serveBaseline(server, () => db.close());
