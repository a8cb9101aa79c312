// The chat page at `/`: a small client of Parley's public GraphQL API.
//
// Opening a session reads its stored messages, then follows its event log
// with `sessionEvents(after: <sequence of the last message shown>)`: the
// server replays every event after that one (the deltas of a turn still
// running included) and then streams live, so a reload mid-turn shows each
// delta exactly once. The session id lives in the URL (?session=…).
import { ApiError, apiKey, graphql, subscribe, uploadImage } from "./api.js";
import { createTranscript } from "./transcript.js";

const MESSAGE_FIELDS = `
fragment MessageFields on Message {
  id role sequence metadata
  content {
    __typename
    ... on TextPart { text }
    ... on ImagePart { url base64 mediaType }
    ... on ImageFilePart { imageId filename image { url } }
    ... on ToolCallPart { id name arguments }
    ... on ToolResultPart { toolCallId isError content { __typename ... on TextPart { text } } }
  }
}`;

const AGENTS = `query Agents { agents(first: 100) { nodes { id name } } }`;
const SESSIONS = `query Sessions { sessions(first: 50) { nodes { id title status } } }`;
const OPEN_SESSION = `query OpenSession($id: ID!) {
  session(id: $id) {
    id title status agent { id name }
    messages(last: 50) { nodes { ...MessageFields } }
    pendingToolCalls { kind toolCall { id name arguments } }
  }
} ${MESSAGE_FIELDS}`;
// Where each turn shown ended: a fork can start at a session.idled.
const TURN_ENDS = `query TurnEnds($id: ID!, $after: Int) {
  session(id: $id) { events(after: $after, types: ["session.idled"], first: 100) { sequence } }
}`;
const FOLLOW = `subscription Follow($id: ID!, $after: Int) {
  sessionEvents(sessionId: $id, after: $after) { sequence type data message { ...MessageFields } }
} ${MESSAGE_FIELDS}`;
const CREATE_SESSION = `mutation CreateSession($title: String, $agentId: ID) {
  createSession(input: { title: $title, agentId: $agentId }) { id }
}`;
const SEND = `mutation Send($input: CreateMessageInput!) { createMessage(input: $input) { id } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelTurn(sessionId: $id) { id } }`;
const FORK = `mutation Fork($input: ForkSessionInput!) { forkSession(input: $input) { id } }`;
const SUBMIT_RESULT = `mutation SubmitResult($id: ID!, $results: [ToolResultInput!]!) {
  submitToolResults(sessionId: $id, results: $results) { id }
}`;
const DECIDE = `mutation Decide($id: ID!, $decisions: [ToolDecisionInput!]!) {
  decideToolCalls(sessionId: $id, decisions: $decisions) { id }
}`;

const $ = (id) => document.getElementById(id);
const transcript = createTranscript($("transcript"));

/** The open session: its id, the sequence of the last event shown, and how to stop following it. */
let current = { id: null, lastShown: 0, stop: () => {} };

/** What each event changes on the page; other event types change nothing. */
const onEvent = {
  "input.message": (e) => transcript.message(e.message),
  "output.message.started": (e) => transcript.started(e.data.message_id),
  "output.message.delta": (e) => transcript.delta(e.data.message_id, e.data.delta),
  "output.message.completed": (e) => transcript.message(e.message),
  "tool.call_requested": (e) => {
    transcript.awaiting(e.data.tool_call, e.data.kind);
    showStatus("WAITING_FOR_TOOL_RESULTS");
  },
  "tool.started": (e) => {
    transcript.toolStarted(e.data.tool_call);
    showStatus("ACTIVE"); // e.g. an approved call runs
  },
  "tool.completed": (e) => {
    transcript.message(e.message);
    if (!document.querySelector("form.answer")) showStatus("ACTIVE"); // every waiting call answered: the turn goes on
  },
  "turn.started": () => showStatus("ACTIVE"),
  "turn.failed": (e) => transcript.notice(`The agent could not answer: ${e.data.error}`, "error"),
  "turn.cancelled": () => {
    transcript.stopped();
    transcript.notice("Stopped.");
  },
  "session.idled": (e) => {
    transcript.forkPoint(e.sequence);
    showStatus("IDLE");
    refreshSessions().catch(showError); // its status in the list
  },
};

