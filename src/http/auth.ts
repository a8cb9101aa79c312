// Who is calling. AUTH=none: everyone is the one local owner. AUTH=api_key:
// `Authorization: Bearer <key>` on HTTP, REST and SSE (and the graphql-ws
// connection_init payload), looked up on every request so revocation is
// immediate; the key's id is the owner of what it creates.
import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import { LOCAL_OWNER, type Actor } from "../service/context.js";

export type ActorResolver = (req: { headers: IncomingHttpHeaders }) => Promise<Actor>;

export const unauthenticated = (why: string) => new AppError("UNAUTHENTICATED", why);

/** The key in an `Authorization: Bearer <key>` value; undefined when there is none or it is malformed. */
export const bearerToken = (authorization: unknown): string | undefined =>
  typeof authorization === "string" ? /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1] : undefined;

/** The owner (key id) of a live key; null for an unknown or revoked one. */
export type KeyLookup = (secret: string) => Promise<string | null>;

export function createAuth(config: Pick<Config, "AUTH">, authenticate: KeyLookup) {
  /** Resolves an `Authorization` header value (or the ws payload's `authorization`). */
  const fromAuthorization = async (authorization: unknown): Promise<Actor> => {
    if (config.AUTH === "none") return { ownerId: LOCAL_OWNER };
    if (typeof authorization !== "string" || !authorization) throw unauthenticated("Missing API key: send Authorization: Bearer <key>");
    const token = bearerToken(authorization);
    if (!token) throw unauthenticated("Malformed Authorization header: expected Bearer <key>");
    const keyId = await authenticate(token);
    if (!keyId) throw unauthenticated("Invalid or revoked API key");
    return { ownerId: keyId };
  };
  // Once per request: the rate limiter asks first (a key that authenticates
  // has its own budget), then the route; one lookup serves both.
  const resolved = new WeakMap<object, Promise<Actor>>();
  const actorFor: ActorResolver = (req) => {
    let actor = resolved.get(req);
    if (!actor) resolved.set(req, (actor = fromAuthorization(req.headers.authorization)));
    return actor;
  };
  return { actorFor, fromAuthorization, required: config.AUTH === "api_key" };
}

export type Auth = ReturnType<typeof createAuth>;
