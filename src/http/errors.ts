// The one error responder: how any error reaches a client, on every transport
// (REST, REST SSE, GraphQL over HTTP, GraphQL SSE, graphql-ws). A domain error
// (AppError) keeps its message, code, status and field; graphql-js' own errors
// (syntax, validation, variables) pass as they are; anything else is masked and
// logged once, at error level, with the request id and the real cause.
//
// It lives in http/ because the wire shapes are a transport concern: AppError
// (src/errors.ts) is the vocabulary services and domain throw, and stays free
// of GraphQL and REST spellings.
import type { ServerResponse } from "node:http";
import { GraphQLError, type DocumentNode, type Source } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { AppError } from "../errors.js";
import type { Logger } from "../log.js";
import type { GraphQLContext } from "../graphql/context.js";
import { sendJson } from "./health.js";
import { requestIdOf } from "./request-id.js";
import { restErrorMessage } from "./rest-keys.js";

export const GRAPHQL_PATH = "/graphql";
/** What GraphQL clients see for an unexpected error. */
export const UNEXPECTED_GRAPHQL_MESSAGE = "Unexpected error.";
/** What REST clients see for an unexpected error. */
export const UNEXPECTED_REST_MESSAGE = "Internal server error";

/** The innermost error under graphql-js' wrappers (located errors keep the thrown one as originalError). */
export function causeOf(error: unknown): unknown {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause;
}

/** True for errors a client must not see as they are (anything but AppError and graphql-js' own errors). */
export const isUnexpected = (error: unknown): boolean => {
  const cause = causeOf(error);
  return !(cause instanceof AppError) && !(cause instanceof GraphQLError);
};

/** Where an error happened, for the log line of an unexpected one. */
export interface ErrorScene {
  logger: Logger;
  requestId: string;
  /** e.g. "REST GET /v1/sessions", "GraphQL resolver", "REST SSE stream". */
  where: string;
  /** More fields for the log line (a resolver path, a session id). */
  detail?: Record<string, unknown>;
  /** The operation's document source, where errors carry only line/column (compiled queries). */
  source?: Source;
}

function logUnexpected(error: unknown, scene: ErrorScene): void {
  scene.logger.error({ err: causeOf(error), requestId: scene.requestId, ...scene.detail }, `unexpected error in ${scene.where}`);
}

// ---------------------------------------------------------------- GraphQL

/**
 * What a GraphQL client sees for an error, at the same location and path.
 * Never carries yoga's `extensions.http` (see maskContextError for the one
 * place that sets it).
 */
export function graphqlError(error: unknown, scene: ErrorScene): GraphQLError {
  const located = error instanceof GraphQLError ? error : undefined;
  const cause = causeOf(error);
  const where = { nodes: located?.nodes, source: located?.source, positions: located?.positions, path: located?.path };
  // Compiled queries (graphql-jit) raise errors with `locations` but no nodes; yoga rebuilds every error
  // from nodes or source + positions, so the positions are recovered from the document's source.
  const source = located && !located.nodes && located.locations ? scene.source : undefined;
  if (source) {
    const lineStarts = [0, ...[...source.body.matchAll(/\r\n|\n|\r/g)].map((m) => m.index! + m[0].length)];
    Object.assign(where, { source, positions: located!.locations!.map((l) => (lineStarts[l.line - 1] ?? 0) + l.column - 1) });
  }
  const at = (message: string, extensions: GraphQLError["extensions"]) => new GraphQLError(message, { ...where, extensions });
  if (cause instanceof AppError) {
    return at(cause.message, { code: cause.code, status: cause.status, ...(cause.field ? { field: cause.field } : {}) });
  }
  if (cause instanceof GraphQLError) {
    if (cause === located && !source && !("http" in (cause.extensions ?? {}))) return located;
    const { http: _http, ...extensions } = cause.extensions ?? {};
    return at(cause.message, extensions);
  }
  logUnexpected(error, { ...scene, detail: { ...scene.detail, ...(located?.path ? { path: located.path.join(".") } : {}) } });
  return at(UNEXPECTED_GRAPHQL_MESSAGE, { code: "INTERNAL_SERVER_ERROR", status: 500, ...(scene.requestId ? { requestId: scene.requestId } : {}) });
}

/** A subscription stream whose source may throw: the error becomes one last masked result, then the stream ends. */
function guardedStream<T>(source: AsyncIterable<T>, onError: (error: unknown) => T): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      try {
        return await iterator.next();
      } catch (error) {
        finished = true;
        return { done: false, value: onError(error) };
      }
    },
    async return(value?: unknown) {
      finished = true;
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
  };
}

type AnyResult = { errors?: readonly GraphQLError[] };

/**
 * Shapes the errors of every result while the context, and so the request id,
 * is at hand: queries, mutations and each subscription event, on every
 * transport — and an error thrown by a subscription's source mid-stream (a
 * lost database) ends the stream with a masked result instead of a raw
 * message or a broken connection. Runs before yoga's maskedErrors, which then
 * finds nothing left to mask.
 */
