// Requests per minute per caller (RATE_LIMIT_PER_MIN), in fixed one-minute
// windows. In memory for one process; in Redis (INCR + EXPIRE on a key per
// window) when PUBSUB=redis, so every instance draws on one budget.
import type { IncomingMessage } from "node:http";
import type { Redis } from "ioredis";
import { bearerToken } from "./auth.js";
import { hashSecret } from "../store/api-keys.js";

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
 * Who a request counts against. With keys (`perKey`), the key itself (hashed,
 * never stored in clear), parsed the way auth parses it, so spelling the same
 * header differently (`bearer`, extra spaces) is the same budget; without a
 * usable key, or with AUTH=none (where the header means nothing), the client
 * address — a made-up header never buys a fresh budget.
 */
export function rateKey(req: Pick<IncomingMessage, "headers" | "socket">, perKey: boolean): string {
  const key = perKey ? bearerToken(req.headers.authorization) : undefined;
  if (key) return `key:${hashSecret(key).slice(0, 32)}`;
  return `ip:${req.socket.remoteAddress ?? "unknown"}`;
}
