// Small GraphQL steps the e2e tests share: create a session, send a message,
// wait for a session to go quiet.
import { eventually, gqlData } from "./clients.js";

export const DEMO_MODEL_ID = "model_01933b5a000070008000000000000001";
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Well-formed ids that name nothing. */
export const UNKNOWN = {
  session: "session_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
  message: "message_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
  event: "event_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
  img: "img_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
  model: "model_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b",
};

/** Request headers for every call of a fixture (e.g. `authorization` with AUTH=api_key). */
type Headers = Record<string, string>;

export async function createSession(url: string, input: Record<string, unknown> = {}, headers: Headers = {}): Promise<string> {
  const data = await gqlData(url, `mutation($input: CreateSessionInput) { createSession(input: $input) { id } }`, { input }, headers);
  return data.createSession.id as string;
}

export async function sendText(
  url: string,
  sessionId: string,
  text: string,
  extra: Record<string, unknown> = {},
  headers: Headers = {},
): Promise<{ id: string; sequence: number }> {
  const data = await gqlData(
    url,
    `mutation($input: CreateMessageInput!) { createMessage(input: $input) { id sequence } }`,
    { input: { sessionId, message: { content: [{ text: { text } }] }, ...extra } },
    headers,
  );
  return data.createMessage;
}

export async function sessionState(url: string, sessionId: string, headers: Headers = {}): Promise<{ status: string; lastSequence: number }> {
  const data = await gqlData(url, `query($id: ID!) { session(id: $id) { status lastSequence } }`, { id: sessionId }, headers);
  return data.session;
}

/**
 * Waits until nothing more happens on the session: no turn running and the
 * log unchanged for a moment. Returns its last sequence. Works whether or not
 * an agent answers messages.
 */
export async function settled(url: string, sessionId: string, quietMs = 300, headers: Headers = {}): Promise<number> {
  let last = -1;
  let since = Date.now();
  return eventually(
    async () => {
      const state = await sessionState(url, sessionId, headers);
      if (state.lastSequence !== last || state.status === "ACTIVE") {
        last = state.lastSequence;
        since = Date.now();
        return null;
      }
      return Date.now() - since >= quietMs ? last : null;
    },
    30_000,
    `session ${sessionId} to settle`,
  );
}
