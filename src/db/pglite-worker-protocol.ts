// The messages between the main thread (src/db/pglite-worker.ts) and the
// PGlite worker (src/db/pglite-worker-thread.ts). Everything here must survive
// a structured clone: no functions, no class instances but Date/Uint8Array.

export type Request =
  | { op: "ready" }
  /** `raw`: type OIDs to return as PostgreSQL's text, for the caller's own parsers. */
  | { op: "query"; sql: string; params: unknown[]; rowMode: "array" | "object"; raw: number[]; tx?: number }
  | { op: "exec"; sql: string; tx?: number }
  /** Opens a transaction; the answer is its number, for the `tx` of later requests. */
  | { op: "begin" }
  | { op: "end"; tx: number; commit: boolean }
  | { op: "close" };

export type Call = Request & { id: number };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** A PGlite DatabaseError's fields (rebuilt as one on the main thread), or any other error's message. */
export type WireError =
  | { kind: "database"; message: string; length: number; name: string; fields: Record<string, string | undefined> }
  | { kind: "other"; message: string; name: string };

export const DATABASE_ERROR_FIELDS = [
  "severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where",
  "schema", "table", "column", "dataType", "constraint", "file", "line", "routine",
] as const;
