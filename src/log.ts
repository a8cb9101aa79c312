// One pino logger for the process; JSON lines on stdout.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  // Asynchronous writes: lines logged while a write is in flight go out
  // together in the next one, instead of one blocking write(2) per line (an
  // access line per request and two lines per turn took 9% of the write
  // path's main thread on PGlite). pino flushes what is buffered on exit; a
  // kill -9 can lose the lines of the write in flight.
  return pino({ level, base: { service: "parley" }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: false }));
}
