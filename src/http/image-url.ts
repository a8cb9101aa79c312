// Absolute URLs of image bytes: PUBLIC_URL when configured (behind a proxy or
// TLS terminator), else the Host the client used. We serve plain HTTP.
import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../config.js";

type UrlConfig = Pick<Config, "PUBLIC_URL" | "HOST" | "PORT">;

export function baseUrl(req: { headers: IncomingHttpHeaders }, config: UrlConfig): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/+$/, "");
  const host = req.headers.host ?? `${config.HOST}:${config.PORT}`;
  return `http://${host}`;
}

export function imageUrl(req: { headers: IncomingHttpHeaders }, config: UrlConfig, imageId: string): string {
  return `${baseUrl(req, config)}/v1/images/${imageId}/content`;
}
