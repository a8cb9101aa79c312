// The server the bench drives: exactly `src/main.ts`, plus one hook for the
// memory scenario. The parent asks over the IPC channel, we collect garbage
// (node runs with --expose-gc) and answer with process.memoryUsage(). The
// channel is unref'd so it never keeps the server alive.
import { installMemoryProbe } from "./memory-probe.js";

installMemoryProbe();
await import("../../src/main.js");
