// Wires the parts: database → store → bus → services → transports. `main.ts`
// runs it; tests create one per file on a free port.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import { inBackground } from "./db/lanes.js";
import type { Bus } from "./bus/bus.js";
import { createBus } from "./bus/index.js";
import { KeyRevocations, listenForRevocations } from "./bus/key-revocations.js";
import { createStore, type Store } from "./store/index.js";
import { createServices, type Services } from "./service/index.js";
import { createHttpServer } from "./http/server.js";
import { healthRoutes } from "./http/health.js";
import { restRoute } from "./http/rest.js";
import { mountGraphQL } from "./http/graphql.js";
import { webRoute } from "./http/web.js";
import { imageContentRoute } from "./http/image-content.js";
import type { Route } from "./http/server.js";
import { createAuth } from "./http/auth.js";
import { createImageLinks } from "./http/image-url.js";
import { ImageSigner } from "./http/image-signing.js";
import { limitsRoute } from "./http/limits.js";
import { sendError } from "./http/errors.js";
import { hostPolicy, plainHost } from "./http/host-guard.js";
import { openApiRoute } from "./http/openapi.js";
import { AppError } from "./errors.js";
import { createMetrics, metricsRoute } from "./http/metrics.js";
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from "./http/rate-limit.js";
import { Redis } from "ioredis";
import { createLogger, type Logger } from "./log.js";
import { createAgent } from "./agent/index.js";
import type { TurnRunner } from "./agent/runner.js";
import { aguiRoute } from "./http/agui.js";
import { aiSdkRoute } from "./http/ai-sdk.js";

export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  store: Store;
  bus: Bus;
  services: Services;
  runner: TurnRunner;
  server: Server;
  /** Listens on config.HOST:PORT (PORT=0 picks a free one). */
  listen(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Called for every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    onQuery: options.onQuery,
    onWarning: (message, err) => logger.warn({ err }, message),
    // Without its database worker the process could only fail every request: better to exit and be restarted.
    onCrash: (err) => {
      logger.fatal({ err }, "database lost, exiting");
      process.exit(1);
    },
  });
  const cleanup: (() => Promise<unknown>)[] = [() => db.close()];
  try {
    return await wire(config, logger, db, cleanup);
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    throw error;
  }
}

