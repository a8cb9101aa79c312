// Signed image URLs (SPEC §7): `?expires=<unix s>&signature=<hex>` so an
// <img src> works without a header. HMAC-SHA256 over the image id and expiry
// with a secret shared by all instances (stored in the database).
import { createHmac, timingSafeEqual } from "node:crypto";

export class ImageSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  /** The query string for a URL valid for the TTL from now. */
  sign(imageId: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    return `expires=${expires}&signature=${this.mac(imageId, expires)}`;
  }

  /** True when the signature matches and has not expired. */
  verify(imageId: string, expires: string | null, signature: string | null, now = Date.now()): boolean {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return false;
    if (Number(expires) * 1000 < now) return false;
    const expected = Buffer.from(this.mac(imageId, Number(expires)), "hex");
    return timingSafeEqual(expected, Buffer.from(signature, "hex"));
  }

  private mac(imageId: string, expires: number): string {
    return createHmac("sha256", this.secret).update(`${imageId}\n${expires}`).digest("hex");
  }
}
