// How errors reach GraphQL clients (SPEC §5): a domain error (AppError) keeps
// its message with extensions.code/status/field; graphql-js' own errors
// (syntax, validation, variables) pass as they are; anything else is masked as
// INTERNAL_SERVER_ERROR and logged with the request id and the real cause.
// A domain error never sets extensions.http, so the response stays HTTP 200.
import { GraphQLError } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import { AppError } from "../errors.js";
import type { Logger } from "../log.js";
import type { GraphQLContext } from "./context.js";

export const UNEXPECTED_ERROR_MESSAGE = "Unexpected error.";

/** The innermost error under graphql-js' wrappers (located errors keep the thrown one as originalError). */
function causeOf(error: unknown): unknown {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause;
}

const isUnexpected = (error: unknown) => {
  const cause = causeOf(error);
  return !(cause instanceof AppError) && !(cause instanceof GraphQLError);
};

/** What the client sees for an error, at the same location and path. */
export function clientError(error: unknown, requestId?: string): GraphQLError {
  const located = error instanceof GraphQLError ? error : undefined;
  const cause = causeOf(error);
  if (located && cause === located) return located;
  const where = { nodes: located?.nodes, source: located?.source, positions: located?.positions, path: located?.path };
  if (cause instanceof AppError) return new GraphQLError(cause.message, { ...where, extensions: cause.toGraphQLError().extensions });
  if (cause instanceof GraphQLError) return new GraphQLError(cause.message, { ...where, extensions: cause.extensions });
  return new GraphQLError(UNEXPECTED_ERROR_MESSAGE, {
    ...where,
    extensions: { code: "INTERNAL_SERVER_ERROR", status: 500, ...(requestId ? { requestId } : {}) },
  });
}

/**
 * Shapes the errors of every result while the context, and so the request id,
 * is at hand: queries, mutations and each subscription event, on every
 * transport. It runs before yoga's maskedErrors, which then finds nothing left
 * to mask and only catches errors raised outside execution.
 */
export function useErrorShaping(logger: Logger): Plugin<GraphQLContext> {
  const shapeResult: Parameters<typeof handleStreamOrSingleExecutionResult<GraphQLContext>>[1] = ({ args, result, setResult }) => {
    if (!result.errors?.length) return;
    const { requestId } = args.contextValue;
    const errors = result.errors.map((error) => {
      if (isUnexpected(error)) {
        logger.error({ err: causeOf(error), requestId, path: error.path?.join(".") }, "unexpected error in a GraphQL resolver");
      }
      return clientError(error, requestId);
    });
    setResult({ ...result, errors });
  };
  return {
    onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, shapeResult) }),
    onSubscribe: () => ({ onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, shapeResult) }),
  };
}

/**
 * yoga's maskedErrors.maskError, for what useErrorShaping never sees: errors
 * raised outside execution, such as building the context (who is calling).
 * Those reject the request as a whole, so a domain error there also sets the
 * HTTP status (401 for a missing key); yoga strips `http` from the output.
 */
export function maskError(error: unknown): Error {
  const shaped = clientError(error);
  const cause = causeOf(error);
  if (!(cause instanceof AppError)) return shaped;
  return new GraphQLError(shaped.message, {
    nodes: shaped.nodes,
    source: shaped.source,
    positions: shaped.positions,
    path: shaped.path,
    extensions: { ...shaped.extensions, http: { status: cause.status } },
  });
}
