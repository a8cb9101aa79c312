// Which web pages may use this server through a visitor's browser. With
// AUTH=none, reaching the server is the only credential, so a page of an
// arbitrary site must not be able to use it (CSRF, cross-site WebSocket
// hijacking). ALLOWED_ORIGINS decides: "loopback" (the default: pages served
// from localhost / 127.0.0.1 / [::1] on any port, where frontends run in
// development), "*" (any site), or a comma-separated list of origins. With
// AUTH=api_key and the default, any site may call: a page must hold a key.
// Clients that are not browsers (curl, SDKs) send no Origin and are unaffected.
import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../config.js";

export type OriginPolicy = (origin: string) => boolean;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function originPolicy(config: Pick<Config, "ALLOWED_ORIGINS" | "AUTH">): OriginPolicy {
  const setting = config.ALLOWED_ORIGINS;
  if (setting === "*" || (setting === "loopback" && config.AUTH === "api_key")) return () => true;
  if (setting === "loopback") {
    return (origin) => {
      try {
        const url = new URL(origin);
        return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_HOSTS.has(url.hostname);
      } catch {
        return false;
      }
    };
  }
  const allowed = new Set(setting.split(",").map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean));
  return (origin) => allowed.has(origin);
}

/** True when a browser says the request comes from a page the policy does not allow. */
export function refusedOrigin(req: { headers: IncomingHttpHeaders }, allowed: OriginPolicy): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return req.headers["sec-fetch-site"] === "cross-site" && !allowed("null");
  try {
    if (new URL(origin).host === req.headers.host) return false; // the server's own pages (GraphiQL)
  } catch {
    return !allowed(origin); // "null" (sandboxed frames, file:) or garbage
  }
  return !allowed(origin);
}
