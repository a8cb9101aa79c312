// The read port per-request DataLoaders are built on: batched reads by id,
// each limited to what the actor owns (another owner's id is simply absent).
import type { StoredEvent } from "../domain/events.js";
import type { Message } from "../domain/messages.js";
import type { Agent } from "../store/agents.js";
import type { Store } from "../store/index.js";
import type { ImageMeta } from "../store/images.js";
import type { Model } from "../store/models.js";
import type { Session } from "../store/sessions.js";
import type { Actor } from "./context.js";

export interface BatchReads {
  sessions(actor: Actor, ids: readonly string[]): Promise<Session[]>;
  messages(actor: Actor, ids: readonly string[]): Promise<Message[]>;
  /** The message each event produced (input.message, output.message.completed, tool.completed). */
  messagesByEvent(actor: Actor, eventIds: readonly string[]): Promise<Message[]>;
  events(actor: Actor, ids: readonly string[]): Promise<StoredEvent[]>;
  images(actor: Actor, ids: readonly string[]): Promise<ImageMeta[]>;
  /** The model catalogue is everyone's. */
  models(ids: readonly string[]): Promise<Model[]>;
  agents(actor: Actor, ids: readonly string[]): Promise<Agent[]>;
}

export function createBatchReads(store: Store): BatchReads {
  return {
    sessions: (actor, ids) => store.sessions.getMany(actor.ownerId, ids),
    messages: (actor, ids) => store.messages.getMany(actor.ownerId, ids),
    messagesByEvent: (actor, eventIds) => store.messages.getByEventIds(actor.ownerId, eventIds),
    events: (actor, ids) => store.events.getMany(actor.ownerId, ids),
    images: (actor, ids) => store.images.getMany(actor.ownerId, ids),
    models: (ids) => store.models.getMany(ids),
    agents: (actor, ids) => store.agents.getMany(actor.ownerId, ids),
  };
}
