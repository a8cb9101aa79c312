// The store: the only code that talks to Prisma. Every function that reads or
// writes a tenant's data takes its owner id.
import type { Prisma } from "../db/client.js";
import { AgentStore } from "./agents.js";
import { messageFromEvent } from "../domain/messages.js";
import { ApiKeyStore } from "./api-keys.js";
import { EventLog, toStoredEvent } from "./event-log.js";
import { ForkStore } from "./fork.js";
import { ImageStore } from "./images.js";
import { MessageStore } from "./messages.js";
import { ModelStore } from "./models.js";
import { PendingCallStore } from "./pending-calls.js";
import { rowOf } from "./rows.js";
import { SessionStore } from "./sessions.js";
import { TurnStore } from "./turns.js";

export interface Store {
  prisma: Prisma;
  log: EventLog;
  sessions: SessionStore;
  messages: MessageStore;
  turns: TurnStore;
  images: ImageStore;
  models: ModelStore;
  apiKeys: ApiKeyStore;
  agents: AgentStore;
  forks: ForkStore;
  pendingCalls: PendingCallStore;
}

export function createStore(prisma: Prisma): Store {
  const log = new EventLog(prisma);
  return {
    prisma,
    log,
    sessions: new SessionStore(prisma, log),
    messages: new MessageStore(prisma),
    turns: new TurnStore(prisma),
    images: new ImageStore(prisma),
    models: new ModelStore(prisma),
    apiKeys: new ApiKeyStore(prisma),
    agents: new AgentStore(prisma),
    forks: new ForkStore(prisma, log),
    pendingCalls: new PendingCallStore(prisma, log),
  };
}

/**
 * Rebuilds a session's message projection from its log (the log is the
 * source of truth). Returns the number of messages written.
 */
export async function rebuildMessages(prisma: Prisma, sessionId: string): Promise<number> {
  const rows = await prisma.event.findMany({ where: { sessionId }, orderBy: { sequence: "asc" } });
  const messages = rows.flatMap((row) => {
    const event = toStoredEvent(row);
    const message = messageFromEvent({ ...event, turnId: event.context.turnId });
    if (!message) return [];
    const m = rowOf(message, event);
    // Prisma's createMany takes "absent" for SQL NULL in Json columns.
    const json = (value: unknown) => (value === null ? undefined : (value as object));
    return [{ ...m, sessionId, content: json(m.content)!, controls: json(m.controls), externalActor: json(m.externalActor), metadata: json(m.metadata) }];
  });
  await prisma.$transaction(async (tx) => {
    await tx.message.deleteMany({ where: { sessionId } });
    await tx.message.createMany({ data: messages });
    await tx.session.update({ where: { id: sessionId }, data: { messageCount: messages.length } });
  });
  return messages.length;
}

export type { StoredEvent } from "./event-log.js";
