// Draws the conversation into a list: messages made of content parts, the
// agent's text as it streams in, and each tool call with its result beside it.

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function image(src, alt) {
  const img = el("img");
  img.src = src;
  img.alt = alt ?? "image";
  return img;
}

/** One content part that is not a tool result (results go to their call). */
function part(p) {
  switch (p.__typename) {
    case "TextPart":
      return el("span", "text", p.text);
    case "ImagePart":
      return image(p.url ?? `data:${p.mediaType};base64,${p.base64}`, "image");
    case "ImageFilePart":
      return p.image ? image(p.image.url, p.filename) : el("span", "text", `[image ${p.filename ?? p.imageId}]`);
    case "ToolCallPart":
      return toolCall(p);
    default:
      return el("span", "text", `[${p.__typename}]`);
  }
}

/** A tool call: its name and arguments; the result is added when it comes. */
function toolCall({ id, name, arguments: args }) {
  const card = el("div", "tool-call", el("div", "call", `${name}(${JSON.stringify(args)})`));
  card.dataset.toolCallId = id;
  return card;
}

function resultText(content) {
  return content.map((p) => (p.__typename === "TextPart" ? p.text : `[${p.__typename}]`)).join(" ");
}

export function createTranscript(list) {
  const bubbles = new Map(); // message id → <li>

  function bubble(id, role) {
    let item = bubbles.get(id);
    if (!item) {
      item = el("li", `message ${role}`);
      item.dataset.messageId = id;
      bubbles.set(id, item);
      list.append(item);
    }
    return item;
  }

  const scroll = () => list.lastElementChild?.scrollIntoView({ block: "end" });
  const card = (toolCallId) => list.querySelector(`.tool-call[data-tool-call-id="${CSS.escape(toolCallId)}"]`);

  return {
    clear() {
      list.replaceChildren();
      bubbles.clear();
    },

    /** A stored message, from a page of messages or from the event that produced it. */
    message(message) {
      if (message.role === "TOOL_RESULT") {
        for (const p of message.content) if (p.__typename === "ToolResultPart") this.toolResult(p);
        return;
      }
      const item = bubble(message.id, message.role.toLowerCase());
      item.dataset.sequence = message.sequence;
      item.classList.remove("streaming");
      // What a cancelled turn had streamed is stored as a partial message.
      if (message.metadata?.partial) item.classList.add("stopped");
      // Text already streamed stays as it was shown, delta by delta; the other parts come from the message.
      const streamed = item.querySelector(".text");
      if (!streamed) item.replaceChildren();
      for (const p of message.content) if (!(streamed && p.__typename === "TextPart")) item.append(part(p));
      scroll();
    },

    /** The agent began a message: an empty bubble that deltas fill. */
    started(messageId) {
      bubble(messageId, "agent").classList.add("streaming");
    },

    delta(messageId, text) {
      const item = bubble(messageId, "agent");
      const span = item.querySelector(".text") ?? item.appendChild(el("span", "text"));
      span.append(text);
      scroll();
    },

    toolStarted(call) {
      if (!card(call.id)) list.append(el("li", "message agent", toolCall(call)));
    },

    toolResult({ toolCallId, isError, content }) {
      const target = card(toolCallId) ?? list.appendChild(el("li", "message agent", toolCall({ id: toolCallId, name: "tool", arguments: {} }))).firstChild;
      target.querySelector(".result")?.remove();
      target.querySelector(".answer")?.remove(); // answered: the result replaces the request
      target.append(el("div", isError ? "result error" : "result", `→ ${resultText(content)}`));
      scroll();
    },

    /**
     * A call that waits for the person: a text box for a client tool's result,
     * Approve / Reject for a server tool that needs a decision. The page's
     * handlers find the call by `data-tool-call-id` on the card.
     */
    awaiting(call, kind) {
      this.toolStarted(call);
      const target = card(call.id);
      if (target.querySelector(".result, .answer")) return;
      const form = el("form", `answer ${kind}`);
      if (kind === "client") {
        const input = el("input");
        input.name = "result";
        input.placeholder = `The result of ${call.name}`;
        form.append(input, el("button", "", "Send result"));
      } else {
        const approve = el("button", "", "Approve");
        approve.value = "approve";
        const reject = el("button", "", "Reject");
        reject.value = "reject";
        form.append(el("span", "", "Run this tool? "), approve, reject);
      }
      target.append(form);
      scroll();
    },

    /**
     * A turn ended at `idledSequence` (its session.idled): the turn's last agent
     * message offers to fork the conversation there.
     */
    forkPoint(idledSequence) {
      const ended = [...list.querySelectorAll(".message.agent[data-sequence]:not([data-fork-at])")].filter(
        (item) => Number(item.dataset.sequence) < idledSequence,
      );
      for (const item of ended) item.dataset.forkAt = idledSequence;
      const button = el("button", "fork", "Fork here");
      button.type = "button";
      button.title = "Start a new conversation from this answer";
      ended.at(-1)?.append(button);
    },

    /** A cancelled turn: whatever was streaming stops where it is. */
    stopped() {
      for (const item of list.querySelectorAll(".message.streaming")) item.classList.replace("streaming", "stopped");
    },

    notice(text, kind = "") {
      list.append(el("li", `notice ${kind}`, text));
      scroll();
    },
  };
}
