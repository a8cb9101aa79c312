// Absolute URLs of image bytes (Image.url, REST `url`). PUBLIC_URL when set
// (behind a proxy or TLS terminator), else the Host the client used. With
// AUTH=api_key they are signed, so an <img src> loads them with no header.
import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../config.js";
import type { ImageSigner } from "./image-signing.js";

type UrlConfig = Pick<Config, "PUBLIC_URL" | "HOST" | "PORT">;

export function baseUrl(req: { headers: IncomingHttpHeaders }, config: UrlConfig): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/+$/, "");
  return `http://${req.headers.host ?? `${config.HOST}:${config.PORT}`}`;
}

export interface ImageLinks {
  urlFor(req: { headers: IncomingHttpHeaders }, imageId: string): string;
  /** "valid": the URL proves access; "invalid": signed but wrong or expired; "absent": not signed. */
  check(url: URL, imageId: string): "valid" | "invalid" | "absent";
}

export function createImageLinks(config: UrlConfig, signer: ImageSigner | null): ImageLinks {
  return {
    urlFor(req, imageId) {
      const url = `${baseUrl(req, config)}/v1/images/${imageId}/content`;
      return signer ? `${url}?${signer.sign(imageId)}` : url;
    },
    check(url, imageId) {
      const expires = url.searchParams.get("expires");
      const signature = url.searchParams.get("signature");
      if (expires === null && signature === null) return "absent";
      return signer?.verify(imageId, expires, signature) ? "valid" : "invalid";
    },
  };
}
