// Request ids: taken from `x-request-id` when the client sends a sane one,
// generated otherwise, and echoed on the response so logs and clients agree.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const HEADER = "x-request-id";
// Bounded and printable, so a client cannot inject into logs or headers.
const ACCEPTED = /^[\w.:@/+=-]{1,128}$/;

/** Gives the request its id and sets the response header; returns the id. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers[HEADER];
  const id = typeof given === "string" && ACCEPTED.test(given) ? given : randomUUID();
  res.setHeader(HEADER, id);
  return id;
}

/** The id assignRequestId gave this response. */
export const requestIdOf = (res: ServerResponse): string => String(res.getHeader(HEADER) ?? "");
