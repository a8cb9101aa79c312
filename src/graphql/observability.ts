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

/** What a request's log line says about its GraphQL operation. */
export interface OperationNote {
  operationName?: string | null;
  operationType?: string;
  errorCodes?: string[];
}

/** A transport puts `note` in yoga's server context to hear about its operation. */
export interface NotedContext {
  note?: (note: OperationNote) => void;
  params?: { operationName?: string | null };
}

/** Notes each operation's name and type as soon as its document is parsed (HTTP, SSE and graphql-ws alike). */
export function useOperationNotes(): Plugin {
  return {
    onParse: ({ context }) => {
      const { note, params } = context as NotedContext;
      if (!note) return;
      return ({ result }) => {
        if (!result || result instanceof Error) return;
        const operation = getOperationAST(result as DocumentNode, params?.operationName);
        note({ operationName: operation?.name?.value ?? params?.operationName ?? null, operationType: operation?.operation ?? "unknown" });
      };
    },
  };
}

/** The codes of a result's errors, in order (an error without a code counts as its message's kind). */
export const errorCodesOf = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string[] =>
  (errors ?? []).map((error) => (typeof error.extensions?.code === "string" ? error.extensions.code : "GRAPHQL_ERROR"));
