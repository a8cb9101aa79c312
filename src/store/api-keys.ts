// API keys: a high-entropy secret shown once, stored only as its SHA-256
// (a slow hash adds nothing for 256 random bits). Revocation is a column, and
// every request looks the key up, so a revoked key stops working at once on
// every instance.
import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "../db/client.js";
import { newId } from "../ids.js";

export const KEY_PREFIX = "prl_";
/** NOTIFY channel of revocations; the payload is the key id (src/bus/key-revocations.ts listens). */
export const KEY_REVOKED_CHANNEL = "parley_key_revoked";

export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const INFO = { id: true, name: true, createdAt: true, revokedAt: true } as const;

export class ApiKeyStore {
  constructor(private readonly prisma: Prisma) {}

  async create(name: string): Promise<{ id: string; name: string; key: string }> {
    const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const row = await this.prisma.apiKey.create({ data: { id: newId("key"), name, secretHash: hashSecret(key) } });
    return { id: row.id, name: row.name, key };
  }

  list(): Promise<ApiKeyInfo[]> {
    return this.prisma.apiKey.findMany({ orderBy: { id: "asc" }, select: INFO });
  }

  /** Returns the key, or null when unknown; revoking twice keeps the first time. */
  async revoke(id: string): Promise<ApiKeyInfo | null> {
    // The NOTIFY is sent when the revocation commits, so servers end the key's open streams at once.
    await this.prisma.$transaction([
      this.prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } }),
      this.prisma.$executeRaw`SELECT pg_notify(${KEY_REVOKED_CHANNEL}, ${id})`,
    ]);
    return this.prisma.apiKey.findUnique({ where: { id }, select: INFO });
  }

  /** True while the key exists and is not revoked. */
  async isLive(id: string): Promise<boolean> {
    const row = await this.prisma.apiKey.findUnique({ where: { id }, select: { revokedAt: true } });
    return !!row && !row.revokedAt;
  }

  /** The id of the live key with this secret, or null. */
  async authenticate(secret: string): Promise<string | null> {
    if (!secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
    const row = await this.prisma.apiKey.findUnique({ where: { secretHash: hashSecret(secret) }, select: { id: true, revokedAt: true } });
    return row && !row.revokedAt ? row.id : null;
  }
}
