// PGlite runs PostgreSQL without its background processes, so nothing ever
// analyzes a table (`autovacuum` reads "on", but no launcher runs): the
// planner never learns that a session holds 10,000 messages and plans its
// history page as a scan and sort of all of them (14 ms for 10,000 here)
// instead of reading the index's last 50 (1.6 ms), so reads grow with the
// session. We refresh the statistics ourselves: at open, then periodically in
// the background lane. ANALYZE samples a bounded number of rows per table, so
// its cost stays flat as the data grows.
import type { PGlite } from "@electric-sql/pglite";
import { inBackground } from "./lanes.js";

export const ANALYZE_EVERY_MS = 5 * 60_000;

/** Analyzes now and then every `everyMs` until the returned stop is awaited. */
export async function keepStatistics(
  db: Pick<PGlite, "exec">,
  everyMs: number,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  await db.exec("ANALYZE");
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = inBackground(() => db.exec("ANALYZE")).catch(onError);
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running; // never close the database under a running ANALYZE
  };
}
