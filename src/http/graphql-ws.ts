// graphql-transport-ws on /graphql, on the same server as HTTP: the upgrade
// (origin check), the key in connection_init (4403 when missing or bad, and
// again when it is revoked later), the per-connection operation cap, and each
// operation run through yoga's enveloped parse/validate/context/execute, so
// plugins (limits, error shaping, metrics) hold here as over HTTP.
//
// graphql-ws' protocol (makeServer) runs on our own wiring of ws instead of
// its useServer: a sessionEvents subscription that a shared live channel can
// serve is handed to the channel (src/http/graphql-shared.ts) before
// graphql-ws sees it, so an idle subscriber costs one small object, not an
// operation of graphql-ws (its frame, closures and generator) and ours. One
// keep-alive timer pings every socket; each connection is one object whose
// methods are shared.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { CloseCode, handleProtocols, makeServer, MessageType, type Context, type OperationResult } from "graphql-ws";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { AppError } from "../errors.js";
import type { Actor } from "../service/context.js";
import type { GraphQLContext } from "../graphql/context.js";
import { errorCodesOf, type OperationNote } from "../graphql/observability.js";
import type { Logger } from "../log.js";
import { GRAPHQL_PATH, graphqlError } from "./errors.js";
import type { GraphQLDeps, GraphQLServer } from "./graphql.js";
import { originPolicy, refusedOrigin } from "./origin.js";
import { hostPolicy } from "./host-guard.js";
import { SharedMember, type MemberHost, type OperationLog } from "./graphql-ws-shared.js";
import { joinSharedChannel, type SharedDeps } from "./graphql-shared.js";
import { subscriptionStarted } from "./metrics.js";

/** The graphql-ws close code for a missing or bad key (SPEC §7). */
export const WS_FORBIDDEN = 4403;
/** The close code for a socket whose stream subscriber stopped reading ("Try Again Later": resubscribe with `after`). */
export const WS_TOO_SLOW = 1013;
/** Every socket is pinged this often; one that has not answered the previous ping is dropped (graphql-ws' useServer default). */
const KEEP_ALIVE_MS = 12_000;
/** A socket that has not sent connection_init by then is closed with 4408 (graphql-ws' default). */
const INIT_WAIT_MS = 3_000;
/** Request headers only the upgrade needed: not kept with the connection. */
const UPGRADE_HEADERS = new Set(["connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"]);

/**
 * A random UUID as one flat string: randomUUID() concatenates it from ~20
 * pieces, which V8 keeps as a tree of strings (~0.5 KiB) for as long as the
 * id lives, i.e. per connection and per idle subscriber.
 */
const flatUuid = (): string => Buffer.from(randomUUID(), "latin1").toString("latin1");

/** The root value of a graphql-ws operation: yoga's enveloped executors. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

/** One socket: what graphql-ws' makeServer talks to (its WebSocket), and what its operations need of it. */
class Connection implements MemberHost {
  readonly connectionId = flatUuid();
  readonly opened = performance.now();
  /** Its operations by graphql-ws id: ordinary ones and shared members. */
  readonly operations = new Map<string, OperationLog>();
  /** graphql-ws' state of the socket, from connection_init on. */
  ctx: Context<Record<string, unknown> | undefined, Connection> | undefined;
  /** graphql-ws' message handler, and what to tell it when the socket closes. */
  receive: ((data: string) => Promise<void>) | undefined;
  closed: ((code?: number, reason?: string) => Promise<void>) | undefined;
  /** Answered the last ping. */
  alive = true;
  /** Until connection_init comes. */
  initWait: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;

  readonly headers: IncomingHttpHeaders = {};

