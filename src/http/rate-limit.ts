// Requests per minute per caller (RATE_LIMIT_PER_MIN), in fixed one-minute
// windows. In memory for one process; in Redis (INCR + EXPIRE on a key per
// window) when PUBSUB=redis, so every instance draws on one budget.
import type { IncomingMessage } from "node:http";
import type { Redis } from "ioredis";

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (the Retry-After value). */
  retryAfter: number;
}

export interface RateLimiter {
  hit(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}

const WINDOW_MS = 60_000;

const windowOf = (now: number) => Math.floor(now / WINDOW_MS);
const retryAfter = (now: number) => Math.max(1, Math.ceil(((windowOf(now) + 1) * WINDOW_MS - now) / 1000));

export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string): Promise<RateDecision> {
    const now = this.now();
    const window = windowOf(now);
    if (this.counts.size > 100_000) this.prune(window);
    const entry = this.counts.get(key);
    const count = entry && entry.window === window ? entry.count + 1 : 1;
    this.counts.set(key, { window, count });
    return { allowed: count <= this.limit, retryAfter: retryAfter(now) };
  }

  private prune(window: number): void {
    for (const [key, entry] of this.counts) if (entry.window !== window) this.counts.delete(key);
  }

  async close(): Promise<void> {}
}

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly limit: number,
  ) {}

  async hit(key: string): Promise<RateDecision> {
    const now = Date.now();
    const redisKey = `parley:rate:${key}:${windowOf(now)}`;
    const result = await this.redis.multi().incr(redisKey).pexpire(redisKey, WINDOW_MS * 2).exec();
    const count = Number(result?.[0]?.[1] ?? 0);
    return { allowed: count <= this.limit, retryAfter: retryAfter(now) };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * Who a request counts against: the key's id when the request authenticated
 * (AUTH=api_key), else the client address — so a missing, made-up or revoked
 * key, or any header with AUTH=none, never buys a fresh budget.
 */
export function rateKey(req: Pick<IncomingMessage, "socket">, ownerId: string | null): string {
  return ownerId ? `key:${ownerId}` : `ip:${req.socket.remoteAddress ?? "unknown"}`;
}
