// One node:http server for everything: health, GraphQL (HTTP + SSE + the
// graphql-ws upgrade on the same path), REST and metrics. Routes are tried in
// order; each answers `true` when it handled the request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { sendJson } from "./health.js";
import { assignRequestId } from "./request-id.js";
import type { Metrics } from "./metrics.js";

export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | boolean;

/** A bounded route label for metrics: ids become `:id`. */
export const routeLabel = (path: string) =>
  path.replace(/\/(session|message|event|img|model|key)_[^/]*/g, "/:id").replace(/^\/v1\/ai-sdk\/chat\/[^/]+\//, "/v1/ai-sdk/chat/:id/").slice(0, 80);

export function createHttpServer(routes: readonly Route[], logger: Logger, metrics?: Metrics): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const requestId = assignRequestId(req, res);
    const started = performance.now();
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      metrics?.httpDuration.observe({ method: req.method ?? "", route: routeLabel(path), status: String(res.statusCode) }, seconds);
      logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000) }, "request");
    });
    try {
      for (const route of routes) if (await route(req, res, path)) return;
      sendJson(res, 404, { error: `No route for ${req.method} ${path}`, status: 404 });
    } catch (error) {
      logger.error({ err: error, path, requestId }, "unhandled error in HTTP route");
      if (!res.headersSent) sendJson(res, 500, { error: "Internal server error", status: 500 });
      else res.destroy();
    }
  });
}
