// Seeds sessions straight into the tables with SQL (generate_series), because
// posting 10,000 messages through the API takes minutes. The rows look like
// what the turn runner writes: a session's log is `session.started` followed
// by turns of 13 events each, 4 of which project a message:
//
//   input.message (USER: text, every 3rd turn + image url, every 5th + image_file)
//   turn.started, session.activated, output.message.started,
//   output.message.completed (AGENT, COMMENTARY: text + tool_call),
//   tool.started, tool.completed (TOOL_RESULT: tool_result with text),
//   output.message.started, output.message.delta × 2,
//   output.message.completed (AGENT, FINAL_ANSWER: text),
//   turn.completed, session.idled
//
// Session.lastSequence and Session.messageCount are set to match, and the
// Message rows are derived from the Event rows (the projection's own rule), so
// the data is indistinguishable from a real log to every read path.
//
// PGlite: the server process owns the directory (lock file), so seed BEFORE it
// starts: `seedPglite(dir, …)` opens, migrates, seeds and closes.
import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../../src/db/client.js";

/** Events per seeded turn, and how many of them project a message. */
export const EVENTS_PER_TURN = 13;
export const MESSAGES_PER_TURN = 4;
export const OWNER = "local"; // AUTH=none owner (src/service/context.ts LOCAL_OWNER)

export interface SeededSession {
  id: string;
  events: number;
  messages: number;
}

