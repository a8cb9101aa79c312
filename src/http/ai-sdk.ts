// Vercel AI SDK UI message stream routes (SPEC §13), what `useChat` and
// `DefaultChatTransport` speak: `POST /v1/ai-sdk/chat` posts the newest user
// message and streams its turn, or applies the tool answers of its last
// (assistant) message and streams the rest of that turn until it ends or
// waits again; `GET /v1/ai-sdk/chat/{id}/stream` resumes the turn that has
// not ended (204 when none). The chunks are the mapper's, the
// SSE framing, headers and `[DONE]` are `ai`'s own stream helpers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createUIMessageStream, pipeUIMessageStreamToResponse, safeValidateUIMessages, type UIMessage } from "ai";
import { z } from "zod";
import { AppError, validation } from "../errors.js";
import type { Actor } from "../service/context.js";
import type { ProtocolService } from "../service/protocols.js";
import { AiSdkTurnMapper, newestUserMessage, toolAnswersOf, type StreamScope } from "../protocols/ai-sdk.js";
import type { Logger } from "../log.js";
import type { LogEvent } from "../protocols/log-event.js";
import type { TurnStart } from "../store/protocol-links.js";
import { readJson } from "./body.js";
import { originPolicy, refusedOrigin } from "./origin.js";
import { sendMethodNotAllowed, sendRestError, streamErrorMessage } from "./errors.js";
import type { Route } from "./server.js";
import { HEARTBEAT_MS } from "./sse.js";
import type { ProtocolRouteDeps } from "./agui.js";

export const AI_SDK_CHAT_PATH = "/v1/ai-sdk/chat";
const RESUME_PATH = /^\/v1\/ai-sdk\/chat\/(?<id>[^/]+)\/stream$/;

const ChatRequest = z.object({
  id: z.string(),
  messages: z.array(z.unknown()).min(1),
  trigger: z.enum(["submit-message", "regenerate-message"]).optional(),
  messageId: z.string().nullish(),
  /** Client tools for a new turn (SPEC §13), as `[{name, description, parameters}]`. */
  clientTools: z.array(z.unknown()).optional(),
});

export function aiSdkRoute(deps: ProtocolRouteDeps): Route {
  const { protocols, config } = deps;
  const allowedOrigin = originPolicy(config);

  const post = async (req: IncomingMessage, res: ServerResponse, actor: Actor) => {
    const parsed = ChatRequest.safeParse(await readJson(req, config.MAX_BODY_BYTES));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "body";
      throw validation(field, `Invalid chat request: ${field}: ${issue?.message ?? "invalid"}`);
    }
    const checked = await safeValidateUIMessages({ messages: parsed.data.messages });
    // The library's message quotes the whole value: keep the answer short.
    if (!checked.success) throw validation("messages", `Invalid UI messages: ${checked.error.message.slice(0, 500)}`);
    const messages = checked.data as UIMessage[];
    const newest = newestUserMessage(messages);
    const answers = toolAnswersOf(messages);

    protocols.checkClientTools(parsed.data.clientTools ?? [], "clientTools");
    const sessionId = await protocols.sessionFor(actor, parsed.data.id, "id", true);
    // Answers first: a new user message would end the waiting turn (SPEC §11).
    const answered = await protocols.answer(actor, sessionId, answers.results, answers.decisions);
    // A message stored before (a retried POST) is not posted again.
    const stored = newest && (await protocols.storedTurn(sessionId, newest.id));
    if (newest && !stored) {
      const turn = await protocols.post(actor, sessionId, { ...newest, clientTools: parsed.data.clientTools });
      return streamTurn(protocols, deps.logger, actor, res, sessionId, turn, { waitsFrom: 0 });
    }
    if (answered.turn) {
      // The answers continue the assistant message; if calls are left open the turn still waits, and so does the stream.
      const endAt = answered.waiting.length > 0 ? answered.after : undefined;
      return streamTurn(protocols, deps.logger, actor, res, sessionId, answered.turn, { waitsFrom: 0, continueAfter: new Set(answered.answered), endAt });
    }
    // A resent answer: the same continuation again, from the wait it answered.
    const resent = await protocols.lastWaitedCall(sessionId, answers.ids);
    if (resent) return streamTurn(protocols, deps.logger, actor, res, sessionId, resent, { waitsFrom: 0, continueAfter: new Set([resent.toolCallId]), ...(await waitsNow(protocols, actor, sessionId, resent)) });
    // A resent user message: its turn again, from the start.
    await streamTurn(protocols, deps.logger, actor, res, sessionId, stored || null, stored ? await scopeNow(protocols, actor, sessionId, stored) : { waitsFrom: 0 });
  };

  const resume = async (res: ServerResponse, actor: Actor, chatId: string) => {
    const sessionId = await protocols.sessionFor(actor, chatId, "id", false);
    const turn = await protocols.unfinishedTurn(sessionId);
    if (!turn) {
      res.writeHead(204).end();
      return;
    }
    await streamTurn(protocols, deps.logger, actor, res, sessionId, turn, await scopeNow(protocols, actor, sessionId, turn));
  };

  return async (req, res, path) => {
    const resumeMatch = RESUME_PATH.exec(path);
    if (path !== AI_SDK_CHAT_PATH && !resumeMatch) return false;
    try {
      const method = resumeMatch ? "GET" : "POST";
      if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
        sendMethodNotAllowed(res, req.method, path, [method], { logger: deps.logger, where: `${req.method} ${path}` });
        return true;
      }
      if (method === "POST" && refusedOrigin(req, allowedOrigin)) {
        throw new AppError("FORBIDDEN", "Cross-site request refused: send it from this server's own pages, or from a client that is not a browser");
      }
      const actor = await deps.actorFor(req);
      if (resumeMatch) await resume(res, actor, decodePathSegment(resumeMatch.groups!.id!));
      else await post(req, res, actor);
    } catch (error) {
      sendRestError(res, error, { logger: deps.logger, where: `${req.method} ${path}` });
    }
    return true;
  };
}

