// Entry point: parse the config (a bad value is one line, not a stack), open
// the app, listen, and shut down cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from "./config.js";
import { createApp } from "./app.js";

async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  const app = await createApp(config);
  const { url } = await app.listen();
  app.logger.info(
    { url: `${url}/graphql`, database: app.db.kind, location: app.db.location, startupMs: Math.round(performance.now() - started) },
    `Parley listening on ${url}/graphql`,
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.logger.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (error) => {
        app.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`parley: ${error.message}\n`);
  } else {
    const e = error as NodeJS.ErrnoException;
    process.stderr.write(`parley: failed to start: ${e.code === "EADDRINUSE" ? `address in use (${e.message})` : e.message}\n`);
  }
  process.exit(1);
});
