// Fields a route adds to its request's one log line, which server.ts writes
// when the response closes (e.g. GraphQL's operation name, type and error codes).
import type { ServerResponse } from "node:http";

const notes = new WeakMap<ServerResponse, Record<string, unknown>>();

export function noteOnRequestLog(res: ServerResponse, fields: object): void {
  notes.set(res, { ...notes.get(res), ...fields });
}

export const requestLogNotes = (res: ServerResponse): Record<string, unknown> => notes.get(res) ?? {};
