// Prometheus metrics (prom-client), measured where the work happens: the
// HTTP server, GraphQL operations, sockets and subscriptions, the turn
// runner and the event append path. One registry per app, so tests and
// several apps in one process don't share counters.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics(options: { queuedTurns: () => Promise<number>; runningTurns: () => number; subscriptions: () => number; channels?: () => number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration by method, route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: "graphql_operations_total",
      help: "GraphQL operations by type and outcome",
      labelNames: ["type", "outcome"],
      registers: [registry],
    }),
    wsConnections: new Gauge({ name: "ws_connections", help: "Open graphql-ws connections", registers: [registry] }),
    turnDuration: new Histogram({
      name: "turn_duration_seconds",
      help: "Agent turn duration by outcome",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    eventAppend: new Histogram({
      name: "event_append_duration_seconds",
      help: "Time to append a batch of events to a session's log",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
  new Gauge({
    name: "subscriptions_active",
    help: "Live event streams (graphql-ws, GraphQL SSE and REST SSE)",
    registers: [registry],
    collect() {
      this.set(options.subscriptions());
    },
  });
  new Gauge({
    name: "live_channels",
    help: "Shared live channels (one per session and operation or filter; their members share each event's execution)",
    registers: [registry],
    collect() {
      this.set(options.channels?.() ?? 0);
    },
  });
  new Gauge({
    name: "turns_running",
    help: "Agent turns running in this process",
    registers: [registry],
    collect() {
      this.set(options.runningTurns());
    },
  });
  new Gauge({
    name: "turns_queued",
    help: "Agent turns waiting for their session (all instances)",
    registers: [registry],
    async collect() {
      this.set(await options.queuedTurns());
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A subscription served by a shared channel (graphql-ws or GraphQL SSE): counted once, as yoga counts the others. */
export const subscriptionStarted = (metrics: Metrics) => metrics.graphqlOperations.inc({ type: "subscription", outcome: "success" });

export function metricsRoute(metrics: Metrics) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) return false;
    const body = await metrics.registry.metrics();
    res.writeHead(200, { "content-type": metrics.registry.contentType });
    res.end(body);
    return true;
  };
}