/** Events (session.started included) that give at least `messages` messages. */
export function eventsForMessages(messages: number): number {
  return 1 + Math.ceil(messages / MESSAGES_PER_TURN) * EVENTS_PER_TURN;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

// $1 session id, $2 16-hex id stem (unique per session), $3 total events.
// Ids are `{prefix}_{stem}{16 hex of the sequence or turn}`: well-formed,
// unique, sorted by sequence within the session.
const EVENTS_SQL = `
INSERT INTO "Event" ("id", "sessionId", "sequence", "type", "ts", "turnId", "inputMessageId", "data")
SELECT 'event_' || $2::text || lpad(to_hex(g.seq), 16, '0'), $1::text, g.seq, x.type,
       now() - (($3::int - g.seq) * interval '1 second'),
       CASE WHEN g.seq = 1 THEN NULL ELSE t.turn_id END,
       CASE WHEN g.seq = 1 THEN NULL ELSE t.input_id END,
       x.data
  FROM generate_series(1, $3::int) AS g(seq)
  CROSS JOIN LATERAL (SELECT (g.seq - 2) / 13 AS turn, (g.seq - 2) % 13 AS pos) AS p
  CROSS JOIN LATERAL (
    SELECT 'turn_' || $2::text || lpad(to_hex(p.turn), 16, '0') AS turn_id,
           'message_' || $2::text || lpad(to_hex(p.turn * 13 + 2), 16, '0') AS input_id,
           'message_' || $2::text || lpad(to_hex(g.seq), 16, '0') AS msg_id,
           'call_' || substr(md5($2::text || p.turn), 1, 24) AS call_id,
           to_char(now() - (($3::int - g.seq) * interval '1 second'), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
  ) AS t
  CROSS JOIN LATERAL (
    SELECT CASE
      WHEN g.seq = 1 THEN 'session.started'
      ELSE (ARRAY['input.message', 'turn.started', 'session.activated', 'output.message.started',
                  'output.message.completed', 'tool.started', 'tool.completed', 'output.message.started',
                  'output.message.delta', 'output.message.delta', 'output.message.completed',
                  'turn.completed', 'session.idled'])[p.pos + 1]
    END AS type,
    CASE
      WHEN g.seq = 1 THEN jsonb_build_object('model_id', NULL)
      WHEN p.pos = 0 THEN jsonb_build_object('message', jsonb_build_object(
        'id', t.msg_id, 'session_id', $1::text, 'role', 'user',
        'content', jsonb_build_array(jsonb_build_object('type', 'text', 'text',
            'Question ' || p.turn || ': ' || repeat('could you look into the figures for ' || md5($2::text || p.turn) || ' and explain them? ', 1 + p.turn % 4)))
          || CASE WHEN p.turn % 3 = 0 THEN jsonb_build_array(jsonb_build_object('type', 'image', 'url', 'https://images.example.com/charts/' || md5(p.turn::text) || '.png')) ELSE '[]'::jsonb END
          || CASE WHEN p.turn % 5 = 0 THEN jsonb_build_array(jsonb_build_object('type', 'image_file', 'image_id', 'img_' || md5('img' || p.turn), 'filename', 'scan-' || p.turn || '.jpg')) ELSE '[]'::jsonb END,
        'controls', NULL, 'external_actor', NULL, 'metadata', NULL, 'tags', '[]'::jsonb, 'phase', NULL,
        'turn_id', t.turn_id, 'created_at', t.created_at))
      WHEN p.pos IN (1, 2) THEN jsonb_build_object('turn_id', t.turn_id, 'input_message_id', t.input_id)
      WHEN p.pos IN (3, 7) THEN jsonb_build_object('turn_id', t.turn_id, 'message_id', t.msg_id, 'model', 'demo', 'iteration', CASE WHEN p.pos = 3 THEN 1 ELSE 2 END)
      WHEN p.pos = 4 THEN jsonb_build_object('turn_id', t.turn_id, 'usage', jsonb_build_object('input_tokens', 120, 'output_tokens', 18),
        'message', jsonb_build_object('id', t.msg_id, 'session_id', $1::text, 'role', 'agent',
          'content', jsonb_build_array(
            jsonb_build_object('type', 'text', 'text', 'Let me compute that for you.'),
            jsonb_build_object('type', 'tool_call', 'id', t.call_id, 'name', 'calculator', 'arguments', jsonb_build_object('expression', (p.turn % 97) || '*(3+4)'))),
          'phase', 'commentary', 'thinking', NULL, 'thinking_signature', NULL, 'turn_id', t.turn_id, 'created_at', t.created_at))
      WHEN p.pos = 5 THEN jsonb_build_object('turn_id', t.turn_id, 'tool_call', jsonb_build_object('id', t.call_id, 'name', 'calculator', 'arguments', jsonb_build_object('expression', (p.turn % 97) || '*(3+4)')))
      WHEN p.pos = 6 THEN jsonb_build_object('turn_id', t.turn_id, 'message_id', t.msg_id, 'tool_call_id', t.call_id, 'tool_name', 'calculator',
        'status', 'success', 'result', jsonb_build_array(jsonb_build_object('type', 'text', 'text', ((p.turn % 97) * 7)::text)), 'error', NULL)
      WHEN p.pos IN (8, 9) THEN jsonb_build_object('turn_id', t.turn_id, 'message_id', 'message_' || $2::text || lpad(to_hex(p.turn * 13 + 12), 16, '0'), 'delta', 'The answer is ')
      WHEN p.pos = 10 THEN jsonb_build_object('turn_id', t.turn_id, 'usage', jsonb_build_object('input_tokens', 140, 'output_tokens', 60),
        'message', jsonb_build_object('id', t.msg_id, 'session_id', $1::text, 'role', 'agent',
          'content', jsonb_build_array(jsonb_build_object('type', 'text', 'text',
            'The answer is ' || ((p.turn % 97) * 7) || '. ' || repeat('Here is how the figures in ' || substr(md5(p.turn::text), 1, 12) || ' break down, step by step. ', 2 + p.turn % 5))),
          'phase', 'final_answer', 'thinking', NULL, 'thinking_signature', NULL, 'turn_id', t.turn_id, 'created_at', t.created_at))
      WHEN p.pos = 11 THEN jsonb_build_object('turn_id', t.turn_id, 'iterations', 2, 'duration_ms', 850,
        'usage', jsonb_build_object('input_tokens', 260, 'output_tokens', 78), 'final_message_id', 'message_' || $2::text || lpad(to_hex(p.turn * 13 + 12), 16, '0'))
      ELSE jsonb_build_object('turn_id', t.turn_id, 'iterations', 2, 'usage', jsonb_build_object('input_tokens', 260, 'output_tokens', 78))
    END AS data
  ) AS x`;

// The projection, derived from the events with the rule of src/domain/messages.ts.
const MESSAGES_SQL = `
INSERT INTO "Message" ("id", "sessionId", "eventId", "sequence", "role", "content", "controls", "externalActor",
                       "metadata", "tags", "phase", "thinking", "thinkingSignature", "turnId", "createdAt")
SELECT CASE WHEN e."type" = 'tool.completed' THEN e."data"->>'message_id' ELSE e."data"->'message'->>'id' END,
       e."sessionId", e."id", e."sequence",
       (CASE e."type" WHEN 'input.message' THEN 'USER' WHEN 'tool.completed' THEN 'TOOL_RESULT' ELSE 'AGENT' END)::"MessageRole",
       CASE WHEN e."type" = 'tool.completed'
            THEN jsonb_build_array(jsonb_build_object('type', 'tool_result', 'tool_call_id', e."data"->>'tool_call_id',
                   'content', e."data"->'result', 'is_error', e."data"->>'status' = 'error'))
            ELSE e."data"->'message'->'content' END,
       NULL, NULL, NULL, ARRAY[]::text[],
       (CASE e."data"->'message'->>'phase' WHEN 'commentary' THEN 'COMMENTARY' WHEN 'final_answer' THEN 'FINAL_ANSWER' END)::"MessagePhase",
       NULL, NULL, e."turnId", e."ts"
  FROM "Event" e
 WHERE e."sessionId" = $1::text AND e."type" IN ('input.message', 'output.message.completed', 'tool.completed')`;

/**
 * Seeds one IDLE session of the local owner with `events` events (at least 1:
 * session.started). Returns its id and how many messages it projects.
 */
export async function seedSession(db: Database, events: number, title = "bench"): Promise<SeededSession> {
  if (!Number.isInteger(events) || events < 1) throw new Error(`events must be a positive integer, got ${events}`);
  const id = `session_${hex(16)}`;
  const stem = hex(8);
  const prisma = db.prisma;
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Session" ("id", "ownerId", "title", "status", "tags", "lastSequence", "messageCount", "createdAt", "updatedAt")
     VALUES ($1::text, $2::text, $3::text, 'IDLE', ARRAY['bench']::text[], $4::int, 0, now() - ($4::int * interval '1 second'), now())`,
    id,
    OWNER,
    title,
    events,
  );
  await prisma.$executeRawUnsafe(EVENTS_SQL, id, stem, events);
  const messages = await prisma.$executeRawUnsafe(MESSAGES_SQL, id);
  await prisma.$executeRawUnsafe(`UPDATE "Session" SET "messageCount" = $2::int WHERE "id" = $1::text`, id, messages);
  return { id, events, messages };
}

/** Refreshes planner statistics after a bulk load (later, autovacuum would on PostgreSQL, and Parley's periodic ANALYZE on PGlite). */
export async function analyze(db: Database): Promise<void> {
  await db.prisma.$executeRawUnsafe(`ANALYZE "Session", "Event", "Message", "Turn"`);
}

/** Opens a PGlite directory (migrating it), runs `fn`, closes it so a server can take the lock. */
export async function withPglite<T>(dataDir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dataDir });
  try {
    const result = await fn(db);
    await analyze(db);
    return result;
  } finally {
    await db.close();
  }
}

/** Same for a PostgreSQL database. */
export async function withPostgres<T>(databaseUrl: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl, dataDir: "memory://", poolSize: 2 });
  try {
    const result = await fn(db);
    await analyze(db);
    return result;
  } finally {
    await db.close();
  }
}
