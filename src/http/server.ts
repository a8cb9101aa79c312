// One node:http server for everything: health, GraphQL (HTTP + SSE + the
// graphql-ws upgrade on the same path), REST and metrics. Routes are tried in
// order; each answers `true` when it handled the request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { sendJson } from "./health.js";
import { assignRequestId } from "./request-id.js";

export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | boolean;

export function createHttpServer(routes: readonly Route[], logger: Logger): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const requestId = assignRequestId(req, res);
    const started = performance.now();
    res.once("close", () =>
      logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, "request"),
    );
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
