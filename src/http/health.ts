// Liveness and readiness: /health answers while the process is up, /ready
// only while the database answers and the server is not shutting down.
import type { IncomingMessage, ServerResponse } from "node:http";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function healthRoutes(deps: { ping: () => Promise<void>; isShuttingDown: () => boolean }) {
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
        sendJson(res, 503, { status: "database_unavailable", error: (error as Error).message });
      }
      return true;
    }
    return false;
  };
}
