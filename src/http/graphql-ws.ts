// graphql-transport-ws on /graphql, on the same server as HTTP: the upgrade
// (origin check), the key in connection_init (4403 when missing or bad, and
// again when it is revoked later), the per-connection operation cap, and each
// operation run through yoga's enveloped parse/validate/context/execute, so
// plugins (limits, error shaping, metrics) hold here as over HTTP.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, type ExecutionArgs } from "graphql";
import type { OperationResult } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { AppError } from "../errors.js";
import type { Actor } from "../service/context.js";
import type { GraphQLContext } from "../graphql/context.js";
import { errorCodesOf, type OperationNote } from "../graphql/observability.js";
import { GRAPHQL_PATH, graphqlError } from "./errors.js";
import type { GraphQLDeps, GraphQLServer } from "./graphql.js";
import { originPolicy, refusedOrigin } from "./origin.js";
import { hostPolicy } from "./host-guard.js";
import { sharedSessionEvents } from "./graphql-ws-shared.js";

/** The graphql-ws close code for a missing or bad key (SPEC §7). */
export const WS_FORBIDDEN = 4403;
/** The close code for a socket whose stream subscriber stopped reading ("Try Again Later": resubscribe with `after`). */
export const WS_TOO_SLOW = 1013;

/** One operation's log line, filled in as it runs. */
interface OperationLog extends OperationNote {
  requestId: string;
  errorCodes: string[];
  started: number;
  /** Counted against WS_MAX_SUBSCRIPTIONS (refused ones are not). */
  running: boolean;
}

/** The root value of a graphql-ws operation: yoga's enveloped executors. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

/** A shared subscription never executes through its root (it is a subscription). */
const unreachable = (): never => {
  throw new Error("a shared subscription has no execute");
};

