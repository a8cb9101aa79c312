// GraphQL on /graphql: queries and mutations over HTTP, subscriptions over SSE
// (yoga, graphql-sse "distinct connections" mode) and over graphql-ws on the
// same path of the same server. One context factory serves all three.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, type ExecutionArgs } from "graphql";
import type { OperationResult } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type YogaLogger } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Config } from "../config.js";
import { createContext, type GraphQLContext } from "../graphql/context.js";
import { maskError, useErrorShaping } from "../graphql/errors.js";
import { schema } from "../graphql/schema.js";
import type { Logger } from "../log.js";
import type { Services } from "../service/index.js";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import type { Auth } from "./auth.js";
import type { Metrics } from "./metrics.js";
import { useOperationMetrics } from "../graphql/observability.js";
import { graphiqlOptions, renderGraphiQL } from "./graphiql.js";
import type { ImageLinks } from "./image-url.js";
import { requestIdOf } from "./request-id.js";
import { AppError } from "../errors.js";
import { readBody } from "./body.js";
import { sendError } from "./limits.js";
import { originPolicy, refusedOrigin } from "./origin.js";
import { hostPolicy } from "./host-guard.js";
import type { Route } from "./server.js";

export const GRAPHQL_PATH = "/graphql";

export interface GraphQLDeps {
  config: Config;
  logger: Logger;
  services: Services;
  auth: Auth;
  metrics: Metrics;
  imageLinks: ImageLinks;
}

/** The graphql-ws close code for a missing or bad key (SPEC §7). */
export const WS_FORBIDDEN = 4403;

/** What each transport hands yoga besides the request: the caller's headers and the request id. */
interface ServerContext {
  req: { headers: IncomingHttpHeaders };
  requestId: string;
}

/** The root value of a graphql-ws operation: yoga's enveloped executors. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

export function mountGraphQL(deps: GraphQLDeps, server: Server): { route: Route; close(): Promise<void> } {
  const { config, logger, services } = deps;
  const allowedOrigin = originPolicy(config);
  const hostAllowed = hostPolicy(config);

  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: graphiqlOptions(config.AUTH),
    renderGraphiQL,
    maxRequestBodySize: config.MAX_BODY_BYTES,
    // CORS is granted to the origins ALLOWED_ORIGINS lets in (src/http/origin.ts), no others.
    cors: (request) => {
      const origin = request.headers.get("origin");
      return origin && allowedOrigin(origin) ? { origin: [origin], credentials: true } : false;
    },
    logging: yogaLogger(logger),
    maskedErrors: { maskError },
    plugins: [
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf"] }),
      // Rejects oversized documents at parse/validation time, before any resolver runs.
      EnvelopArmorPlugin({
        maxDepth: { n: config.GRAPHQL_MAX_DEPTH },
        maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
        maxTokens: { n: config.GRAPHQL_MAX_TOKENS },
        costLimit: { maxCost: config.GRAPHQL_MAX_COST },
        maxDirectives: { n: 50 },
        // GraphiQL's "did you mean" helps developers; keep it.
        blockFieldSuggestion: { enabled: false },
      }),
      useErrorShaping(logger),
      useOperationMetrics(deps.metrics),
    ],
    context: async ({ req, requestId }): Promise<GraphQLContext> =>
      createContext({
        actor: await deps.auth.actorFor(req),
        services,
        requestId,
        imageUrl: (imageId) => deps.imageLinks.urlFor(req, imageId),
      }),
  });

  const route: Route = async (req, res, path) => {
    if (path !== GRAPHQL_PATH) return false;
    // A body with no Content-Length (chunked) is read here, under the limit, so
    // an oversized one is a 413 like a declared one: yoga's multipart parser
    // would report its own limit error as a 400 "invalid multipart data".
    // whatwg-node takes a pre-read `req.body` instead of the stream.
    if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] !== undefined && req.method !== "GET" && req.method !== "HEAD") {
      try {
        (req as IncomingMessage & { body?: Buffer }).body = await readBody(req, config.MAX_BODY_BYTES);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        res.setHeader("connection", "close");
        sendError(res, path, error);
        return true;
      }
    }
    await yoga.handle(req, res, { req, requestId: requestIdOf(res) });
    return true;
  };

  // graphql-transport-ws on the same path, with yoga's plugins (errors, context)
  // applied through getEnveloped, as yoga's graphql-ws recipe does.
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
      onSubscribe: async (ctx, id, payload) => {
        let live = operations.get(ctx.extra.socket);
        if (!live) operations.set(ctx.extra.socket, (live = new Set()));
        if (live.size >= config.WS_MAX_SUBSCRIPTIONS) {
          return [new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS} operations per connection`, { extensions: { code: "RATE_LIMITED", status: 429 } })];
        }
        const authorization = ctx.connectionParams?.authorization;
        const headers = { ...ctx.extra.request.headers, authorization: typeof authorization === "string" ? authorization : undefined };
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: { headers },
          socket: ctx.extra.socket,
          params: payload,
          requestId: randomUUID(),
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
          return [error instanceof GraphQLError ? error : (maskError(error) as GraphQLError)];
        }
        if (errors.length > 0) return errors;
        let contextValue: GraphQLContext;
        try {
          contextValue = await enveloped.contextFactory();
        } catch (error) {
          return [maskError(error) as GraphQLError]; // e.g. the key was revoked since connection_init
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
    route,
    async close() {
      server.off("upgrade", onUpgrade);
      await wsServer.dispose(); // closes every socket with 1001 Going Away
      await yoga.dispose();
    },
  };
}

/** yoga's own log lines (e.g. errors raised outside execution) go to pino. */
function yogaLogger(logger: Logger): YogaLogger {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, first.message);
      else logger[level]({ detail: rest.length > 0 ? rest : undefined }, String(first));
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