// --- sessions ---------------------------------------------------------------

const sessionInUrl = () => new URLSearchParams(location.search).get("session");

async function openSession(id) {
  current.stop();
  transcript.clear();
  current = { id, lastShown: 0, stop: () => {} };
  markOpenSession();
  showTitle(null);
  showStatus(null);
  showAgent(null);
  if (!id) return;
  const { session } = await graphql(OPEN_SESSION, { id });
  if (current.id !== id) return; // another session was opened meanwhile
  if (!session) {
    history.replaceState(null, "", "/");
    current.id = null;
    throw new ApiError("That conversation does not exist (it may have been deleted). Start a new one below.");
  }
  showTitle(session.title);
  showStatus(session.status);
  showAgent(session.agent);
  const messages = session.messages.nodes;
  for (const message of messages) transcript.message(message);
  for (const { toolCall, kind } of session.pendingToolCalls) transcript.awaiting(toolCall, kind.toLowerCase());
  current.lastShown = messages.at(-1)?.sequence ?? 0;
  const ends = await graphql(TURN_ENDS, { id, after: (messages[0]?.sequence ?? 1) - 1 });
  if (current.id !== id) return;
  // The turn still running (if any) ends in the events followed below; forkPoint ignores a boundary seen twice.
  for (const { sequence } of ends.session?.events ?? []) transcript.forkPoint(sequence);
  follow(id);
}

function follow(id) {
  current.stop = subscribe(FOLLOW, { id, after: current.lastShown }, {
    onNext: ({ sessionEvents: event }) => {
      // After a reconnect the server replays from the first cursor: skip what is on screen.
      if (current.id !== id || event.sequence <= current.lastShown) return;
      current.lastShown = event.sequence;
      onEvent[event.type]?.(event);
    },
    onError: showError,
  });
}

async function refreshSessions() {
  const { sessions } = await graphql(SESSIONS);
  $("sessions").replaceChildren(
    ...sessions.nodes.map((s) => {
      const link = document.createElement("a");
      link.href = `?session=${s.id}`;
      link.dataset.sessionId = s.id;
      link.append(s.title ?? "Untitled", " ", Object.assign(document.createElement("small"), { textContent: s.status.toLowerCase() }));
      const item = document.createElement("li");
      item.append(link);
      return item;
    }),
  );
  markOpenSession();
}

function go(id) {
  history.pushState(null, "", id ? `?session=${id}` : "/");
  openSession(id).catch(showError);
}

/** The agent list; a new chat runs the one selected, an open session shows its own. */
async function refreshAgents() {
  const { agents } = await graphql(AGENTS);
  const select = $("agent");
  const selected = select.value;
  select.replaceChildren(new Option("Default agent", ""), ...agents.nodes.map((a) => new Option(a.name, a.id)));
  select.value = selected;
}

function showAgent(agent) {
  const select = $("agent");
  if (agent && ![...select.options].some((o) => o.value === agent.id)) select.append(new Option(agent.name, agent.id));
  if (current.id) select.value = agent?.id ?? "";
  select.disabled = Boolean(current.id); // a session keeps its agent; "New chat" to pick another
}

/** A new session with this one's history up to the end of a turn. */
async function fork(atSequence) {
  const { forkSession } = await graphql(FORK, { input: { sessionId: current.id, atSequence } });
  go(forkSession.id);
  refreshSessions().catch(showError);
}

/** The person's answer to a waiting call: a client tool's result, or a decision. */
function answer(toolCallId, form, button) {
  if (form.classList.contains("client")) {
    const text = form.elements.result.value;
    return graphql(SUBMIT_RESULT, { id: current.id, results: [{ toolCallId, content: [{ text: { text } }] }] });
  }
  return graphql(DECIDE, { id: current.id, decisions: [{ toolCallId, approve: button?.value === "approve" }] });
}

// --- sending ----------------------------------------------------------------

