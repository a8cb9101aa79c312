// Promise.withResolvers (ES2024) for Node 20: PostGraphile 5's grafast calls
// it on every database field (Node 22 has it built in). Imported first by the
// PostGraphile peer, and only there.
const P = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } };
P.withResolvers ??= <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
export {};
