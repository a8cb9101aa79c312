// The one stream collector: items of a live stream (GraphQL results over
// graphql-ws or SSE, REST SSE events) gathered as they come. `until` waits,
// with a timeout, for a condition over everything received so far.

export interface CollectedStream<Item> {
  results: Item[];
  /** Resolves once `done(results)` holds; rejects on timeout or when the stream ends first. */
  until(done: (results: Item[]) => boolean, timeoutMs?: number): Promise<Item[]>;
  /** Resolves when the stream ends normally; rejects on a transport error. */
  completed: Promise<void>;
  stop(): void;
}

/** A collector a transport feeds with `push` and `finish`. */
export function streamCollector<Item>() {
  const results: Item[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  let finish!: (error?: unknown) => void;
  const completed = new Promise<void>((resolve, reject) => {
    finish = (error) => {
      ended = true;
      for (const wake of waiters) wake();
      if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
      else resolve();
    };
  });
  completed.catch(() => {}); // seen through until() or by awaiting completed

  const until = (done: (results: Item[]) => boolean, timeoutMs = 15_000) =>
    new Promise<Item[]>((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`timed out after ${timeoutMs} ms; got ${JSON.stringify(results).slice(0, 2000)}`)), timeoutMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(results);
      };
      const check = () => {
        if (done(results)) settle();
        else if (ended) settle(new Error(`the stream ended before the condition held; got ${JSON.stringify(results).slice(0, 2000)}`));
      };
      waiters.add(check);
      check();
    });

  return {
    results,
    until,
    completed,
    push(item: Item) {
      results.push(item);
      for (const wake of waiters) wake();
    },
    finish: (error?: unknown) => finish(error),
  };
}
