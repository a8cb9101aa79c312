// GET /v1/images/{id}/content: an uploaded image's bytes, the target of
// Image.url. A valid signature (SPEC §7) proves access without a key; without
// one the caller's key must own the image. A wrong or expired signature and
// another owner's image answer 404, exactly like an unknown image.
import type { IncomingMessage } from "node:http";
import type { Logger } from "../log.js";
import { parseId } from "../ids.js";
import { notFound } from "../errors.js";
import type { ImageService } from "../service/images.js";
import type { ActorResolver } from "./auth.js";
import type { ImageLinks } from "./image-url.js";
import { sendMethodNotAllowed, sendRestError } from "./errors.js";
import type { Route } from "./server.js";

export interface ImageContentDeps {
  images: ImageService;
  actorFor: ActorResolver;
  logger: Logger;
  /** How long browsers may keep the bytes (the signed URL's lifetime). */
  cacheSeconds: number;
  imageLinks: ImageLinks;
}

const PATH = /^\/v1\/images\/([^/]+)\/content$/;

export function imageContentRoute(deps: ImageContentDeps): Route {
  return async (req, res, path) => {
    const match = PATH.exec(path);
    if (!match) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendMethodNotAllowed(res, req.method, path, ["GET"], { logger: deps.logger, where: "REST image bytes" });
      return true;
    }
    try {
      const id = parseId("img", match[1]!, "image_id") /* ids never need decoding */;
      const url = new URL(req.url ?? "/", "http://localhost");
      const signature = deps.imageLinks.check(url, id);
      if (signature === "invalid") throw notFound("Image", id);
      const ownerId = signature === "valid" ? null : (await deps.actorFor(req)).ownerId;
      const image = await deps.images.content(ownerId, id);
      if (!image) throw notFound("Image", id);

      const etag = `"${image.sha256}"`;
      const headers = {
        "content-type": image.mediaType,
        "cache-control": `private, max-age=${deps.cacheSeconds}`,
        "x-content-type-options": "nosniff",
        etag,
      };
      if (ifNoneMatch(req, etag)) {
        res.writeHead(304, headers).end();
        return true;
      }
      res.writeHead(200, { ...headers, "content-length": image.bytes.byteLength });
      res.end(req.method === "HEAD" ? undefined : Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength));
    } catch (error) {
      sendRestError(res, error, { logger: deps.logger, where: `REST ${req.method} ${path}` });
    }
    return true;
  };
}

const ifNoneMatch = (req: IncomingMessage, etag: string) =>
  req.headers["if-none-match"]?.split(",").some((tag) => tag.trim() === etag) ?? false;
