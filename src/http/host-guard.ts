// DNS-rebinding guard (SPEC §15 ALLOWED_HOSTS). With AUTH=none, reaching the
// server is the only credential; a page on evil.example whose name is made to
// resolve to 127.0.0.1 reaches it from the visitor's browser as a "same-origin"
// page, so neither CORS nor the Origin check stops it. The Host header still
// names evil.example, so only requests for names we serve are let in:
// loopback names by default, or the comma-separated ALLOWED_HOSTS (plus the
// host of PUBLIC_URL). With AUTH=api_key a key is needed anyway: no guard on
// the name. On every setting a Host must be a plain `name[:port]` (or
// `[v6]:port`): it becomes part of URLs we build (Image.url, yoga's request
// URL), so anything else is refused before any route sees it.
import type { IncomingMessage } from "node:http";
import type { Config } from "../config.js";

export type HostPolicy = (req: Pick<IncomingMessage, "headers">) => boolean;

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];
const PLAIN_HOST = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** True for an absent Host (HTTP/1.0, raw tools) or a plain one; false for one that would change a URL built from it. */
export const plainHost = (header: string | undefined): boolean => header === undefined || PLAIN_HOST.test(header);

/** The host name of a Host header, lowercased and without the port ("[::1]:4000" → "[::1]"). */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.replace(/:\d*$/, "").replace(/\.$/, "");
}

export function hostPolicy(config: Pick<Config, "AUTH" | "ALLOWED_HOSTS" | "PUBLIC_URL">): HostPolicy {
  if (config.AUTH === "api_key" || config.ALLOWED_HOSTS === "*") return (req) => plainHost(req.headers.host);
  const names = config.ALLOWED_HOSTS === undefined ? [...LOOPBACK] : config.ALLOWED_HOSTS.split(",").map((n) => hostName(n)).filter(Boolean);
  if (config.PUBLIC_URL) names.push(hostName(new URL(config.PUBLIC_URL).host));
  const allowed = new Set(names);
  // *.localhost resolves to loopback by definition (RFC 6761), so it cannot be rebound.
  const loopbackOnly = config.ALLOWED_HOSTS === undefined;
  return (req) => {
    const header = req.headers.host;
    if (!header) return true; // HTTP/1.0 clients and raw tools; browsers always send Host
    if (!plainHost(header)) return false;
    const name = hostName(header);
    return allowed.has(name) || (loopbackOnly && name.endsWith(".localhost"));
  };
}
