// AG-UI server route (SPEC §13): `POST /v1/ag-ui` takes a RunAgentInput and
// answers the run as AG-UI events over SSE, encoded by @ag-ui/encoder, each
// frame with `id: <sequence>.<n>`. Thin: parse, let the protocol service
// apply the request's tool answers and post its new user message, then
// stream the mapper's frames of the shared event stream.
import type { IncomingMessage, ServerResponse } from "node:http";
import { EventEncoder } from "@ag-ui/encoder";
import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import type { Config } from "../config.js";
import { AppError, validation } from "../errors.js";
import type { Logger } from "../log.js";
import type { Actor } from "../service/context.js";
import type { ProtocolService } from "../service/protocols.js";
import { AguiRunMapper, clientToolsOf, decisionsOf, emptyRun, frameAfter, newestUserMessage, parseFrameId, toolResultsOf, type AguiFrame } from "../protocols/agui.js";
import type { LogEvent } from "../protocols/log-event.js";
import { readJson } from "./body.js";
import { originPolicy, refusedOrigin } from "./origin.js";
import { sendMethodNotAllowed, sendRestError, streamErrorMessage } from "./errors.js";
import type { Route } from "./server.js";
import { HEARTBEAT_MS } from "./sse.js";

export interface ProtocolRouteDeps {
  protocols: ProtocolService;
  config: Config;
  logger: Logger;
  actorFor(req: IncomingMessage): Promise<Actor>;
}

export const AGUI_PATH = "/v1/ag-ui";

export function aguiRoute(deps: ProtocolRouteDeps): Route {
  const { protocols, config } = deps;
  const allowedOrigin = originPolicy(config);

  return async (req, res, path) => {
    if (path !== AGUI_PATH) return false;
    try {
      if (req.method !== "POST") {
        sendMethodNotAllowed(res, req.method, path, ["POST"], { logger: deps.logger, where: `${req.method} ${path}` });
        return true;
      }
      if (refusedOrigin(req, allowedOrigin)) {
        throw new AppError("FORBIDDEN", "Cross-site request refused: send it from this server's own pages, or from a client that is not a browser");
      }
      const actor = await deps.actorFor(req);
      const parsed = RunAgentInputSchema.safeParse(await readJson(req, config.MAX_BODY_BYTES));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join(".") || "body";
        throw validation(field, `Invalid RunAgentInput: ${field}: ${issue?.message ?? "invalid"}`);
      }
      const input = parsed.data;
      const lastEventId = header(req, "last-event-id");
      const cursor = lastEventId ? parseFrameId(lastEventId) : null;

      protocols.checkClientTools(clientToolsOf(input.tools), "tools");
      const sessionId = await protocols.sessionFor(actor, input.threadId, "threadId", true);
      const ids = { threadId: input.threadId, runId: input.runId };
      const known = await protocols.findRun(sessionId, input.runId);
      if (known) {
        // Last-Event-ID resumes a run this runId already named.
        await streamRun(res, deps.logger, protocols, actor, sessionId, new AguiRunMapper({ ...known, ...ids }), known.turnId, cursor);
        return true;
      }
      // Answers first: a new user message would end the waiting turn (SPEC §11).
      const answered = await protocols.answer(actor, sessionId, toolResultsOf(input.messages), decisionsOf(input.resume), true);
      const newest = newestUserMessage(input.messages);
      if (newest && !(await protocols.storedTurn(sessionId, newest.id))) {
        const turn = await protocols.post(actor, sessionId, { ...newest, clientTools: clientToolsOf(input.tools) });
        const run = await protocols.recordRun({ sessionId, runId: input.runId, ...turn });
        await streamRun(res, deps.logger, protocols, actor, sessionId, new AguiRunMapper({ ...run, ...ids }), run.turnId, null);
      } else if (answered.turn && answered.waiting.length > 0) {
        // Calls are left open: the turn still waits, so this run is the answers' events, then that wait.
        const run = { ...ids, turnId: answered.turn.turnId, startSequence: answered.before + 1 };
        await streamRun(res, deps.logger, protocols, actor, sessionId, new AguiRunMapper(run, { sequence: answered.after, waiting: answered.waiting }), run.turnId, null);
      } else if (answered.turn) {
        // The turn goes on: the run is what it does from the answers to its next wait or its end.
        const run = await protocols.recordRun({ sessionId, runId: input.runId, turnId: answered.turn.turnId, startSequence: answered.before + 1 });
        await streamRun(res, deps.logger, protocols, actor, sessionId, new AguiRunMapper({ ...run, ...ids }), run.turnId, null);
      } else {
        const head = await protocols.head(actor, sessionId);
        await streamFrames(res, deps.logger, fromList(emptyRun(input.threadId, input.runId, head, await protocols.waiting(actor, sessionId))));
      }
    } catch (error) {
      sendRestError(res, error, { logger: deps.logger, where: `${req.method} ${path}` });
    }
    return true;
  };
}

/** Streams a run: the turn's events from its input message (the mapper needs the whole turn), replayed then live. */
async function streamRun(
  res: ServerResponse,
  logger: Logger,
  protocols: ProtocolService,
  actor: Actor,
  sessionId: string,
  mapper: AguiRunMapper,
  turnId: string,
  cursor: [number, number] | null,
): Promise<void> {
  const turn = await protocols.turnStart(sessionId, turnId);
  if (!turn) throw new Error(`turn ${turnId} of a recorded run is gone`);
  const events = await protocols.events(actor, sessionId, turn.startSequence);
  await streamFrames(res, logger, runFrames(events, mapper, cursor), () => void events.return?.());
}

async function* fromList(frames: AguiFrame[]): AsyncGenerator<AguiFrame> {
  yield* frames;
}

/** The run's frames (the mapper folds the whole turn); after `cursor` only, RUN_STARTED always. */
async function* runFrames(events: AsyncIterable<LogEvent>, mapper: AguiRunMapper, cursor: [number, number] | null): AsyncGenerator<AguiFrame> {
  for await (const event of events) {
    for (const frame of mapper.map(event)) {
      if (!cursor || frame.event.type === "RUN_STARTED" || frameAfter(frame.id, cursor)) yield frame;
    }
    if (mapper.finished) break;
  }
}

/** Writes frames as SSE (`id:` + the encoder's `data:`), with heartbeats, until they end or the client leaves. */
async function streamFrames(res: ServerResponse, logger: Logger, frames: AsyncGenerator<AguiFrame>, stop: () => void = () => {}): Promise<void> {
  const encoder = new EventEncoder(); // SSE always: frame ids and Last-Event-ID resume are SSE's
  res.writeHead(200, {
    "content-type": encoder.getContentType(),
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS);
  // Leaving ends only this response: the turn runs on (only cancelTurn stops it).
  const onClose = () => stop();
  res.once("close", onClose);
  try {
    for await (const frame of frames) {
      if (res.destroyed) break;
      if (!res.write(`id: ${frame.id}\n${encoder.encodeSSE(frame.event)}`)) {
        await new Promise((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    }
  } catch (error) {
    // Headers are sent: the failure can only end the stream as an AG-UI error.
    const message = streamErrorMessage(error, res, { logger, where: "an AG-UI stream" });
    res.write(encoder.encodeSSE({ type: "RUN_ERROR", message } as never));
  } finally {
    clearInterval(heartbeat);
    res.off("close", onClose);
    res.end();
  }
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === "string" && value.trim() ? value : undefined;
};
