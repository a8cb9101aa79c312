// graphql_operations_total, counted where yoga runs operations (HTTP, SSE and
// graphql-ws all pass through these hooks).
import { getOperationAST } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import type { Metrics } from "../http/metrics.js";

export function useOperationMetrics(metrics: Metrics): Plugin {
  const count = (type: string, ok: boolean) => metrics.graphqlOperations.inc({ type, outcome: ok ? "success" : "error" });
  const typeOf = (args: { document: Parameters<typeof getOperationAST>[0]; operationName?: string | null }) =>
    getOperationAST(args.document, args.operationName)?.operation ?? "unknown";
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: (payload) =>
        handleStreamOrSingleExecutionResult(payload, ({ result }) => count(typeOf(args), !result.errors?.length)),
    }),
    // A subscription counts once, when it starts (its events are not operations).
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result }) => count("subscription", !("errors" in result && result.errors?.length)),
    }),
  };
}
