// GraphiQL on GET /graphql, served by Parley itself (SPEC §14): this page
// loads yoga's GraphiQL build and its Monaco workers from /graphiql/* (see
// web.ts), and src/web/graphiql.js supplies a fetcher that runs queries and
// mutations over HTTP and subscriptions over graphql-ws. Nothing comes from
// another host, and a plain browser GET loads it with CSRF prevention on.
import type { GraphiQLOptions } from "graphql-yoga";

/** The README's tour ("A tour in GraphiQL"), one tab per step. */
const TOUR = [
  `# Step 1 of 4: create a session. Then put its id in the
# Variables pane of the other tabs:
#   { "sessionId": "session_…" }
mutation CreateSession {
  createSession(input: { title: "First chat", tags: ["demo"], locale: "en-US" }) {
    id
    title
    status        # STARTED until its first turn
    lastSequence  # 1: the session.started event
  }
}
`,
  `# Step 2 of 4: watch it. Run this in a second browser tab
# (GraphiQL stops a running subscription when you switch
# tabs inside one page). after: 0 replays the whole log,
# then streams new events live over graphql-ws, with no gap
# and no duplicate; leave after out for live only. types /
# exclude take event names or prefixes ending in '*'.
subscription WatchSession($sessionId: ID!) {
  sessionEvents(sessionId: $sessionId, after: 0, exclude: ["output.message.delta"]) {
    sequence
    type
    data                      # the stored event JSON (snake_case)
    message { role content { ... on TextPart { text } } }
  }
}
`,
  `# Step 3 of 4: send a message. It returns the stored user
# message at once; the turn runs in the background and its
# events arrive in the browser tab running WatchSession.
mutation SendMessage($sessionId: ID!) {
  createMessage(input: {
    sessionId: $sessionId
    message: { content: [{ text: { text: "what is 12*(3+4)?" } }] }
    idempotencyKey: "first-question"   # a retry with the same body returns the same message
  }) { id role sequence turnId }
}
`,
  `# Step 4 of 4: read the conversation. last: N gives the
# newest N messages, oldest first; page with first/after
# or last/before, filter with roles.
query ReadMessages($sessionId: ID!) {
  session(id: $sessionId) {
    status
    messages(last: 20) {
      totalCount
      pageInfo { hasPreviousPage startCursor }
      nodes {
        role
        phase
        content {
          __typename
          ... on TextPart { text }
          ... on ToolCallPart { id name arguments }
          ... on ToolResultPart { toolCallId isError content { ... on TextPart { text } } }
          ... on ImageFilePart { filename image { url } }
        }
      }
    }
  }
}
`,
];

const SESSION_VARIABLES = JSON.stringify({ sessionId: "session_… (from CreateSession)" }, null, 2);
/** With AUTH=api_key every tab starts with this header to fill in; the fetcher also sends it over graphql-ws. */
const KEY_HEADERS = JSON.stringify({ Authorization: "Bearer <paste a key from: npm run --silent keys:create -- --name me>" }, null, 2);

/** yoga's `graphiql` option: the tour as tabs, plus what the page needs to know about the server. */
export function graphiqlOptions(auth: "none" | "api_key"): GraphiQLOptions {
  const headers = auth === "api_key" ? KEY_HEADERS : undefined;
  return {
    title: "Parley",
    defaultTabs: TOUR.map((query, step) => ({ query, variables: step === 0 ? undefined : SESSION_VARIABLES, headers })),
    ...(headers ? { defaultHeaders: headers } : {}),
    subscriptionsProtocol: "WS",
  };
}

/** yoga's `renderGraphiQL`: a small page; the heavy assets are separate, cacheable files. */
export function renderGraphiQL(options: GraphiQLOptions): string {
  // JSON inside <script>: escape "<" so no string in it can close the tag.
  const json = JSON.stringify(options).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(options.title ?? "GraphiQL")}</title>
  <link rel="icon" href="/web/icon.svg">
  <link rel="stylesheet" href="/graphiql/graphiql.css">
</head>
<body class="no-focus-outline">
  <div id="root">Loading GraphiQL…</div>
  <script id="graphiql-options" type="application/json">${json}</script>
  <script src="/graphiql/graphiql.js"></script>
  <script type="module" src="/web/graphiql.js"></script>
</body>
</html>
`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
