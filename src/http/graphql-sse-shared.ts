// sessionEvents over GraphQL SSE (yoga's graphql-sse "distinct connections"
// mode, POST or GET on /graphql) on a shared live channel
// (src/http/graphql-shared.ts): a request a channel can serve is answered
// here, before yoga runs it, with the wire format yoga writes (`:` ping,
// `event: next` / `event: complete`); each live event's frame is made once and
// the same bytes are written to every member's response. Anything else — a
// body or document this does not read, a failing check, another operation —
// goes to yoga, which answers exactly as before (a POST's body is handed over
// already read).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExecutionResult } from "graphql";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Channel, MemberEnd, SharedFrame } from "../service/live-channels.js";
import { CUT_OFF_GRACE_MS } from "../service/stream-bounds.js";
import { readBody } from "./body.js";
import { graphqlError } from "./errors.js";
import { joinSharedChannel, type GraphQLMember, type SharedDeps } from "./graphql-shared.js";
import type { GraphQLServer, ServerContext } from "./graphql.js";
import type { OriginPolicy } from "./origin.js";
import { requestIdOf } from "./request-id.js";
import { noteOnRequestLog } from "./request-log.js";

/** yoga's keep-alive ping interval on SSE. */
const PING_MS = 12_000;
const COMPLETE = "event: complete\ndata:\n\n";

interface Params {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What every GraphQL SSE member of one server shares: one ping timer for all. */
class SseHub {
  readonly open = new Set<SseMember>();
  private readonly ping = setInterval(() => {
    for (const member of this.open) if (member.buffered() === 0) member.res.write(":\n\n");
  }, PING_MS).unref();

  constructor(readonly logger: Logger) {}

  close(): void {
    clearInterval(this.ping);
  }
}

/** A GraphQL SSE subscriber on a shared channel: its response, its cursor and its request id. */
class SseMember implements GraphQLMember {
  readonly where = "a GraphQL SSE subscription";
  sent = Number.MAX_SAFE_INTEGER;
  stopped = false;
  channel: Channel<SharedFrame> | undefined;
  private started = false;
  /** Wakes a replay waiting for the response to drain, when the stream ends. */
  private wake: (() => void) | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly requestId: string,
    private readonly hub: SseHub,
    private readonly headers: Record<string, string>,
  ) {}

  /** The answer's head and yoga's opening ping (some browsers stall until a first byte), once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, this.headers);
    this.res.write(":\n\n");
    if (!this.stopped) this.hub.open.add(this);
  }

  buffered(): number {
    return this.res.writableLength;
  }

  send(frame: SharedFrame): void {
    this.start();
    this.res.write((frame.sse ??= Buffer.from(`event: next\ndata: ${frame.text}\n\n`)));
  }

  async write(result: ExecutionResult): Promise<void> {
    this.start();
    if (this.res.write(`event: next\ndata: ${JSON.stringify(result)}\n\n`) || this.stopped) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.wake = undefined;
        resolve();
      };
      this.res.once("drain", done);
      this.wake = done;
    });
  }

  /** The channel ended it: a failure or a cut-off answers its error first (yoga's masked result), then `complete`. */
  end(why: MemberEnd): void {
    if (this.stopped) return;
    this.stop();
    this.start();
    if (why.kind === "cut-off") this.hub.logger.warn({ requestId: this.requestId, reason: why.error.message }, "GraphQL SSE subscriber cut off");
    if (why.kind !== "complete") {
      const error = graphqlError(why.error, { logger: this.hub.logger, requestId: this.requestId, where: `${this.where} stream` });
      this.res.write(`event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\n`);
    }
    this.res.end(COMPLETE);
    // A reader that does not take even the last frames is dropped, freeing what its socket holds.
    if (!this.res.writableFinished) {
      const drop = setTimeout(() => this.res.destroy(), CUT_OFF_GRACE_MS).unref();
      this.res.once("close", () => clearTimeout(drop));
    }
  }

  /** The client went (or the stream ended): it leaves the channel, nothing more is sent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.hub.open.delete(this);
    this.channel?.leave(this);
    this.wake?.();
  }
}

export interface SharedSseDeps extends SharedDeps {
  config: Pick<Config, "MAX_BODY_BYTES">;
  allowedOrigin: OriginPolicy;
}

export interface SharedSse {
  /** Answers a GraphQL SSE request a shared channel can serve; false for the rest (yoga's). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): void;
}

export function sharedSse(deps: SharedSseDeps, yoga: GraphQLServer): SharedSse {
  const hub = new SseHub(deps.logger);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const params = await sseParams(req, deps.config.MAX_BODY_BYTES);
    if (!params?.query.includes("sessionEvents")) return false;
    const requestId = requestIdOf(res);
    const enveloped = yoga.getEnveloped({ req, params, requestId, note: (note) => noteOnRequestLog(res, note) } satisfies ServerContext & { params: Params });
    let document;
    try {
      document = enveloped.parse(params.query);
      if (enveloped.validate(enveloped.schema, document).length > 0) return false;
    } catch {
      return false; // yoga answers the same refusal, shaped as always
    }
    const member = new SseMember(res, requestId, hub, responseHeaders(req, deps.allowedOrigin));
    res.once("close", () => member.stop());
    try {
      if (!(await joinSharedChannel(deps, { schema: enveloped.schema, document, query: params.query, operationName: params.operationName, variables: params.variables, headers: req.headers }, member))) return false;
    } catch (error) {
      deps.logger.error({ err: error, requestId }, "GraphQL SSE shared subscription failed to start");
      return false;
    }
    member.start();
    return true;
  };

  return { handle, close: () => hub.close() };
}

/** yoga's SSE headers, and the CORS headers yoga's cors option grants an allowed origin. */
function responseHeaders(req: IncomingMessage, allowedOrigin: OriginPolicy): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "text/event-stream", connection: "keep-alive", "cache-control": "no-cache", "content-encoding": "none" };
  const origin = req.headers.origin;
  if (origin && allowedOrigin(origin)) Object.assign(headers, { "access-control-allow-origin": origin, "access-control-allow-credentials": "true" });
  return headers;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The operation of a request yoga would answer over SSE and that passes its
 * CSRF check as it is — a POST of application/json, or a GET with the CSRF
 * header — else null. A POST's body read here is left as `req.body` for yoga.
 */
async function sseParams(req: IncomingMessage & { body?: Buffer }, maxBytes: number): Promise<Params | null> {
  const accept = req.headers.accept?.split(",").map((type) => type.split(";")[0]!.trim());
  if (!accept?.length || accept.some((type) => type !== "text/event-stream")) return null;
  let raw: Record<string, unknown>;
  try {
    if (req.method === "GET") {
      if (req.headers["x-graphql-yoga-csrf"] === undefined) return null;
      const search = new URL(req.url ?? "/", "http://localhost").searchParams;
      const variables = search.get("variables");
      if (search.has("extensions")) return null;
      raw = { query: search.get("query"), operationName: search.get("operationName"), variables: variables === null ? null : JSON.parse(variables) };
    } else if (req.method === "POST") {
      if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) return null;
      if (req.body === undefined) {
        const declared = Number(req.headers["content-length"]);
        if (!(declared > 0 && declared <= maxBytes)) return null;
        req.body = await readBody(req, maxBytes);
      }
      raw = JSON.parse(utf8.decode(req.body));
    } else return null;
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const { query, operationName, variables, extensions } = raw;
  if (typeof query !== "string" || extensions != null) return null;
  if (operationName != null && typeof operationName !== "string") return null;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return null;
  return { query, operationName: operationName as string | null, variables: variables as Record<string, unknown> | null };
}
