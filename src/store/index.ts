// The store: the only code that talks to Prisma. Every read of a tenant's data
// takes the owner and scopes its SQL by it, so another owner's id reads
// exactly like an unknown one. What acts for no caller (the turn runner, the
// buses, startup) goes through `system`, named as such.
import type { Database } from "../db/client.js";
import { AgentStore } from "./agents.js";
import { ApiKeyStore } from "./api-keys.js";
import { EventLog } from "./event-log.js";
import { EventStore } from "./events.js";
import { ForkStore } from "./fork.js";
import { ProtocolLinkStore } from "./protocol-links.js";
import { ImageStore } from "./images.js";
import { InputMessageStore } from "./input-messages.js";
import { MessageStore } from "./messages.js";
import { ModelStore } from "./models.js";
import { PendingCallStore } from "./pending-calls.js";
import { SessionStore } from "./sessions.js";
import { SystemStore } from "./system.js";

export interface Store {
  /** Appends to the log (the one write path of events and messages); callers check ownership first. */
  log: EventLog;
  sessions: SessionStore;
  /** createMessage's write: a user message with its queued turn, as its delivery says, in one statement. */
  inputMessages: InputMessageStore;
  messages: MessageStore;
  events: EventStore;
  images: ImageStore;
  /** The model catalogue (not tenant data). */
  models: ModelStore;
  apiKeys: ApiKeyStore;
  agents: AgentStore;
  forks: ForkStore;
  /** Tool calls waiting for a client's result or a person's decision (SPEC §11). */
  pendingCalls: PendingCallStore;
  /** AG-UI threads and runs, AI SDK chats ↔ sessions and turns. */
  protocolLinks: ProtocolLinkStore;
  /** SYSTEM: unscoped reads and writes for the turn runner, the buses and startup. */
  system: SystemStore;
}

/** `sql` runs the hottest fixed statements straight on the driver (src/db/direct.ts). */
export function createStore({ prisma, sql }: Pick<Database, "prisma" | "sql">): Store {
  const log = new EventLog(sql);
  return {
    log,
    sessions: new SessionStore(prisma, log, sql),
    inputMessages: new InputMessageStore(sql, log),
    messages: new MessageStore(prisma, sql),
    events: new EventStore(prisma),
    images: new ImageStore(prisma),
    models: new ModelStore(prisma, sql),
    apiKeys: new ApiKeyStore(prisma),
    agents: new AgentStore(prisma),
    forks: new ForkStore(prisma, log),
    pendingCalls: new PendingCallStore(prisma, log, sql),
    protocolLinks: new ProtocolLinkStore(prisma),
    system: new SystemStore(prisma, sql),
  };
}
