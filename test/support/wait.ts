// The one way tests wait: for a promise (withTimeout) or for a condition
// (eventually), always with a timeout, so a broken build fails instead of hanging.

/** Resolves like `promise`, or rejects once `ms` pass, naming what was awaited. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = "a promise"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]);
}

/** Polls `check` until it returns a truthy value (which it resolves with), or fails after the timeout. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
  what = "condition",
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
