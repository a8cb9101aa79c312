// REST SSE: a session's events as `event:` / `id:` / `data:` frames: the
// reader's own replay from the store, then a live channel shared by every
// reader of the session with the same filter (src/service/live-channels.ts). Resume after `Last-Event-ID`, `since_id` or
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
import type { Member, MemberEnd, SharedFrame } from "../service/live-channels.js";
import type { StoredEvent } from "../domain/events.js";
import { stableStringify } from "../domain/stable-json.js";

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
  const filter = { sessionId, types: listParam(url, "types"), exclude: listParam(url, "exclude") };
  await services.events.check(actor, { ...filter, after });

  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);

  // One channel per session, owner and filter: each live event's frame is rendered once, the same bytes for every reader.
  let ended!: (why: MemberEnd) => void;
  const end = new Promise<MemberEnd>((resolve) => (ended = resolve));
  const member: Member<SharedFrame> = {
    sent: after ?? Number.MAX_SAFE_INTEGER,
    buffered: () => res.writableLength,
    send: (frame) => void res.write((frame.bytes ??= Buffer.from(frame.text))),
    end: ended,
  };
  const key = stableStringify([actor.ownerId, sessionId, filter.types, filter.exclude]);
  const channel = services.events.channels.rest.enter(key, () => services.events.channelSource<SharedFrame>(actor, filter, async (event) => ({ text: sseFrame(event) })), member);
  const close = () => ended({ kind: "complete" });
  req.on("close", close);
  try {
    await channel.ready;
    if (member.sent === Number.MAX_SAFE_INTEGER) member.sent = channel.sent; // live only
    // The replay is this reader's own, page by page, waiting for its socket to drain.
    let over = false;
    void end.then(() => (over = true));
    while (!over && !channel.tryJoin(member)) {
      const page = await services.events.replayPage(actor, filter, member.sent);
      for (const event of page.events) {
        if (over) break;
        if (!res.write(sseFrame(event))) await drained(res, end);
        member.sent = event.sequence;
        channel.took(member);
      }
      if (!over) member.sent = Math.max(member.sent, page.through ?? channel.sent);
    }
    const why = await end;
    if (why.kind !== "complete") throw why.error;
  } catch (error) {
    // The answer has begun (200): the error is the stream's last frame, in REST's shape.
    const body = restError(error, { logger, requestId: requestIdOf(res), where: "a REST SSE stream", detail: { sessionId } });
    res.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
  } finally {
    channel.leave(member);
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

const sseFrame = (event: StoredEvent) => `event: ${event.type}\nid: ${event.id}\ndata: ${JSON.stringify(restEvent(event))}\n\n`;

/** Resolves when `res` drains or closes, or `cut` resolves; leaves no listener behind. */
async function drained(res: ServerResponse, cut: Promise<unknown>): Promise<void> {
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
