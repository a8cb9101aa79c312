// GraphQL over HTTP and graphql-ws for the bench: the real graphql-ws client,
// many sockets in one process.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

/** POSTs one operation to `${base}/graphql`; throws on any GraphQL error. */
export async function gql<T = any>(base: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: { data?: T; errors?: { message: string; extensions?: unknown }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${base}/graphql answered ${res.status}: ${text.slice(0, 500)}`);
  }
  if (body.errors?.length || body.data == null) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors ?? body).slice(0, 1000)}`);
  return body.data;
}

type Operation = { query: string; variables?: Record<string, unknown> };

export interface Subscribers {
  clients: Client[];
  dispose(): Promise<void>;
}

/**
 * Opens `count` graphql-ws connections (one client, one socket each) and
 * subscribes each to the operation (or to `operation(i)`: one per client).
 * Connects in batches, so the server's accept backlog never overflows.
 * `onNext(i, payload)` sees every result.
 */
export async function openSubscribers(
  base: string,
  count: number,
  operation: Operation | ((client: number) => Operation),
  onNext: (client: number, payload: any) => void,
  batch = 100,
): Promise<Subscribers> {
  const url = `${base.replace(/^http/, "ws")}/graphql`;
  const clients: Client[] = [];
  const errors: unknown[] = [];
  for (let start = 0; start < count; start += batch) {
    const connected: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, keepAlive: 0 });
      connected.push(
        new Promise<void>((resolve, reject) => {
          const off = client.on("connected", () => {
            off();
            resolve();
          });
          client.on("closed", (event) => reject(new Error(`socket ${i} closed: ${JSON.stringify(event)}`)));
        }),
      );
      client.subscribe(typeof operation === "function" ? operation(i) : operation, {
        next: (payload) => onNext(i, payload),
        error: (error) => errors.push(error),
        complete: () => {},
      });
      clients.push(client);
    }
    await Promise.all(connected);
  }
  if (errors.length) throw new Error(`subscription errors: ${JSON.stringify(errors.slice(0, 3))}`);
  return {
    clients,
    async dispose() {
      await Promise.all(clients.map((c) => c.dispose()));
    },
  };
}

/** Polls until `check` holds or the timeout passes; returns whether it held. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
