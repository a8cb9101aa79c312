// GraphQL on /graphql: the yoga server (queries and mutations over HTTP,
// subscriptions over SSE in graphql-sse "distinct connections" mode), with
// its plugins and the one context factory. graphql-ws on the same path is
// src/http/graphql-ws.ts, which runs operations through this same yoga; a
// sessionEvents subscription over SSE that a shared live channel can serve
// is answered by src/http/graphql-sse-shared.ts before yoga runs it.
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import { createYoga, isAsyncIterable, type Plugin, type YogaLogger } from "graphql-yoga";
import { execute, getOperationAST, GraphQLError, subscribe } from "graphql";
import { useGraphQlJit } from "@envelop/graphql-jit";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { Config } from "../config.js";
import { createContext, type GraphQLContext } from "../graphql/context.js";
import { schema } from "../graphql/schema.js";
import type { Logger } from "../log.js";
import type { Services } from "../service/index.js";
import type { Auth } from "./auth.js";
import { subscriptionStarted, type Metrics } from "./metrics.js";
import { errorCodesOf, useOperationNotes, useOperationReports, type OperationNote } from "../graphql/observability.js";
import { graphiqlOptions, renderGraphiQL } from "./graphiql.js";
import { useDocumentLimits } from "./graphql-limits.js";
import type { ImageLinks } from "./image-url.js";
import { requestIdOf } from "./request-id.js";
import { CUT_OFF_GRACE_MS } from "../service/stream-bounds.js";
import { noteOnRequestLog } from "./request-log.js";
import { AppError } from "../errors.js";
import { readBody } from "./body.js";
import { GRAPHQL_PATH, graphqlError, isUnexpected, maskContextError, sendError, useErrorShaping } from "./errors.js";
import { originPolicy } from "./origin.js";
import type { Route } from "./server.js";
import { mountGraphQLWs } from "./graphql-ws.js";
import { sharedSse, type SharedSse } from "./graphql-sse-shared.js";

export { GRAPHQL_PATH };

export interface GraphQLDeps {
  config: Config;
  logger: Logger;
  services: Services;
  auth: Auth;
  metrics: Metrics;
  imageLinks: ImageLinks;
}

/** What each transport hands yoga besides the request: the caller's headers and the request id. */
export interface ServerContext {
  req: { headers: IncomingHttpHeaders };
  requestId: string;
  /** Hears the operation's name, type and error codes (for the request's log line). */
  note: (note: OperationNote) => void;
  /** graphql-ws: aborts when the socket closes (over HTTP the request's own signal does). */
  signal?: AbortSignal;
  /** Ends the connection of a stream subscriber cut off for being too slow. */
  cutOff?: (error: AppError) => void;
}

