// One pino logger for the process; JSON lines on stdout.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "parley" }, timestamp: pino.stdTimeFunctions.isoTime });
}
