// What GraphiQL (GET /graphql from a browser) opens with: the whole tour of
// the API, one operation per step (pick one with the ▶ button).
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to Parley. Run these in order; put the session id in the
# Variables pane as {"sessionId": "session_…"} after step 1.

# 1. Create a session.
mutation CreateSession {
  createSession(input: { title: "First chat", tags: ["demo"] }) {
    id
    title
    status
  }
}

# 2. Watch it (a second tab is handy): replays the log after sequence 0, then streams live.
subscription WatchSession($sessionId: ID!) {
  sessionEvents(sessionId: $sessionId, after: 0, exclude: ["output.message.delta"]) {
    sequence
    type
    data
  }
}

# 3. Send a message; the agent answers in the background.
mutation SendMessage($sessionId: ID!) {
  createMessage(input: { sessionId: $sessionId, message: { content: [{ text: { text: "what is 12*(3+4)?" } }] } }) {
    id
    role
    sequence
  }
}

# 4. Read the conversation.
query ReadMessages($sessionId: ID!) {
  session(id: $sessionId) {
    status
    messages(last: 20) {
      totalCount
      nodes {
        role
        phase
        content {
          __typename
          ... on TextPart { text }
          ... on ToolCallPart { name arguments }
          ... on ToolResultPart { content { ... on TextPart { text } } }
        }
      }
    }
  }
}
`;
