// The app's pino output, captured: pass `logger` to startServer and read the
// parsed JSON lines from `lines` (tests assert on what the log says).
import { pino, type Logger } from "pino";

export interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { message: string; type?: string; stack?: string };
  [key: string]: any; // the fields under test
}

export function captureLogs(level = "info"): { lines: LogLine[]; logger: Logger } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { lines, logger };
}
