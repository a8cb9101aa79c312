// GraphQL clients for e2e tests: HTTP (fetch), graphql-ws (WebSocket) and
// yoga's SSE. Every wait has a timeout, so a broken server fails a test
// instead of hanging it.
import { createClient, type Client, type ClientOptions } from "graphql-ws";
import WebSocket from "ws";
import { streamCollector, type CollectedStream } from "./collect.js";
import { readSse } from "./sse.js";

export { eventually } from "./wait.js";

export interface GraphQLErrorJson {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; status?: number; field?: string; requestId?: string; [key: string]: unknown };
}

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: GraphQLErrorJson[];
}

/** One result of an operation as it arrives on the wire. */
export interface Result<T> {
  data?: T | null;
  errors?: GraphQLErrorJson[];
}

/** POSTs one operation to /graphql. */
export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GqlResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { data?: T; errors?: GraphQLErrorJson[] };
  return { status: res.status, headers: res.headers, ...body };
}

/** Like gql, but fails the test on any GraphQL error and returns data. */
export async function gqlData<T = any>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<T> {
  const res = await gql<T>(url, query, variables, headers);
  if (res.errors?.length || res.data == null) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** A graphql-ws client on /graphql that fails fast instead of retrying. */
export function wsClient(url: string, connectionParams?: Record<string, unknown>, options: Partial<ClientOptions> = {}): Client {
  return createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    ...options,
  });
}

/** A running subscription's results, gathered as they come (test/support/collect.ts). */
export type Collected<T> = CollectedStream<Result<T>>;

/** Starts a subscription over graphql-ws. */
export function subscribeWs<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Collected<T> {
  const { push, finish, ...collected } = streamCollector<Result<T>>();
  const stop = client.subscribe<T>({ query, variables }, { next: (r) => push(r as Result<T>), error: (e) => finish(e), complete: () => finish() });
  return { ...collected, stop };
}

/** Starts a subscription over yoga's SSE (POST with Accept: text/event-stream). */
export function subscribeSse<T = any>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Collected<T> {
  const { push, finish, ...collected } = streamCollector<Result<T>>();
  const controller = new AbortController();
  void (async () => {
    try {
      const frames = readSse(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
        signal: controller.signal,
      });
      for await (const frame of frames) {
        if (frame.event === "complete") break;
        if (frame.event === "next") push(JSON.parse(frame.data) as Result<T>);
      }
      finish();
    } catch (error) {
      finish(controller.signal.aborted ? undefined : error);
    }
  })();
  return { ...collected, stop: () => controller.abort() };
}
