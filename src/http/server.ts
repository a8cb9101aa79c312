// One node:http server for everything: health, GraphQL (HTTP + SSE + the
// graphql-ws upgrade on the same path), REST and metrics. Routes are tried in
// order; each answers `true` when it handled the request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { sendJson } from "./health.js";

export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | boolean;

export function createHttpServer(routes: readonly Route[], logger: Logger): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    try {
      for (const route of routes) if (await route(req, res, path)) return;
      sendJson(res, 404, { error: `No route for ${req.method} ${path}`, status: 404 });
    } catch (error) {
      logger.error({ err: error, path }, "unhandled error in HTTP route");
      if (!res.headersSent) sendJson(res, 500, { error: "Internal server error", status: 500 });
      else res.destroy();
    }
  });
}