export function useErrorShaping(logger: Logger): Plugin<GraphQLContext> {
  const sceneOf = (args: { contextValue: GraphQLContext; document?: DocumentNode }, where: string): ErrorScene => ({
    logger,
    requestId: args.contextValue.requestId,
    where,
    source: args.document?.loc?.source,
  });
  const shape = (result: AnyResult, scene: ErrorScene): AnyResult =>
    result.errors?.length ? { ...result, errors: result.errors.map((error) => graphqlError(error, scene)) } : result;
  const onResult = (where: string) => (payload: { args: { contextValue: GraphQLContext; document?: DocumentNode }; result: unknown; setResult: (r: never) => void }) => {
    const scene = sceneOf(payload.args, where);
    if (isAsyncIterable(payload.result)) {
      const shaped = guardedStream(payload.result as AsyncIterable<AnyResult>, (error) => ({ errors: [graphqlError(error, { ...scene, where: `${where} stream` })] }));
      payload.setResult(mapStream(shaped, (r) => shape(r, scene)) as never);
    } else {
      payload.setResult(shape(payload.result as AnyResult, scene) as never);
    }
  };
  return {
    onExecute: () => ({ onExecuteDone: onResult("a GraphQL operation") as never }),
    onSubscribe: () => ({ onSubscribeResult: onResult("a GraphQL subscription") as never }),
  };
}

/** Maps each value of a stream, passing return() through (so a client leaving frees the source at once). */
function mapStream<T, U>(source: AsyncIterableIterator<T>, map: (value: T) => U): AsyncIterableIterator<U> {
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const step = await source.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: map(step.value) };
    },
    async return(value?: unknown) {
      await source.return?.(value);
      return { done: true, value: undefined };
    },
  };
}

/**
 * yoga's maskedErrors.maskError, for what useErrorShaping never sees: errors
 * raised outside execution (building the context fails on a bad key — the
 * context factory has logged unexpected ones already). Those reject the HTTP
 * request as a whole, so a domain error there also sets the HTTP status (401
 * for a missing key) through `extensions.http`, which yoga strips from the body.
 */
export function maskContextError(logger: Logger) {
  return (error: unknown): Error => {
    const cause = causeOf(error);
    // yoga's and its plugins' own refusals (CSRF 403, a bad body 400) carry their status in `http`.
    if (cause instanceof GraphQLError) return cause;
    const shaped = graphqlError(error, { logger, requestId: "", where: "GraphQL request handling" });
    if (!(cause instanceof AppError)) return shaped;
    return new GraphQLError(shaped.message, { path: shaped.path, extensions: { ...shaped.extensions, http: { status: cause.status } } });
  };
}

/** A domain error as a whole GraphQL HTTP response (body limits and rate limits, before yoga runs). */
function sendGraphQLHttpError(res: ServerResponse, error: AppError, headers: Record<string, string>): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code, status: error.status } }] }, headers);
}

// ---------------------------------------------------------------- REST

export interface RestErrorBody {
  error: string;
  status: number;
}

/**
 * The REST answer for an error: `{ error, status }` (SPEC §6), worded in
 * REST's names (src/http/rest-keys.ts); unexpected ones are masked and logged.
 */
export function restError(error: unknown, scene: ErrorScene): RestErrorBody {
  if (error instanceof AppError) return { error: restErrorMessage(error), status: error.status };
  logUnexpected(error, scene);
  return { error: UNEXPECTED_REST_MESSAGE, status: 500 };
}

/** The last words of a stream that has begun (AG-UI RUN_ERROR, AI SDK error chunk): REST's wording, unexpected errors masked and logged. */
export function streamErrorMessage(error: unknown, res: ServerResponse, scene: Omit<ErrorScene, "requestId">): string {
  return restError(error, { ...scene, requestId: requestIdOf(res) }).error;
}

/** Answers a REST request with an error (or ends it, when the answer has begun). */
export function sendRestError(res: ServerResponse, error: unknown, scene: Omit<ErrorScene, "requestId">, headers: Record<string, string> = {}): void {
  const body = restError(error, { ...scene, requestId: requestIdOf(res) });
  if (res.headersSent) res.end();
  else sendJson(res, body.status, body, headers);
}

/** 405 with `Allow` (HEAD wherever GET is served). */
export function sendMethodNotAllowed(res: ServerResponse, method: string | undefined, path: string, methods: readonly string[], scene: Omit<ErrorScene, "requestId">): void {
  const allow = [...new Set(methods.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])))].join(", ");
  sendRestError(res, new AppError("METHOD_NOT_ALLOWED", `Method ${method} is not allowed on ${path}; allowed: ${allow}`), scene, { allow });
}

/** Answers in the shape clients of `path` expect: GraphQL errors on /graphql, REST `{ error, status }` elsewhere. */
export function sendError(res: ServerResponse, path: string, error: unknown, scene: Omit<ErrorScene, "requestId">, headers: Record<string, string> = {}): void {
  if (path === GRAPHQL_PATH && error instanceof AppError && !res.headersSent) sendGraphQLHttpError(res, error, headers);
  else if (path === GRAPHQL_PATH && !res.headersSent) {
    sendJson(res, 500, { errors: [graphqlError(error, { ...scene, requestId: requestIdOf(res) }).toJSON()] }, headers);
  } else sendRestError(res, error, scene, headers);
}