const titleFrom = (text) => (text ? text.slice(0, 60) : "Image");
const newIdempotencyKey = () => `chat-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/** Sends the composer's text and image; a first message creates the session. */
async function send(text, file) {
  const content = [];
  if (file) {
    const image = await uploadImage(file);
    content.push({ imageFile: { imageId: image.id, filename: image.filename } });
  }
  if (text) content.push({ text: { text } });
  if (!current.id) {
    const agentId = $("agent").value || null; // "": the default agent
    const { createSession } = await graphql(CREATE_SESSION, { title: titleFrom(text), agentId });
    history.pushState(null, "", `?session=${createSession.id}`);
    await openSession(createSession.id);
    refreshSessions().catch(showError);
  }
  // The key makes a retried send (e.g. a double click) return the first message, not a second one.
  await graphql(SEND, { input: { sessionId: current.id, message: { content }, idempotencyKey: newIdempotencyKey() } });
}

// --- page -------------------------------------------------------------------

function showTitle(title) {
  $("title").textContent = title ?? (current.id ? "Untitled" : "New chat");
}

function showStatus(status) {
  $("status").textContent = { STARTED: "new", ACTIVE: "working…", WAITING_FOR_TOOL_RESULTS: "waiting for you", IDLE: "idle" }[status] ?? "";
  $("status").dataset.status = status ?? "";
  $("cancel").hidden = status !== "ACTIVE" && status !== "WAITING_FOR_TOOL_RESULTS";
}

function markOpenSession() {
  for (const link of document.querySelectorAll("#sessions a")) {
    if (link.dataset.sessionId === current.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** Errors in words a person can act on; domain errors already are. */
function showError(error) {
  let text = error.message;
  if (!(error instanceof ApiError)) text = `Something went wrong in this page: ${error.message}`;
  else if (error.code === "UNAUTHENTICATED") text = "This server needs an API key: enter one on the left.";
  else if (error.code === "INTERNAL_SERVER_ERROR") text = `The server hit an unexpected error${error.requestId ? ` (request id ${error.requestId})` : ""}. Please try again.`;
  $("key-form").hidden = !(error instanceof ApiError && error.code === "UNAUTHENTICATED");
  $("error-text").textContent = text;
  $("error").hidden = false;
}

const clearError = () => ($("error").hidden = true);

function attachment() {
  return $("image").files[0] ?? null;
}

function showAttachment() {
  const file = attachment();
  $("attachment").hidden = !file;
  if (!file) return;
  $("attachment-name").textContent = file.name;
  $("attachment-preview").src = URL.createObjectURL(file);
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("input").value.trim();
  const file = attachment();
  if (!text && !file) return;
  $("send").disabled = true;
  clearError();
  try {
    await send(text, file);
    $("input").value = "";
    $("image").value = "";
    showAttachment();
  } catch (error) {
    showError(error);
  } finally {
    $("send").disabled = false;
    $("input").focus();
  }
});

$("input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});

$("image").addEventListener("change", showAttachment);
$("attachment-remove").addEventListener("click", () => {
  $("image").value = "";
  showAttachment();
});

$("cancel").addEventListener("click", () => {
  if (current.id) graphql(CANCEL, { id: current.id }).catch(showError);
});

$("transcript").addEventListener("click", (event) => {
  const button = event.target.closest("button.fork");
  if (button) fork(Number(button.closest("[data-fork-at]").dataset.forkAt)).catch(showError);
});
$("transcript").addEventListener("submit", (event) => {
  const form = event.target.closest("form.answer");
  if (!form) return;
  event.preventDefault();
  for (const control of form.elements) control.disabled = true; // until the result arrives, or an error
  answer(form.closest(".tool-call").dataset.toolCallId, form, event.submitter).catch((error) => {
    for (const control of form.elements) control.disabled = false;
    showError(error);
  });
});

$("new-chat").addEventListener("click", () => go(null));
$("sessions").addEventListener("click", (event) => {
  const link = event.target.closest("a[data-session-id]");
  if (!link) return;
  event.preventDefault();
  go(link.dataset.sessionId);
});
window.addEventListener("popstate", () => openSession(sessionInUrl()).catch(showError));

$("error-close").addEventListener("click", clearError);
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  apiKey.set($("key-input").value.trim());
  $("key-form").hidden = true;
  clearError();
  start();
});

function start() {
  refreshAgents().catch(showError);
  refreshSessions().catch(showError);
  openSession(sessionInUrl()).catch(showError);
}

start();
