// Relay connections written out plainly (SPEC §5): edges, nodes, pageInfo and
// a totalCount that costs a query only when it is selected.
import type { ObjectRef } from "@pothos/core";
import { builder, type SchemaTypes } from "./builder.js";

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

export const PageInfoRef = builder.objectRef<PageInfo>("PageInfo").implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean("hasNextPage"),
    hasPreviousPage: t.exposeBoolean("hasPreviousPage"),
    startCursor: t.exposeString("startCursor", { nullable: true }),
    endCursor: t.exposeString("endCursor", { nullable: true }),
  }),
});

/** Defines `{Name}Edge` and `{Name}Connection` over a node type. */
export function connectionType<T>(name: string, nodeRef: ObjectRef<SchemaTypes, T>) {
  const edgeRef = builder.objectRef<Edge<T>>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString("cursor"),
      node: t.expose("node", { type: nodeRef }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [edgeRef], resolve: (c) => c.edges }),
      nodes: t.expose("nodes", { type: [nodeRef] }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
      totalCount: t.int({ description: "How many the filters select, across all pages.", resolve: (c) => c.totalCount() }),
    }),
  });
}

/**
 * A connection from one page read forwards (first/after) or backwards
 * (last/before). `hasMore` says more rows exist in the direction read; the
 * other direction is known to have rows only when a cursor was given.
 */
export function toConnection<T>(
  page: { nodes: T[]; hasMore: boolean; backward: boolean; fromCursor: boolean },
  cursorOf: (node: T) => string,
  totalCount: () => Promise<number>,
): Connection<T> {
  const edges = page.nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    nodes: page.nodes,
    pageInfo: {
      hasNextPage: page.backward ? page.fromCursor : page.hasMore,
      hasPreviousPage: page.backward ? page.hasMore : page.fromCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
