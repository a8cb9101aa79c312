// Uploaded images: bytes in the database (no second storage system to run),
// owner-scoped like sessions.
import { createHash } from "node:crypto";
import type { Prisma } from "../db/client.js";
import type { Image } from "../generated/prisma/client.js";
import { newId } from "../ids.js";

export type ImageMeta = Omit<Image, "bytes">;
export type { Image };

const META = { id: true, ownerId: true, filename: true, mediaType: true, byteSize: true, sha256: true, createdAt: true } as const;

export class ImageStore {
  constructor(private readonly prisma: Prisma) {}

  create(ownerId: string, image: { filename: string | null; mediaType: string; bytes: Uint8Array }): Promise<ImageMeta> {
    return this.prisma.image.create({
      data: {
        id: newId("img"),
        ownerId,
        filename: image.filename,
        mediaType: image.mediaType,
        byteSize: image.bytes.byteLength,
        sha256: createHash("sha256").update(image.bytes).digest("hex"),
        bytes: new Uint8Array(image.bytes), // a copy on a plain ArrayBuffer, as Prisma wants
      },
      select: META,
    });
  }

  getMany(ownerId: string, ids: readonly string[]): Promise<ImageMeta[]> {
    return this.prisma.image.findMany({ where: { id: { in: [...ids] }, ownerId }, select: META });
  }

  /** Ids among `ids` that the owner has (to validate image_file parts). */
  async existing(ownerId: string, ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.prisma.image.findMany({ where: { id: { in: [...ids] }, ownerId }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }

  /** With bytes; `ownerId` null means the caller proved access another way (a signed URL). */
  withBytes(ownerId: string | null, id: string): Promise<Image | null> {
    return this.prisma.image.findFirst({ where: { id, ...(ownerId ? { ownerId } : {}) } });
  }
}
