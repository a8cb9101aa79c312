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

  async create(ownerId: string, image: { filename: string | null; mediaType: string; bytes: Uint8Array }): Promise<ImageMeta> {
    const id = newId("img");
    const bytes = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
    // Bytes travel as base64 text: the PGlite adapter rejects Prisma's Bytes parameters.
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO "Image" ("id", "ownerId", "filename", "mediaType", "byteSize", "sha256", "bytes") VALUES ($1, $2, $3, $4, $5, $6, decode($7, 'base64'))`,
      id,
      ownerId,
      image.filename,
      image.mediaType,
      bytes.byteLength,
      createHash("sha256").update(bytes).digest("hex"),
      bytes.toString("base64"),
    );
    return this.prisma.image.findUniqueOrThrow({ where: { id }, select: META });
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
