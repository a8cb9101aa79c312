// Answers `{ type: "memory" }` IPC requests from the bench with the process's
// memory after a full GC. Shared by the Parley entry and the baselines.

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export function installMemoryProbe(): void {
  if (!process.send) return;
  process.on("message", (message: unknown) => {
    if (!message || typeof message !== "object" || (message as { type?: unknown }).type !== "memory") return;
    const id = (message as { id?: unknown }).id;
    // Several passes: weak refs and finalizers free more on the second.
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3; i++) gc?.();
    const m = process.memoryUsage();
    const sample: MemorySample = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    process.send?.({ type: "memory", id, sample });
  });
  // After the listener: an explicit unref wins over the listener's implicit ref.
  process.channel?.unref();
}
