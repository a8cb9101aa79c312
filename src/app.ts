// Wires the parts: database → store → bus → services → transports. `main.ts`
// runs it; tests create one per file on a free port.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import type { Bus } from "./bus/bus.js";
import { createBus } from "./bus/index.js";
import { createStore, type Store } from "./store/index.js";
import { createServices, type Services } from "./service/index.js";
import { createHttpServer } from "./http/server.js";
import { healthRoutes } from "./http/health.js";
import { restRoute } from "./http/rest.js";
import { mountGraphQL } from "./http/graphql.js";
import { imageContentRoute } from "./http/image-content.js";
import type { Route } from "./http/server.js";
import { createAuth } from "./http/auth.js";
import { createLogger, type Logger } from "./log.js";
import { createAgent } from "./agent/index.js";
import type { TurnRunner } from "./agent/runner.js";

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
  onQuery?: () => void;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, onQuery: options.onQuery });
  const store = createStore(db.prisma);
  const bus = await createBus(config, { log: store.log, logger, databaseUrl: config.DATABASE_URL });
  store.log.onAppend((sessionId, events) => bus.publish(sessionId, events));

  const runner = await createAgent(config, store, logger, { soleInstance: db.kind === "pglite" });
  const services = createServices({ store, bus, scheduler: runner });

  const auth = createAuth(config, store.apiKeys);
  let shuttingDown = false;
  const routes: Route[] = [healthRoutes({ ping: db.ping, isShuttingDown: () => shuttingDown })];
  const server = createHttpServer(routes, logger);
  const graphql = mountGraphQL({ config, logger, services, actorFor: auth.actorFor }, server);
  routes.push(
    graphql.route,
    restRoute({ services, config, logger, actorFor: auth.actorFor }),
    imageContentRoute({ images: services.images, actorFor: auth.actorFor, logger, cacheSeconds: config.IMAGE_URL_TTL_S }),
  );

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
          void runner.start().catch((err) => logger.error({ err }, "turn recovery failed"));
          resolve({ url: `http://${host}:${port}`, port });
        });
      }),
    async close() {
      shuttingDown = true;
      await graphql.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await runner.stop(config.SHUTDOWN_TIMEOUT_MS);
      await closed;
      await bus.close();
      await db.close();
    },
  };
}