  constructor(
    readonly socket: WebSocket,
    headers: IncomingHttpHeaders,
    private readonly hub: Hub,
  ) {
    for (const [name, value] of Object.entries(headers)) if (!UPGRADE_HEADERS.has(name)) this.headers[name] = value;
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  get logger(): Logger {
    return this.hub.logger;
  }

  /** Aborts when the socket closes (ends a wait-mode mutation); made for the operations that ask. */
  get signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.socket.readyState >= this.socket.CLOSING) this.abort.abort();
    }
    return this.abort.signal;
  }

  send(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(receive: (data: string) => Promise<void>): void {
    this.receive = receive;
  }

  /**
   * A subscriber too slow to keep up: the socket closes with WS_TOO_SLOW and
   * the reason (which names the `after` to resume from); one that does not
   * read even the close frame is dropped by ws after its close timeout (30 s).
   */
  cutOff(error: AppError): void {
    this.logger.warn({ connectionId: this.connectionId, reason: error.message }, "graphql-ws subscriber cut off");
    this.socket.close(WS_TOO_SLOW, error.message.slice(0, 120));
  }

  /** Ends an operation's record with one log line (once, whichever of complete and error comes). */
  finish(id: string, errors: readonly { extensions?: Record<string, unknown> }[] = []): void {
    const operation = this.operations.get(id);
    if (!operation) return;
    this.operations.delete(id);
    const { started, requestId, operationName, operationType, errorCodes, running } = operation;
    errorCodes.push(...errorCodesOf(errors));
    this.logger.info({ connectionId: this.connectionId, requestId, operationName, operationType, errorCodes, running, ms: Math.round(performance.now() - started) }, "graphql-ws operation");
  }

  /** Operations the socket has running (WS_MAX_SUBSCRIPTIONS caps them). */
  running(): number {
    let n = 0;
    for (const operation of this.operations.values()) if (operation.running) n++;
    return n;
  }

  /** The socket went: its shared members leave, graphql-ws ends the rest. */
  async gone(code: number, reason: string): Promise<void> {
    clearTimeout(this.initWait);
    this.abort?.abort();
    for (const operation of this.operations.values()) if (operation instanceof SharedMember) operation.stop();
    await this.closed?.(code, reason);
    for (const id of [...this.operations.keys()]) this.finish(id); // still running when the socket went
  }
}

/** What every connection of one server shares. */
interface Hub {
  logger: Logger;
}