/** Serves /graphql over HTTP and SSE (the route) and over graphql-ws (the server's upgrades). */
export function mountGraphQL(deps: GraphQLDeps, server: Server): { route: Route; close(): Promise<void> } {
  const yoga = createGraphQLServer(deps);
  const sse = sharedSse(
    {
      services: deps.services,
      logger: deps.logger,
      imageLinks: deps.imageLinks,
      actorFor: (req) => deps.auth.actorFor(req as never),
      config: deps.config,
      allowedOrigin: originPolicy(deps.config),
      started: () => subscriptionStarted(deps.metrics),
    },
    yoga,
  );
  const route = graphqlRoute(deps, yoga, sse);
  const ws = mountGraphQLWs(deps, yoga, server);
  return {
    route,
    async close() {
      sse.close();
      await ws.close(); // closes every socket with 1001 Going Away
      await yoga.dispose();
    },
  };
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

function createGraphQLServer(deps: GraphQLDeps) {
  const { config, logger, services } = deps;
  const allowedOrigin = originPolicy(config);

  return createYoga<ServerContext, GraphQLContext>({
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
    maskedErrors: { maskError: maskContextError(logger) },
    plugins: [
      useGraphQLJsExecution(),
      useJitQueries(),
      useCsrfRefusal(),
      useDocumentLimits(config),
      useErrorShaping(logger),
      useOperationReports(({ type, ok }) => deps.metrics.graphqlOperations.inc({ type, outcome: ok ? "success" : "error" })),
      useOperationNotes(),
      // Every HTTP answer, parse and validation errors included, passes here; a stream's errors are its events'.
      {
        onResultProcess: ({ result, serverContext }) => {
          const results = Array.isArray(result) ? result : isAsyncIterable(result) ? [] : [result];
          serverContext.note({ errorCodes: results.flatMap((r) => errorCodesOf(r.errors)) });
        },
      } satisfies Plugin<GraphQLContext, ServerContext>,
    ],
    context: async ({ req, requestId, request, signal, cutOff }): Promise<GraphQLContext> => {
      try {
        return createContext({
          actor: await deps.auth.actorFor(req),
          services,
          requestId,
          imageUrl: (imageId) => deps.imageLinks.urlFor(req, imageId),
          signal: signal ?? request?.signal,
          cutOff,
        });
      } catch (error) {
        // An unexpected one is masked and logged here, where the request id is known.
        throw isUnexpected(error) ? graphqlError(error, { logger, requestId, where: "the GraphQL context (who is calling)" }) : error;
      }
    },
  });
}

function graphqlRoute(deps: GraphQLDeps, yoga: GraphQLServer, sse: SharedSse): Route {
  const { config, logger } = deps;
  return async (req, res, path) => {
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
        sendError(res, path, error, { logger, where: "GraphQL body" });
        return true;
      }
    }
    // sessionEvents over SSE on a shared channel (src/http/graphql-sse-shared.ts); the rest is yoga's.
    if (await sse.handle(req, res)) return true;
    // A GraphQL SSE subscriber cut off for being too slow: yoga writes the error event
    // into the stalled socket; if it has not left soon after, the response is destroyed.
    const cutOff = () => setTimeout(() => res.destroy(), CUT_OFF_GRACE_MS).unref();
    await yoga.handle(req, res, { req, requestId: requestIdOf(res), note: (note) => noteOnRequestLog(res, note), cutOff });
    return true;
  };
}

/**
 * Runs operations with graphql-js' own execute and subscribe, which build each
 * result object in the order the query asked for its fields (spec §7.2.2).
 * yoga's default executor (@graphql-tools/executor 2.0.1, pinned for Node 20)
 * writes fields in the order they resolve, so `{ models { id } session { … } }`
 * could answer session first. Every transport runs through these hooks;
 * queries then switch to their compiled form (useJitQueries), which keeps
 * the query's order as well (test/e2e/graphql-field-order.test.ts).
 */
function useGraphQLJsExecution(): Plugin {
  return {
    onExecute: ({ setExecuteFn }) => setExecuteFn(execute),
    onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribe),
  };
}

/**
 * Queries run compiled (graphql-jit), one compiled function per document
 * (documents are already parsed and validated once each, by yoga's caches):
 * graphql-js' interpretation of a history page's 50 messages and their parts
 * was the largest cost left after the database. The compiled function builds
 * fields in query order too. Mutations and subscriptions stay on graphql-js.
 */
function useJitQueries(): ReturnType<typeof useGraphQlJit> {
  return useGraphQlJit({}, { enableIf: ({ document, operationName }) => getOperationAST(document, operationName)?.operation === "query" });
}

export const CSRF_HEADER = "x-graphql-yoga-csrf";

/**
 * yoga's CSRF prevention (a request a browser may send cross-site without a
 * preflight — a GET, a form or multipart POST — needs a non-simple header),
 * with a refusal that says what to send instead of yoga's bare "Required
 * CSRF header(s) not present".
 */
function useCsrfRefusal(): Plugin {
  const check = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }).onRequestParse!;
  return {
    onRequestParse(payload) {
      try {
        return check(payload);
      } catch {
        throw new GraphQLError(
          `Refused as a possible cross-site request (CSRF): send the operation as a POST with content-type: application/json, ` +
            `or add the ${CSRF_HEADER} header (any value) to GET requests and multipart uploads`,
          { extensions: { code: "FORBIDDEN", status: 403, http: { status: 403 } } },
        );
      }
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
