// Request limits that run before any route parses anything: bodies declared
// larger than MAX_BODY_BYTES get 413, and callers over RATE_LIMIT_PER_MIN get
// 429 with Retry-After. Answers use the shape of the path's API: GraphQL
// errors on /graphql, `{ error, status }` elsewhere.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../errors.js";
import { sendError } from "./errors.js";
import { rateKey, type RateLimiter } from "./rate-limit.js";
import type { Route } from "./server.js";
import { tooLarge } from "./body.js";
import type { Logger } from "../log.js";

const UNLIMITED_PATHS = new Set(["/health", "/ready", "/metrics"]);

export interface LimitsOptions {
  maxBodyBytes: number;
  limiter: RateLimiter | null;
  /** AUTH=api_key: the owner a request authenticates as, null when it does not (then it counts per client address). */
  ownerOf: ((req: IncomingMessage) => Promise<string | null>) | null;
  logger: Logger;
}

export function limitsRoute(options: LimitsOptions): Route {
  return async (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (UNLIMITED_PATHS.has(path)) return false;
    const scene = { logger: options.logger, where: `limits of ${req.method} ${path}` };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      // Answer without reading the body, then close: the client may still be sending it.
      res.setHeader("connection", "close");
      sendError(res, path, tooLarge(options.maxBodyBytes), scene);
      return true;
    }
    if (options.limiter) {
      // A limiter that cannot count (Redis away) lets requests through: the
      // limit protects the service, it must not take it down.
      const ownerId = options.ownerOf ? await options.ownerOf(req) : null;
      const decision = await options.limiter.hit(rateKey(req, ownerId)).catch((err: unknown) => {
        options.logger.debug({ err }, "rate limiter unavailable; request not counted");
        return { allowed: true, retryAfter: 0 };
      });
      if (!decision.allowed) {
        const error = new AppError("RATE_LIMITED", `Rate limit exceeded: try again in ${decision.retryAfter} s`);
        sendError(res, path, error, scene, { "retry-after": String(decision.retryAfter) });
        return true;
      }
    }
    return false;
  };
}
