// Image uploads: the bytes decide the media type (a client's Content-Type is
// only a hint), so an <img> served back is what it claims to be.
import { IMAGE_MEDIA_TYPES } from "../domain/content.js";
import { validation } from "../errors.js";
import { parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { Image, ImageMeta } from "../store/images.js";
import type { Actor } from "./context.js";

export class ImageService {
  constructor(private readonly store: Store) {}

  async upload(actor: Actor, file: { filename: string | null; bytes: Uint8Array }): Promise<ImageMeta> {
    if (file.bytes.byteLength === 0) throw validation("file", "The uploaded file is empty");
    const mediaType = sniffImageType(file.bytes);
    if (!mediaType) throw validation("file", `The uploaded file is not an image of type ${IMAGE_MEDIA_TYPES.join(", ")}`);
    const filename = file.filename ? file.filename.slice(0, 255) : null;
    return this.store.images.create(actor.ownerId, { filename, mediaType, bytes: file.bytes });
  }

  async find(actor: Actor, id: unknown, field = "id"): Promise<ImageMeta | null> {
    const [image] = await this.store.images.getMany(actor.ownerId, [parseId("img", id, field)]);
    return image ?? null;
  }

  /** Bytes for serving; `ownerId` null when a valid signature already proved access. */
  content(ownerId: string | null, id: string): Promise<Image | null> {
    return this.store.images.withBytes(ownerId, id);
  }
}

/** The media type from the file's magic bytes, or null when it is none of ours. */
export function sniffImageType(b: Uint8Array): (typeof IMAGE_MEDIA_TYPES)[number] | null {
  const starts = (...sig: number[]) => sig.every((byte, i) => b[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "image/webp";
  return null;
}