export function mountGraphQLWs(deps: GraphQLDeps, yoga: GraphQLServer, server: Server): { close(): Promise<void> } {
  const { config, logger } = deps;
  const allowedOrigin = originPolicy(config);
  const hostAllowed = hostPolicy(config);
  const hub: Hub = { logger };
  const sharedDeps: SharedDeps = {
    services: deps.services,
    logger,
    imageLinks: deps.imageLinks,
    actorFor: (req) => deps.auth.actorFor(req as never),
    started: () => subscriptionStarted(deps.metrics),
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.MAX_BODY_BYTES, handleProtocols });
  const connections = new WeakMap<WebSocket, Connection>();

  const protocol = makeServer<Record<string, unknown> | undefined, Connection>({
    execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
    subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
    // The key travels in the connection_init payload, not in the upgrade's headers;
    // a missing or bad one closes the socket with 4403 before any operation.
    connectionInitWaitTimeout: 0, // our own timer, cleared when connection_init comes (graphql-ws keeps its own until the socket closes)
    onConnect: async (ctx) => {
      ctx.extra.ctx = ctx;
      clearTimeout(ctx.extra.initWait);
      ctx.extra.initWait = undefined;
      if (!deps.auth.required) return true;
      const authorization = ctx.connectionParams?.authorization;
      let actor: Actor;
      try {
        actor = await deps.auth.fromAuthorization(authorization);
      } catch {
        ctx.extra.close(WS_FORBIDDEN, "Forbidden");
        return false;
      }
      // A key revoked later also ends the sockets it opened: at once when the
      // revocation is heard (PostgreSQL), else within AUTH_RECHECK_MS.
      const socket = ctx.extra.socket;
      const forbid = () => socket.close(WS_FORBIDDEN, "Forbidden");
      const recheck = setInterval(() => {
        deps.auth.fromAuthorization(authorization).catch((error: unknown) => {
          if (error instanceof AppError) forbid();
        });
      }, config.AUTH_RECHECK_MS);
      recheck.unref();
      const unwatch = deps.services.events.onRevoked(actor, forbid);
      socket.once("close", () => {
        clearInterval(recheck);
        unwatch();
      });
      return true;
    },
    onComplete: (ctx, id) => ctx.extra.finish(id),
    // Whatever graphql-ws sends as an `error` message goes through the one responder (no `extensions.http`).
    onError: (ctx, id, _payload, errors) => {
      const requestId = ctx.extra.operations.get(id)?.requestId ?? randomUUID();
      const shaped = errors.map((error) => graphqlError(error, { logger, requestId, where: "a graphql-ws operation" }));
      ctx.extra.finish(id, shaped);
      return shaped;
    },
    onNext: (ctx, id, _payload, _args, result) => {
      const operation = ctx.extra.operations.get(id);
      if (!result.errors?.length) return;
      operation?.errorCodes.push(...errorCodesOf(result.errors));
      return { ...result, errors: result.errors.map((error) => graphqlError(error, { logger, requestId: operation?.requestId ?? "", where: "a graphql-ws operation" })) };
    },
    onSubscribe: async (ctx, id, payload) => {
      const connection = ctx.extra;
      const requestId = flatUuid();
      const operation: OperationLog = { requestId, operationName: payload.operationName ?? null, operationType: "unknown", errorCodes: [], started: performance.now(), running: false };
      connection.operations.set(id, operation);
      if (connection.running() >= config.WS_MAX_SUBSCRIPTIONS) {
        return [new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS} operations per connection`, { extensions: { code: "RATE_LIMITED", status: 429 } })];
      }
      // The slot is taken before the first await, so a burst of frames cannot all pass the check; a refusal below frees it (onError → finish).
      operation.running = true;
      const scene = { logger, requestId, where: "a graphql-ws operation" };
      const enveloped = envelop(ctx, payload, requestId, operation, connection.signal);
      // graphql-armor's limits throw from parse (tokens) and validate (depth,
      // aliases): answer them as the operation's errors, as over HTTP, instead
      // of letting graphql-ws close the whole socket with 4500.
      let document;
      let errors: readonly GraphQLError[];
      try {
        document = enveloped.parse(payload.query);
        errors = enveloped.validate(enveloped.schema, document);
      } catch (error) {
        return [graphqlError(error, scene)];
      }
      if (errors.length > 0) return errors.map((error) => graphqlError(error, scene));
      let contextValue: GraphQLContext;
      try {
        contextValue = await enveloped.contextFactory();
      } catch (error) {
        return [graphqlError(error, scene)]; // e.g. the key was revoked since connection_init
      }
      return {
        schema: enveloped.schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue,
        rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies EnvelopedRoot,
      };
    },
  });

  /** yoga's enveloped instance for one operation (its plugins see the socket's headers, with the connection_init key as `authorization`). */
  const envelop = (ctx: Context<Record<string, unknown> | undefined, Connection>, payload: { query: string }, requestId: string, operation: OperationLog, signal?: AbortSignal) => {
    const connection = ctx.extra;
    const authorization = ctx.connectionParams?.authorization;
    const headers = { ...connection.headers, authorization: typeof authorization === "string" ? authorization : undefined };
    return yoga.getEnveloped({
      ...ctx,
      req: { headers },
      socket: connection.socket,
      params: payload,
      requestId,
      note: (note: OperationNote) => Object.assign(operation, note),
      signal,
      cutOff: (error: AppError) => connection.cutOff(error),
    });
  };

  /**
   * A subscribe message a shared channel may serve: parsed and validated
   * through yoga's plugins as any other, then joined. True when it is handled
   * here; false hands it to graphql-ws (which answers any error it has).
   */
  const subscribeShared = async (connection: Connection, id: string, payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }): Promise<boolean> => {
    if (connection.running() >= config.WS_MAX_SUBSCRIPTIONS) return false;
    const member = new SharedMember(connection, id, flatUuid(), payload.operationName ?? null);
    // No signal: a subscription on a channel never waits on the socket (a wait-mode mutation does).
    const enveloped = envelop(connection.ctx!, payload, member.requestId, member);
    let document;
    try {
      document = enveloped.parse(payload.query);
      if (enveloped.validate(enveloped.schema, document).length > 0) return false;
    } catch {
      return false;
    }
    connection.operations.set(id, member); // its slot, before the first await
    const authorization = connection.ctx!.connectionParams?.authorization;
    const headers = { ...connection.headers, authorization: typeof authorization === "string" ? authorization : undefined };
    try {
      if (await joinSharedChannel(sharedDeps, { schema: enveloped.schema, document, query: payload.query, operationName: payload.operationName, variables: payload.variables, headers }, member)) return true;
    } catch (error) {
      logger.error({ err: error, requestId: member.requestId }, "graphql-ws shared subscription failed to start");
    }
    if (connection.operations.get(id) !== member) return true; // completed (or its socket closed) while it was checked
    connection.operations.delete(id);
    return false;
  };

  /** Every message of a socket: a shared member's subscribe and complete are ours, the rest is graphql-ws'. */
  async function onMessage(this: WebSocket, raw: RawData) {
    const connection = connections.get(this);
    if (!connection?.receive) return;
    const data = String(raw);
    try {
      const message = peek(data);
      if (message?.type === MessageType.Complete) {
        const member = connection.operations.get(message.id);
        if (member instanceof SharedMember) return member.stop();
      }
      if (message?.type === MessageType.Subscribe && connection.ctx?.acknowledged && message.payload.query.includes("sessionEvents")) {
        if (connection.operations.has(message.id)) return connection.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${message.id} already exists`);
        if (await subscribeShared(connection, message.id, message.payload)) return;
      }
      await connection.receive(data);
    } catch (error) {
      logger.error({ err: error, connectionId: connection.connectionId }, "graphql-ws message failed");
      connection.close(CloseCode.InternalServerError, "Internal server error");
    }
  }

  function onPong(this: WebSocket) {
    const connection = connections.get(this);
    if (connection) connection.alive = true;
  }

  // A frame over maxPayload or bad framing: the client's mistake is one warning line (ws has already closed the socket, 1009, 1002).
  function onError(this: WebSocket, error: Error & { code?: string }) {
    logger.warn({ connectionId: connections.get(this)?.connectionId, code: error.code, reason: error.message }, "graphql-ws socket error");
  }

  function onClose(this: WebSocket, code: number, reason: Buffer) {
    const connection = connections.get(this);
    if (!connection) return;
    deps.metrics.wsConnections.dec();
    void connection.gone(code, reason.toString()).finally(() => {
      logger.info({ connectionId: connection.connectionId, code, reason: reason.toString().slice(0, 120), ms: Math.round(performance.now() - connection.opened) }, "graphql-ws closed");
    });
  }

  wss.on("connection", (socket: WebSocket, req: IncomingMessage) => {
    const connection = new Connection(socket, req.headers, hub);
    connections.set(socket, connection);
    deps.metrics.wsConnections.inc();
    logger.info({ connectionId: connection.connectionId, remoteAddress: req.socket.remoteAddress, origin: req.headers.origin }, "graphql-ws connected");
    socket.on("message", onMessage);
    socket.on("pong", onPong);
    socket.on("error", onError);
    socket.on("close", onClose); // ws emits it once
    connection.closed = protocol.opened(connection, connection);
    connection.initWait = setTimeout(() => connection.close(CloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout"), INIT_WAIT_MS);
  });

  const keepAlive = setInterval(() => {
    for (const socket of wss.clients) {
      const connection = connections.get(socket);
      if (!connection || socket.readyState !== socket.OPEN) continue;
      if (!connection.alive) {
        socket.terminate();
        continue;
      }
      connection.alive = false;
      socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== GRAPHQL_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    // Cross-site WebSocket hijacking: WebSockets ignore CORS, so a socket opened
    // by a page ALLOWED_ORIGINS does not let in is refused here.
    if (refusedOrigin(req, allowedOrigin) || !hostAllowed(req)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  };
  server.on("upgrade", onUpgrade);

  return {
    async close() {
      server.off("upgrade", onUpgrade);
      clearInterval(keepAlive);
      for (const socket of wss.clients) socket.close(1001, "Going away");
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The type and id of a subscribe or complete message (with the subscribe's query), else null; graphql-ws validates every message itself. */
function peek(data: string): { type: MessageType.Complete; id: string } | { type: MessageType.Subscribe; id: string; payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null } } | null {
  if (!data.includes('"subscribe"') && !data.includes('"complete"')) return null;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof message !== "object" || message === null) return null;
  const { type, id, payload } = message as { type?: unknown; id?: unknown; payload?: { query?: unknown; operationName?: unknown; variables?: unknown } };
  if (typeof id !== "string" || !id) return null;
  if (type === MessageType.Complete) return { type, id };
  if (type !== MessageType.Subscribe || typeof payload?.query !== "string") return null;
  const { operationName, variables } = payload;
  if (operationName != null && typeof operationName !== "string") return null;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return null;
  return { type, id, payload: { query: payload.query, operationName: operationName as string | null | undefined, variables: variables as Record<string, unknown> | null | undefined } };
}
