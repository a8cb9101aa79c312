// The AI SDK's own chat (AbstractChat, what useChat wraps) with its state in
// memory, for driving the AI SDK routes the way a page does: sendMessage,
// addToolOutput, addToolApprovalResponse and the automatic resend.
import { AbstractChat, type ChatInit, type ChatState, type ChatStatus, type UIMessage } from "ai";
import { eventually } from "./wait.js";

class MemoryChatState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  constructor(public messages: UIMessage[] = []) {}
  pushMessage = (message: UIMessage) => void this.messages.push(message);
  popMessage = () => void this.messages.pop();
  replaceMessage = (index: number, message: UIMessage) => void (this.messages[index] = message);
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

export class MemoryChat extends AbstractChat<UIMessage> {
  constructor(init: Omit<ChatInit<UIMessage>, "messages"> & { messages?: UIMessage[] }) {
    super({ ...init, state: new MemoryChatState(init.messages) });
  }

  /** Waits until the chat is idle (ready or error) and `done` holds for it. */
  settled(done: (chat: MemoryChat) => boolean = () => true, what = "the chat to settle"): Promise<MemoryChat> {
    return eventually(() => (this.status !== "submitted" && this.status !== "streaming" && done(this) ? this : null), 20_000, what);
  }
}