/** A whole turn streamed now: the waits it is past do not end the stream; the one it is in (if any) does. */
async function scopeNow(protocols: ProtocolService, actor: Actor, sessionId: string, turn: TurnStart): Promise<StreamScope> {
  return { waitsFrom: (await protocols.head(actor, sessionId)) + 1, ...(await waitsNow(protocols, actor, sessionId, turn)) };
}

/** `endAt` the session's head when `turn` is waiting now. */
async function waitsNow(protocols: ProtocolService, actor: Actor, sessionId: string, turn: TurnStart): Promise<{ endAt?: number }> {
  const head = await protocols.head(actor, sessionId);
  return (await protocols.waitingTurn(actor, sessionId)) === turn.turnId ? { endAt: head } : {};
}

/** Streams one turn from its input message, replayed then live; nothing to stream → an empty assistant message. */
async function streamTurn(
  protocols: ProtocolService,
  logger: Logger,
  actor: Actor,
  res: ServerResponse,
  sessionId: string,
  turn: TurnStart | null,
  scope: StreamScope,
): Promise<void> {
  const events = turn ? await protocols.events(actor, sessionId, turn.startSequence) : null;
  // Leaving ends only this response: the turn runs on (only cancelTurn stops it).
  res.once("close", () => void events?.return?.());
  const stream = createUIMessageStream({
    execute: async ({ writer }) => {
      if (!events || !turn) {
        writer.write({ type: "start" });
        writer.write({ type: "finish", finishReason: "stop" });
        return;
      }
      const mapper = new AiSdkTurnMapper(turn, scope);
      for await (const event of events as AsyncIterable<LogEvent>) {
        for (const chunk of mapper.map(event)) writer.write(chunk);
        if (mapper.finished) break;
      }
    },
    onError: (error) => streamErrorMessage(error, res, { logger, where: "an AI SDK stream" }),
  });
  await pipeUIMessageStreamToResponse({ response: res, stream, keepAliveMs: HEARTBEAT_MS });
}

/** A percent-encoded path segment; a malformed escape is the client's error, not a 500. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AppError("BAD_REQUEST", "The chat id in the path is not valid percent-encoded UTF-8");
  }
}
