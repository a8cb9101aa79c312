// The chat page's whole view of Parley: the public GraphQL API at /graphql.
// Queries and mutations are POSTs, the image upload is a GraphQL multipart
// request, and live events come over graphql-ws (`sessionEvents`). Copy it.
import { createClient } from "/vendor/graphql-ws/client.js";

const ENDPOINT = "/graphql";
const KEY_STORAGE = "parley.apiKey";

/** With AUTH=api_key the page sends the key the person gave it (kept in this browser). */
export const apiKey = {
  get: () => localStorage.getItem(KEY_STORAGE),
  set(key) {
    localStorage.setItem(KEY_STORAGE, key);
    resetSocket(); // the key travels once, in connection_init
  },
};
const authorization = () => (apiKey.get() ? { authorization: `Bearer ${apiKey.get()}` } : {});

/** A GraphQL error (or a transport failure) with what a person needs to read it. */
export class ApiError extends Error {
  constructor(message, { code = "NETWORK", field, requestId } = {}) {
    super(message);
    this.code = code;
    this.field = field;
    this.requestId = requestId;
  }
}

const fromGraphQL = (error) =>
  new ApiError(error.message, { code: error.extensions?.code, field: error.extensions?.field, requestId: error.extensions?.requestId });

async function post(body, headers) {
  let res;
  try {
    res = await fetch(ENDPOINT, { method: "POST", headers: { ...authorization(), ...headers }, body });
  } catch {
    throw new ApiError("Cannot reach the server. Is Parley still running?");
  }
  const json = await res.json().catch(() => null);
  if (json?.errors?.length) throw fromGraphQL(json.errors[0]);
  if (!res.ok || !json?.data) throw new ApiError(`The server answered HTTP ${res.status}.`, { code: `HTTP_${res.status}` });
  return json.data;
}

/** One query or mutation; resolves with `data`, rejects with an ApiError. */
export const graphql = (query, variables = {}) =>
  post(JSON.stringify({ query, variables }), { "content-type": "application/json" });

const UPLOAD = `mutation Upload($file: File!) { uploadImage(file: $file) { id filename mediaType url } }`;

/**
 * Uploads a file with the GraphQL multipart request spec. Multipart is a
 * "simple" request for browsers, so yoga's CSRF prevention wants a header.
 */
export function uploadImage(file) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", file, file.name);
  return post(form, { "x-graphql-yoga-csrf": "1" }).then((data) => data.uploadImage);
}

let socket = null;
function resetSocket() {
  socket?.dispose();
  socket = null;
}

/**
 * Starts a subscription; `onNext(data)` per result, `onError(ApiError)` once
 * if it fails. Returns a function that stops it. The client reconnects by
 * itself and sends the same operation again, so callers skip what they have
 * already shown (see chat.js: events carry a gapless sequence).
 */
export function subscribe(query, variables, { onNext, onError }) {
  socket ??= createClient({
    url: new URL(ENDPOINT, location.href).href.replace(/^http/, "ws"),
    connectionParams: authorization,
    retryAttempts: 20,
    // 4403: the key was refused; trying again will not help.
    shouldRetry: (event) => event?.code !== 4403,
  });
  return socket.subscribe(
    { query, variables },
    {
      next: (result) => (result.errors?.length ? onError(fromGraphQL(result.errors[0])) : onNext(result.data)),
      error: (event) =>
        onError(
          event?.code === 4403
            ? new ApiError("The server refused the API key.", { code: "UNAUTHENTICATED" })
            : new ApiError("Lost the live connection to the server. Reload the page to reconnect."),
        ),
      complete: () => {},
    },
  );
}
