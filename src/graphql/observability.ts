// What an operation did, reported where yoga runs operations (HTTP, SSE and
// graphql-ws all pass through these hooks): its type and outcome. The
// transport decides what to do with it (metrics, log lines), so this file
// imports nothing of http/.
import { getOperationAST, type DocumentNode } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";

export interface OperationReport {
  type: "query" | "mutation" | "subscription" | "unknown";
  ok: boolean;
}

export function useOperationReports(report: (operation: OperationReport) => void): Plugin {
  const typeOf = (args: { document: DocumentNode; operationName?: string | null }) =>
    getOperationAST(args.document, args.operationName)?.operation ?? "unknown";
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: (payload) =>
        handleStreamOrSingleExecutionResult(payload, ({ result }) => report({ type: typeOf(args), ok: !result.errors?.length })),
    }),
    // A subscription counts once, when it starts (its events are not operations).
    onSubscribe: () => ({
      onSubscribeResult: ({ result }) => report({ type: "subscription", ok: !("errors" in result && result.errors?.length) }),
    }),
  };
}
