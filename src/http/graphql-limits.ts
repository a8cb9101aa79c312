// graphql-armor's document limits, each refusing with VALIDATION_FAILED and
// naming the setting that refused it (armor's own errors are a bare "Syntax
// Error: …" with no code). Checked at parse (tokens) and validation (the
// rest), before any resolver runs, over HTTP, SSE and graphql-ws alike.
//
// Cost: depthCostFactor 1 and flattened fragments make the cost about the
// number of values an answer can hold — every field counts 1 (an object 2),
// times the literal `first`/`last` of the lists around it. So one page of the
// largest size the API allows (500) with a rich selection (README's queries
// at `first: 500`: about 18,500–27,000) passes the default of 200,000, while a
// list of lists at full size (500 sessions × 500 messages: millions) does not.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { GraphQLError } from "graphql";
import type { Config } from "../config.js";

/** A limit's refusal: the setting's name, and armor's account of what it found. */
function refusedBy(setting: string) {
  return [
    (_context: unknown, error: GraphQLError) => {
      const detail = error.message.replace(/^Syntax Error: /, "");
      throw new GraphQLError(`Refused by ${setting}: ${detail} Ask for less (smaller pages, fewer fields), or raise ${setting}.`, {
        extensions: { code: "VALIDATION_FAILED", status: 422, limit: setting },
      });
    },
  ];
}

export function useDocumentLimits(config: Pick<Config, "GRAPHQL_MAX_DEPTH" | "GRAPHQL_MAX_ALIASES" | "GRAPHQL_MAX_TOKENS" | "GRAPHQL_MAX_COST">) {
  return EnvelopArmorPlugin({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH, onReject: refusedBy("GRAPHQL_MAX_DEPTH") },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES, onReject: refusedBy("GRAPHQL_MAX_ALIASES") },
    maxTokens: { n: config.GRAPHQL_MAX_TOKENS, onReject: refusedBy("GRAPHQL_MAX_TOKENS") },
    costLimit: { maxCost: config.GRAPHQL_MAX_COST, depthCostFactor: 1, flattenFragments: true, onReject: refusedBy("GRAPHQL_MAX_COST") },
    maxDirectives: { n: 50, onReject: refusedBy("the directive limit (50)") },
    // GraphiQL's "did you mean" helps developers; keep it.
    blockFieldSuggestion: { enabled: false },
  });
}
