// Picks the event bus from PUBSUB (SPEC §1, §8): memory for one process,
// redis or postgres (LISTEN/NOTIFY) when several instances share a database.
import { ConfigError, type Config } from "../config.js";
import type { Logger } from "../log.js";
import type { SystemEvents } from "../store/events.js";
import { MemoryBus, type Bus } from "./bus.js";
import { PostgresBus } from "./postgres.js";
import { RedisBus } from "./redis.js";

export interface BusDeps {
  /** Where the postgres bus loads notified events from, and where both re-read after a reconnect. */
  log: SystemEvents;
  logger: Logger;
  /** The PostgreSQL server; undefined means PGlite. */
  databaseUrl: string | undefined;
}

export async function createBus(config: Pick<Config, "PUBSUB" | "REDIS_URL">, deps: BusDeps): Promise<Bus> {
  switch (config.PUBSUB) {
    case "memory":
      return new MemoryBus();
    case "redis":
      // Connects in the background; an unreachable server is logged, not fatal.
      return new RedisBus({ url: config.REDIS_URL, logger: deps.logger, log: deps.log });
    case "postgres": {
      if (!deps.databaseUrl) {
        throw new ConfigError(
          "PUBSUB=postgres needs DATABASE_URL (LISTEN/NOTIFY runs on a PostgreSQL server); the embedded database serves one process, so use PUBSUB=memory",
        );
      }
      const bus = new PostgresBus({ databaseUrl: deps.databaseUrl, logger: deps.logger, log: deps.log });
      await bus.start();
      return bus;
    }
  }
}

export { MemoryBus, PostgresBus, RedisBus, type Bus };
