// Starts the real app on a free port over a test backend, as clients see it.
import { createApp, type App, type AppOptions } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Backend } from "./backends.js";

export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  app: App;
  close(): Promise<void>;
}

export async function startServer(backend: Backend, configOverrides: Record<string, string> = {}, options: AppOptions = {}): Promise<TestServer> {
  // The PostgreSQL backend creates its throwaway database on first open.
  if (backend.databaseUrl) await (await backend.open()).close();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DEMO_DELAY_MS: "0",
    LOG_LEVEL: "silent",
    DATA_DIR: backend.dataDir,
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
    ...configOverrides,
  });
  const app = await createApp(config, options);
  const { url } = await app.listen();
  return { url, app, close: () => app.close() };
}
