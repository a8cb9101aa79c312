// REST SSE: a session's events as `event:` / `id:` / `data:` frames, from the
// shared replay-then-live stream. Resume after `Last-Event-ID`, `since_id` or
// `after_sequence`; `types` / `exclude` filter; a heartbeat comment keeps
// proxies from closing an idle stream.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Actor } from "../service/context.js";
import type { Services } from "../service/index.js";
import { validation } from "../errors.js";
import { parseId } from "../ids.js";
import { restEvent } from "./rest-shapes.js";

export const HEARTBEAT_MS = 15_000;

/** Repeatable or comma-separated list parameters (`?types=a&types=b,c`). */
export const listParam = (url: URL, name: string) =>
  url.searchParams.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

export async function serveSessionSse(
  services: Services,
  actor: Actor,
  sessionIdParam: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  heartbeatMs = HEARTBEAT_MS,
): Promise<void> {
  const sessionId = parseId("session", sessionIdParam, "session_id");
  const session = await services.sessions.get(actor, sessionId, "session_id");
  const after = await resumePoint(services, actor, session.id, req, url);
  const stream = await services.events.open(actor, { sessionId, after, types: listParam(url, "types"), exclude: listParam(url, "exclude") });

  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
  const close = () => void stream.return?.();
  req.on("close", close);
  try {
    for await (const event of stream) {
      if (!res.write(`event: ${event.type}\nid: ${event.id}\ndata: ${JSON.stringify(restEvent(event))}\n\n`)) {
        await new Promise((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
        if (res.destroyed) break;
      }
    }
  } catch (error) {
    res.write(`event: error\ndata: ${JSON.stringify({ error: (error as Error).message })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    req.off("close", close);
    res.end();
  }
}

/** The sequence to resume after; null = live only. */
async function resumePoint(services: Services, actor: Actor, sessionId: string, req: IncomingMessage, url: URL): Promise<number | null> {
  const lastEventId = req.headers["last-event-id"];
  const sinceId = typeof lastEventId === "string" && lastEventId ? lastEventId : url.searchParams.get("since_id");
  if (sinceId) return services.events.sequenceOf(actor, sessionId, sinceId, lastEventId ? "Last-Event-ID" : "since_id");
  const afterSequence = url.searchParams.get("after_sequence");
  if (afterSequence === null) return null;
  if (!/^\d{1,10}$/.test(afterSequence)) throw validation("after_sequence", "after_sequence must be a non-negative integer");
  return Number(afterSequence);
}
