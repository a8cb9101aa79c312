// One node:http server for everything: health, GraphQL (HTTP + SSE + the
// graphql-ws upgrade on the same path), REST and metrics. Routes are tried in
// order; each answers `true` when it handled the request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { sendError } from "./errors.js";
import { AppError } from "../errors.js";
import { assignRequestId } from "./request-id.js";
import { requestLogNotes } from "./request-log.js";
import type { Metrics } from "./metrics.js";
import { routeLabel } from "./route-label.js";

export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | boolean;

export function createHttpServer(routes: readonly Route[], logger: Logger, metrics?: Metrics): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const requestId = assignRequestId(req, res);
    const started = performance.now();
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      metrics?.httpDuration.observe({ method: req.method ?? "", route: routeLabel(path), status: String(res.statusCode) }, seconds);
      logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000), ...requestLogNotes(res) }, "request");
    });
    try {
      for (const route of routes) if (await route(req, res, path)) return;
      sendError(res, path, new AppError("NOT_FOUND", `No route for ${req.method} ${path}`), { logger, where: "HTTP routing" });
    } catch (error) {
      if (res.headersSent) {
        logger.error({ err: error, path, requestId }, "unexpected error in an HTTP route after the answer began");
        res.destroy();
      } else sendError(res, path, error, { logger, where: `HTTP ${req.method} ${path}` });
    }
  });
}
