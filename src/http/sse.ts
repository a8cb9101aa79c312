// REST SSE: a session's events as `event:` / `id:` / `data:` frames, from the
// shared replay-then-live stream. Resume after `Last-Event-ID`, `since_id` or
// `after_sequence`; `types` / `exclude` filter; a heartbeat comment keeps
// proxies from closing an idle stream.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Actor } from "../service/context.js";
import type { Services } from "../service/index.js";
import { validation } from "../errors.js";
import { parseId } from "../ids.js";
import type { Logger } from "../log.js";
import { restError } from "./errors.js";
import { requestIdOf } from "./request-id.js";
import { restEvent } from "./rest-shapes.js";
import { CUT_OFF_GRACE_MS } from "../service/stream-bounds.js";

export const HEARTBEAT_MS = 15_000;

/** Repeatable or comma-separated list parameters (`?types=a&types=b,c`). */
export const listParam = (url: URL, name: string) =>
  url.searchParams.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

export async function serveSessionSse(
  { services, logger }: { services: Services; logger: Logger },
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
  // Cut off for being too slow: stop waiting for a drain that is not coming.
  let cutOff: (() => void) | undefined;
  const cut = new Promise<void>((resolve) => (cutOff = resolve));
  const stream = await services.events.open(
    actor,
    { sessionId, after, types: listParam(url, "types"), exclude: listParam(url, "exclude") },
    { onCutOff: () => cutOff!() },
  );

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
        await drained(res, cut);
        if (res.destroyed) break;
      }
    }
  } catch (error) {
    // The answer has begun (200): the error is the stream's last frame, in REST's shape.
    const body = restError(error, { logger, requestId: requestIdOf(res), where: "a REST SSE stream", detail: { sessionId } });
    res.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
  } finally {
    clearInterval(heartbeat);
    req.off("close", close);
    res.end();
    // A reader that does not take even the last frames is dropped, freeing what its socket holds.
    if (!res.writableFinished) {
      const drop = setTimeout(() => res.destroy(), CUT_OFF_GRACE_MS).unref();
      res.once("close", () => clearTimeout(drop));
    }
  }
}

/** Resolves when `res` drains or closes, or `cut` resolves; leaves no listener behind. */
async function drained(res: ServerResponse, cut: Promise<void>): Promise<void> {
  let done!: () => void;
  const wait = new Promise<void>((resolve) => (done = resolve));
  res.once("drain", done);
  res.once("close", done);
  try {
    await Promise.race([cut, wait]);
  } finally {
    res.off("drain", done);
    res.off("close", done);
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