async function wire(config: Config, logger: Logger, db: Database, cleanup: (() => Promise<unknown>)[]): Promise<App> {
  const store = createStore(db);
  const bus = await createBus(config, { log: store.system.events, logger, databaseUrl: config.DATABASE_URL });
  cleanup.push(() => bus.close());
  store.log.onAppend((sessionId, events) => bus.publish(sessionId, events));

  // The gauges read the runner and services, built below, only when scraped.
  const metrics = createMetrics({
    queuedTurns: () => store.system.turns.countQueued(),
    runningTurns: () => runner.runningCount(),
    subscriptions: () => services.events.activeStreams(),
    channels: () => services.events.channels.graphql.count() + services.events.channels.rest.count(),
  });
  store.log.observeAppend = (seconds) => metrics.eventAppend.observe(seconds);
  // The turn runner's store: on PostgreSQL over its own pool (Database.background); its appends reach the same listeners.
  const runnerStore = db.background ? createStore(db.background) : store;
  if (runnerStore !== store) {
    runnerStore.log.onAppend((sessionId, events) => store.log.notify(sessionId, events));
    runnerStore.log.observeAppend = store.log.observeAppend;
  }
  const agent = await createAgent(config, runnerStore, logger, {
    soleInstance: db.kind === "pglite",
    // Another instance's user messages reach a running turn here (an INTERRUPT's cancel flag).
    sessionEvents: db.kind === "pglite" ? undefined : (sessionId, listener) => bus.subscribe(sessionId, listener),
    observer: { turnEnded: (outcome, seconds) => metrics.turnDuration.observe({ outcome }, seconds) },
  });
  const { runner } = agent;
  cleanup.push(() => agent.close()); // ends MCP stdio children, after the runner has stopped
  // With keys, open streams re-check theirs, so a revoked key ends them on every
  // transport; on PostgreSQL they also hear the revocation and end at once.
  const revocations = new KeyRevocations();
  if (config.AUTH === "api_key" && config.DATABASE_URL) {
    const listening = await listenForRevocations(config.DATABASE_URL, revocations, logger);
    cleanup.push(() => listening.close());
  }
  const services = createServices({
    revocations,
    store,
    bus,
    scheduler: runner,
    keyRecheckMs: config.AUTH === "api_key" ? config.AUTH_RECHECK_MS : null,
    streamMaxBufferedBytes: config.STREAM_MAX_BUFFERED_BYTES,
    maxIterations: config.MAX_ITERATIONS,
    serverTools: () => agent.tools.list(),
  });

  const auth = createAuth(config, (secret) => store.apiKeys.authenticate(secret));
  // IMAGE_URL_SECRET when set (so an operator can rotate it), else one secret shared through the database.
  const imageSecret = config.AUTH === "api_key" ? (config.IMAGE_URL_SECRET ?? (await store.system.serverSecret("image-url"))) : null;
  const signer = imageSecret ? new ImageSigner(imageSecret, config.IMAGE_URL_TTL_S) : null;
  const imageLinks = createImageLinks(config, signer);
  const limiter = createRateLimiter(config, logger);
  cleanup.push(async () => limiter?.close());

  let shuttingDown = false;
  const hostAllowed = hostPolicy(config);
  const routes: Route[] = [
    healthRoutes({ ping: db.ping, isShuttingDown: () => shuttingDown, logger }),
    (req, res, path) => {
      if (hostAllowed(req)) return false;
      const refusal = plainHost(req.headers.host)
        ? new AppError("FORBIDDEN", `Host ${JSON.stringify(req.headers.host)} is not served here: add it to ALLOWED_HOSTS`)
        : new AppError("BAD_REQUEST", "The Host header must be a host name or address with an optional port");
      sendError(res, path, refusal, { logger, where: "host guard" });
      return true;
    },
    metricsRoute(metrics),
    limitsRoute({
      maxBodyBytes: config.MAX_BODY_BYTES,
      limiter,
      ownerOf: auth.required ? (req) => auth.actorFor(req).then((actor) => actor.ownerId, () => null) : null,
      logger,
    }),
  ];
  const server = createHttpServer(routes, logger, metrics);
  const graphql = mountGraphQL({ config, logger, services, auth, metrics, imageLinks }, server);
  routes.push(
    graphql.route,
    restRoute({ services, config, logger, actorFor: auth.actorFor, imageLinks }),
    imageContentRoute({ images: services.images, actorFor: auth.actorFor, logger, cacheSeconds: config.IMAGE_URL_TTL_S, imageLinks }),
    webRoute(),
    openApiRoute(),
  );
  // AG-UI and AI SDK streams (SPEC §13): views of the same log, through the same auth, limits and origin policy as REST.
  const protocols = { protocols: services.protocols, config, logger, actorFor: auth.actorFor };
  routes.push(aguiRoute(protocols), aiSdkRoute(protocols));

  return {
    config,
    logger,
    db,
    store,
    bus,
    services,
    runner,
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.PORT, config.HOST, () => {
          const { port } = server.address() as AddressInfo;
          const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
          // Turns left over from a previous run start once we serve.
          // Recovery and the sweeps it starts run in the background lane (src/db/lanes.ts).
          void inBackground(() => runner.start()).catch((err) => logger.error({ err }, "turn recovery failed"));
          resolve({ url: `http://${host}:${port}`, port });
        });
      }),
    // Graceful shutdown (SPEC §7): /ready turns 503 and no new connections are
    // taken; running turns get SHUTDOWN_TIMEOUT_MS while their subscribers
    // still receive events; then sockets close with 1001 and the database
    // closes cleanly. A turn still running is closed as interrupted on the next start.
    async close() {
      shuttingDown = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await runner.stop(config.SHUTDOWN_TIMEOUT_MS);
      await graphql.close();
      server.closeAllConnections(); // SSE streams and idle keep-alive sockets
      await stopped;
      for (const step of cleanup.reverse()) await step();
    },
  };
}

function createRateLimiter(config: Config, logger: Logger): RateLimiter | null {
  if (config.RATE_LIMIT_PER_MIN === 0) return null;
  if (config.PUBSUB !== "redis") return new MemoryRateLimiter(config.RATE_LIMIT_PER_MIN);
  // No offline queue: while Redis is away a hit fails at once (and the limiter
  // lets the request through, see limitsRoute) instead of waiting on retries.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: "parley-rate-limit" });
  let down = false;
  redis.on("error", (err) => {
    if (!down) logger.warn({ err }, "rate limiter: Redis connection error; requests are not limited until it is back");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info("rate limiter: Redis is back");
    down = false;
  });
  return new RedisRateLimiter(redis, config.RATE_LIMIT_PER_MIN);
}
