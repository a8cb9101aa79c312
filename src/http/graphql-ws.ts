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
import type { GraphQLContext } from "../graphql/context.js";
import { GRAPHQL_PATH, graphqlError } from "./errors.js";
import type { GraphQLDeps, GraphQLServer } from "./graphql.js";
import { originPolicy, refusedOrigin } from "./origin.js";

/** The graphql-ws close code for a missing or bad key (SPEC §7). */
export const WS_FORBIDDEN = 4403;

/** The root value of a graphql-ws operation: yoga's enveloped executors. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

export function mountGraphQLWs(deps: GraphQLDeps, yoga: GraphQLServer, server: Server): { close(): Promise<void> } {
  const { config, logger } = deps;
  const allowedOrigin = originPolicy(config);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.MAX_BODY_BYTES });
  wss.on("connection", (socket) => {
    deps.metrics.wsConnections.inc();
    socket.once("close", () => deps.metrics.wsConnections.dec());
  });
  /** Live operations per socket, to cap them (WS_MAX_SUBSCRIPTIONS). */
  const operations = new WeakMap<object, Set<string>>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== GRAPHQL_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    // Cross-site WebSocket hijacking: WebSockets ignore CORS, so a socket opened
    // by a page ALLOWED_ORIGINS does not let in is refused here.
    if (refusedOrigin(req, allowedOrigin)) {
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
        try {
          await deps.auth.fromAuthorization(authorization);
        } catch {
          ctx.extra.socket.close(WS_FORBIDDEN, "Forbidden");
          return false;
        }
        // A key revoked later also ends the sockets it opened, within AUTH_RECHECK_MS.
        const socket = ctx.extra.socket;
        const recheck = setInterval(() => {
          deps.auth.fromAuthorization(authorization).catch((error: unknown) => {
            if (error instanceof AppError) socket.close(WS_FORBIDDEN, "Forbidden");
          });
        }, config.AUTH_RECHECK_MS);
        recheck.unref();
        socket.once("close", () => clearInterval(recheck));
        return true;
      },
      onComplete: (ctx, id) => void operations.get(ctx.extra.socket)?.delete(id),
      // Whatever graphql-ws itself sends as an `error` message goes through the one responder too.
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => graphqlError(error, { logger, requestId: randomUUID(), where: "a graphql-ws operation" })),
      onSubscribe: async (ctx, id, payload) => {
        let live = operations.get(ctx.extra.socket);
        if (!live) operations.set(ctx.extra.socket, (live = new Set()));
        if (live.size >= config.WS_MAX_SUBSCRIPTIONS) {
          return [new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS} operations per connection`, { extensions: { code: "RATE_LIMITED", status: 429 } })];
        }
        const authorization = ctx.connectionParams?.authorization;
        const headers = { ...ctx.extra.request.headers, authorization: typeof authorization === "string" ? authorization : undefined };
        const requestId = randomUUID();
        const scene = { logger, requestId, where: "a graphql-ws operation" };
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: { headers },
          socket: ctx.extra.socket,
          params: payload,
          requestId,
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
        let contextValue: GraphQLContext;
        try {
          contextValue = await enveloped.contextFactory();
        } catch (error) {
          return [graphqlError(error, scene)]; // e.g. the key was revoked since connection_init
        }
        live.add(id); // from here on graphql-ws calls onComplete for this id
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

  return {
    async close() {
      server.off("upgrade", onUpgrade);
      await wsServer.dispose(); // closes every socket with 1001 Going Away
    },
  };
}