export function mountGraphQLWs(deps: GraphQLDeps, yoga: GraphQLServer, server: Server): { close(): Promise<void> } {
  const { config, logger } = deps;
  const allowedOrigin = originPolicy(config);
  const hostAllowed = hostPolicy(config);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.MAX_BODY_BYTES });
  /** Each socket's id (in its log lines), its operations by graphql-ws id, and a signal that aborts when it closes (ends a wait-mode mutation). */
  const connections = new WeakMap<object, { connectionId: string; operations: Map<string, OperationLog>; closed: AbortController }>();
  wss.on("connection", (socket, req: IncomingMessage) => {
    const connectionId = randomUUID();
    const opened = performance.now();
    const closed = new AbortController();
    connections.set(socket, { connectionId, operations: new Map(), closed });
    deps.metrics.wsConnections.inc();
    logger.info({ connectionId, remoteAddress: req.socket.remoteAddress, origin: req.headers.origin }, "graphql-ws connected");
    socket.once("close", (code, reason) => {
      closed.abort();
      deps.metrics.wsConnections.dec();
      for (const id of connections.get(socket)?.operations.keys() ?? []) finish(socket, id); // still running when the socket went
      logger.info({ connectionId, code, reason: reason.toString().slice(0, 120), ms: Math.round(performance.now() - opened) }, "graphql-ws closed");
    });
  });
  /** Ends an operation's record with one log line (once, whichever of complete and error comes). */
  const finish = (socket: object, id: string, errors: readonly { extensions?: Record<string, unknown> }[] = []) => {
    const connection = connections.get(socket);
    const operation = connection?.operations.get(id);
    if (!connection || !operation) return;
    connection.operations.delete(id);
    const { started, ...fields } = operation;
    fields.errorCodes.push(...errorCodesOf(errors));
    logger.info({ connectionId: connection.connectionId, ...fields, ms: Math.round(performance.now() - started) }, "graphql-ws operation");
  };
  /**
   * A subscriber too slow to keep up: the socket closes with WS_TOO_SLOW and
   * the reason (which names the `after` to resume from); one that does not
   * read even the close frame is dropped by ws after its close timeout (30 s).
   */
  const cutOff = (socket: import("ws").WebSocket, error: AppError) => {
    logger.warn({ connectionId: connections.get(socket)?.connectionId, reason: error.message }, "graphql-ws subscriber cut off");
    socket.close(WS_TOO_SLOW, error.message.slice(0, 120));
  };
  /** Operations the socket has running (WS_MAX_SUBSCRIPTIONS caps them). */
  const running = (socket: object) => [...(connections.get(socket)?.operations.values() ?? [])].filter((op) => op.running).length;
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

  const wsServer = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // The key travels in the connection_init payload, not in the upgrade's headers;
      // a missing or bad one closes the socket with 4403 before any operation.
      onConnect: async (ctx) => {
        if (!deps.auth.required) return true;
        const authorization = ctx.connectionParams?.authorization;
        let actor: Actor;
        try {
          actor = await deps.auth.fromAuthorization(authorization);
        } catch {
          ctx.extra.socket.close(WS_FORBIDDEN, "Forbidden");
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
      onComplete: (ctx, id) => finish(ctx.extra.socket, id),
      // Whatever graphql-ws sends as an `error` message goes through the one responder (no `extensions.http`).
      onError: (ctx, id, _payload, errors) => {
        const requestId = connections.get(ctx.extra.socket)?.operations.get(id)?.requestId ?? randomUUID();
        const shaped = errors.map((error) => graphqlError(error, { logger, requestId, where: "a graphql-ws operation" }));
        finish(ctx.extra.socket, id, shaped);
        return shaped;
      },
      onNext: (ctx, id, _payload, _args, result) => {
        const operation = connections.get(ctx.extra.socket)?.operations.get(id);
        if (!result.errors?.length) return;
        operation?.errorCodes.push(...errorCodesOf(result.errors));
        return { ...result, errors: result.errors.map((error) => graphqlError(error, { logger, requestId: operation?.requestId ?? "", where: "a graphql-ws operation" })) };
      },
      onSubscribe: async (ctx, id, payload) => {
        const requestId = randomUUID();
        const operation: OperationLog = { requestId, operationName: payload.operationName ?? null, operationType: "unknown", errorCodes: [], started: performance.now(), running: false };
        connections.get(ctx.extra.socket)?.operations.set(id, operation);
        if (running(ctx.extra.socket) >= config.WS_MAX_SUBSCRIPTIONS) {
          return [new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS} operations per connection`, { extensions: { code: "RATE_LIMITED", status: 429 } })];
        }
        // The slot is taken before the first await, so a burst of frames cannot all pass the check; a refusal below frees it (onError → finish).
        operation.running = true;
        const authorization = ctx.connectionParams?.authorization;
        const headers = { ...ctx.extra.request.headers, authorization: typeof authorization === "string" ? authorization : undefined };
        const scene = { logger, requestId, where: "a graphql-ws operation" };
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: { headers },
          socket: ctx.extra.socket,
          params: payload,
          requestId,
          note: (note: OperationNote) => Object.assign(operation, note),
          signal: connections.get(ctx.extra.socket)?.closed.signal,
          cutOff: (error: AppError) => cutOff(ctx.extra.socket, error),
        });
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
        // sessionEvents on a shared channel: no context, loaders or envelop state of its own.
        const shared = await sharedSessionEvents(
          { services: deps.services, logger, imageLinks: deps.imageLinks, actorFor: (req) => deps.auth.actorFor(req as never) },
          { schema: enveloped.schema, document, query: payload.query, operationName: payload.operationName, variables: payload.variables, headers, socket: ctx.extra.socket, id, requestId, cutOff: (error) => cutOff(ctx.extra.socket, error) },
        );
        if (shared) {
          operation.running = true;
          operation.operationType = "subscription";
          // graphql-ws holds these arguments while the operation runs: nothing of the enveloped instance stays in them.
          const root: EnvelopedRoot = { execute: unreachable, subscribe: () => shared };
          return { schema: enveloped.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: {}, rootValue: root };
        }
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
    },
    wss,
  );

  // graphql-ws' own listener prints a socket's error (a frame over maxPayload,
  // bad framing) to stderr as a stack trace; the client's mistake is one
  // warning line here instead, and ws has already closed the socket (1009, 1002).
  wss.on("connection", (socket) => {
    for (const listener of socket.listeners("error")) socket.off("error", listener as (error: Error) => void);
    socket.on("error", (error: Error & { code?: string }) => {
      logger.warn({ connectionId: connections.get(socket)?.connectionId, code: error.code, reason: error.message }, "graphql-ws socket error");
    });
  });

  return {
    async close() {
      server.off("upgrade", onUpgrade);
      await wsServer.dispose(); // closes every socket with 1001 Going Away
    },
  };
}
