// What every resolver gets. Built once per operation by the same factory for
// HTTP, SSE and graphql-ws (src/http/graphql.ts), with fresh loaders each time.
import type { Actor, Services } from "../service/index.js";
import type { AppError } from "../errors.js";
import { createLoaders, type Loaders } from "./loaders.js";

export interface GraphQLContext {
  actor: Actor;
  services: Services;
  loaders: Loaders;
  requestId: string;
  /** The absolute URL of an image's bytes (GET /v1/images/{id}/content). */
  imageUrl: (imageId: string) => string;
  /** Aborts when the client goes away (the HTTP request, or the graphql-ws socket): ends a wait-mode createMessage. */
  signal?: AbortSignal;
  /** Ends the transport's connection when its stream subscriber is cut off for being too slow. */
  cutOff?: (error: AppError) => void;
}

export function createContext(deps: Omit<GraphQLContext, "loaders">): GraphQLContext {
  return { ...deps, loaders: createLoaders(deps.actor, deps.services.reads) };
}
