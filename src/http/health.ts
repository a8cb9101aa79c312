// Liveness and readiness: /health answers while the process is up, /ready
// only while the database answers and the server is not shutting down.
// /ready is public, so the database's own words (host names, driver text)
// go to the log with the request id, never into the answer.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { requestIdOf } from "./request-id.js";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function healthRoutes(deps: { ping: () => Promise<void>; isShuttingDown: () => boolean; logger: Logger }) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (path === "/health") {
      sendJson(res, 200, { status: "ok" });
      return true;
    }
    if (path === "/ready") {
      if (deps.isShuttingDown()) {
        sendJson(res, 503, { status: "shutting_down" });
        return true;
      }
      try {
        await deps.ping();
        sendJson(res, 200, { status: "ready" });
      } catch (error) {
        deps.logger.error({ err: error, requestId: requestIdOf(res) }, "readiness check: the database did not answer");
        sendJson(res, 503, { status: "database_unavailable" });
      }
      return true;
    }
    return false;
  };
}
