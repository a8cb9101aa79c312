// Starts GraphiQL (GET /graphql) with a fetcher of our own: queries and
// mutations go over HTTP, subscriptions over graphql-ws, both with the
// headers of the tab's Headers pane. Over graphql-ws the Authorization header
// becomes the connection_init payload { authorization } (SPEC §7), so with
// AUTH=api_key a key pasted in the Headers pane works for subscriptions too.
import { createClient } from "/vendor/graphql-ws/client.js";

const options = JSON.parse(document.getElementById("graphiql-options").textContent);
const endpoint = new URL("/graphql", location.href);
const socketUrl = endpoint.href.replace(/^http/, "ws");

/** One graphql-ws client per Authorization value (the payload is sent once, at connection). */
const clients = new Map();
function socketFor(authorization) {
  if (!clients.has(authorization)) {
    clients.set(
      authorization,
      createClient({
        url: socketUrl,
        connectionParams: authorization ? { authorization } : {},
        // 4403: the key was refused; retrying will not help.
        shouldRetry: (event) => event?.code !== 4403,
      }),
    );
  }
  return clients.get(authorization);
}

function isSubscription(params, documentAST) {
  const operations = (documentAST?.definitions ?? []).filter((d) => d.kind === "OperationDefinition");
  const chosen = operations.find((d) => d.name?.value === params.operationName) ?? (operations.length === 1 ? operations[0] : undefined);
  return chosen?.operation === "subscription";
}

/** A socket that closed instead of answering, as a GraphQL error GraphiQL can show. */
function socketError(error) {
  if (error?.code === 4403) return "The server refused the key (WebSocket closed with 4403): check the Authorization header.";
  if (typeof error?.code === "number") return `The WebSocket closed (${error.code}${error.reason ? `: ${error.reason}` : ""}).`;
  return error instanceof Error ? error.message : "The WebSocket connection failed.";
}

async function* subscribe(client, params) {
  try {
    for await (const result of client.iterate(params)) yield result;
  } catch (error) {
    yield { errors: [{ message: socketError(error) }] };
  }
}

function fetcher(params, opts = {}) {
  const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  if (isSubscription(params, opts.documentAST)) {
    return subscribe(socketFor(headers.authorization ?? ""), params);
  }
  return fetch(endpoint, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify(params),
  }).then((res) => res.json());
}

// Monaco's editor workers, from this server too (the labels are GraphiQL's).
const WORKERS = { editorWorkerService: "editor", json: "json", graphql: "graphql" };
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => `/graphiql/${WORKERS[label] ?? "editor"}.worker.js` };

window.YogaGraphiQL.renderYogaGraphiQL(document.getElementById("root"), { ...options, fetcher });
